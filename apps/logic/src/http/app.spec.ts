import type { Instance } from '@goim/discovery-client';
import { PushMsg, PushMsg_Type } from '@goim/protocol/rpc';
import type { PushQueueProducer } from '@goim/queue';
import { MemorySessionStore } from '@goim/session-store';
import { waitFor } from '@goim/testkit';
import { StaticCometSource } from '../comets.js';
import { resolveLogicConfig, type LogicConfigInput } from '../config.js';
import { createLogic, type Logic } from '../logic.js';

/** A producer that records what it accepted (a role fake for the queue; the queue has its own suites). */
class RecordingProducer implements PushQueueProducer {
  published: PushMsg[] = [];
  fail: Error | undefined;
  gate: Promise<void> | undefined;
  calls = 0;
  async publish(msg: PushMsg): Promise<void> {
    this.calls++;
    await this.gate;
    if (this.fail) throw this.fail;
    this.published.push(msg);
  }
  async close(): Promise<void> {}
}

const comet = (hostname: string, md: Record<string, string>, region = ''): Instance => ({
  region,
  zone: 'z',
  env: 'dev',
  appid: 'goim.comet',
  hostname,
  addrs: [`grpc://10.0.0.${hostname.length}:3109`],
  version: '1',
  latest_timestamp: 1,
  metadata: md,
});

interface Harness {
  logic: Logic;
  base: string;
  sessions: MemorySessionStore;
  producer: RecordingProducer;
  comets: StaticCometSource;
}

const running: Logic[] = [];
async function start(config: LogicConfigInput = {}, instances: Instance[] = []): Promise<Harness> {
  const cfg = resolveLogicConfig({
    object: { ...config, httpServer: { addr: '127.0.0.1:0' }, rpcServer: { addr: '127.0.0.1:0' } } as LogicConfigInput,
    hostname: 'logic-test',
  });
  const sessions = new MemorySessionStore();
  const producer = new RecordingProducer();
  const comets = new StaticCometSource(instances);
  let n = 0;
  const logic = createLogic(cfg, { sessions, producer, comets, newMsgID: () => `id-${++n}` });
  running.push(logic);
  const { http } = await logic.listen();
  return { logic, base: `http://127.0.0.1:${http.port}`, sessions, producer, comets };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.close()));
});

async function call(base: string, path: string, init: Parameters<typeof fetch>[1] = {}) {
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}
const post = (base: string, path: string, body: string | Uint8Array = 'hello', headers: Record<string, string> = {}) =>
  call(base, path, { method: 'POST', body, headers });

const OK = { code: 0, message: '' };

describe('POST /goim/push/keys', () => {
  it('binds repeated keys and publishes one PUSH per server with the raw body', async () => {
    const h = await start();
    await h.sessions.addMapping(0, 'a', 's1');
    await h.sessions.addMapping(0, 'b', 's2');
    await h.sessions.addMapping(0, 'c', 's1');
    const body = Buffer.from([0, 1, 2, 255, 10]);
    const r = await post(h.base, '/goim/push/keys?operation=1000&keys=a&keys=b&keys=c&keys=missing', body, { 'content-type': 'application/json' });
    expect(r).toMatchObject({ status: 200, json: OK });
    expect(h.producer.published.map((m) => [m.type, m.operation, m.server, m.keys, [...m.msg], m.msgID])).toEqual([
      [PushMsg_Type.PUSH, 1000, 's1', ['a', 'c'], [0, 1, 2, 255, 10], 'id-1'],
      [PushMsg_Type.PUSH, 1000, 's2', ['b'], [0, 1, 2, 255, 10], 'id-2'],
    ]);
  });

  it('takes a body without content type, and operation defaults to 0', async () => {
    const h = await start();
    await h.sessions.addMapping(0, 'a', 's1');
    const r = await call(h.base, '/goim/push/keys?keys=a', { method: 'POST', body: new Uint8Array([7]) });
    expect(r).toMatchObject({ status: 200, json: OK });
    expect(h.producer.published[0]).toMatchObject({ operation: 0, msg: Buffer.from([7]) });
  });

  it('answers -400 with a message for empty keys (goim: a Redis arity error)', async () => {
    const h = await start();
    expect(await post(h.base, '/goim/push/keys?operation=1')).toMatchObject({ status: 200, json: { code: -400, message: 'keys is empty' } });
  });

  it('answers HTTP 400 for a non-integer operation, like gin', async () => {
    const h = await start();
    expect(await post(h.base, '/goim/push/keys?operation=abc&keys=a')).toMatchObject({
      status: 400,
      json: { code: -400, message: 'strconv.ParseInt: parsing "abc": invalid syntax' },
    });
    expect(await post(h.base, '/goim/push/keys?operation=2147483648&keys=a')).toMatchObject({
      status: 400,
      json: { code: -400, message: 'strconv.ParseInt: parsing "2147483648": value out of range' },
    });
  });

  it('reports a store failure as -500 with a message (goim: -400, empty)', async () => {
    const h = await start();
    jest.spyOn(h.sessions, 'serversByKeys').mockRejectedValueOnce(new Error('connection reset'));
    expect(await post(h.base, '/goim/push/keys?operation=1&keys=a')).toMatchObject({
      status: 200,
      json: { code: -500, message: 'look up keys failed: connection reset' },
    });
  });

  it('answers only after the queue accepted the message', async () => {
    const h = await start();
    await h.sessions.addMapping(0, 'a', 's1');
    let release!: () => void;
    h.producer.gate = new Promise((r) => (release = r));
    let settled = false;
    const pending = post(h.base, '/goim/push/keys?operation=1&keys=a').then((r) => {
      settled = true;
      return r;
    });
    await waitFor(() => h.producer.calls === 1, 'publish started');
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    release();
    expect(await pending).toMatchObject({ status: 200, json: OK });
    expect(h.producer.published).toHaveLength(1);
  });
});

describe('POST /goim/push/mids', () => {
  it('binds repeated mids and pushes to every key of each mid', async () => {
    const h = await start();
    await h.sessions.addMapping(1, 'p1', 's1');
    await h.sessions.addMapping(1, 'p2', 's2');
    await h.sessions.addMapping(2, 'p3', 's1');
    expect(await post(h.base, '/goim/push/mids?operation=5&mids=1&mids=2')).toMatchObject({ status: 200, json: OK });
    const byServer = Object.fromEntries(h.producer.published.map((m) => [m.server, [...m.keys].sort()]));
    expect(byServer).toEqual({ s1: ['p1', 'p3'], s2: ['p2'] });
  });

  it('rejects comma-separated mids with HTTP 400, as gin', async () => {
    const h = await start();
    expect(await post(h.base, '/goim/push/mids?operation=5&mids=1,2')).toMatchObject({
      status: 400,
      json: { code: -400, message: 'strconv.ParseInt: parsing "1,2": invalid syntax' },
    });
  });

  it('succeeds with nothing sent for no mids', async () => {
    const h = await start();
    expect(await post(h.base, '/goim/push/mids?operation=5')).toMatchObject({ status: 200, json: OK });
    expect(h.producer.published).toHaveLength(0);
  });

  it('reports a queue failure as -500 with a message', async () => {
    const h = await start();
    await h.sessions.addMapping(1, 'p1', 's1');
    h.producer.fail = new Error('not enough replicas');
    expect(await post(h.base, '/goim/push/mids?operation=5&mids=1')).toMatchObject({
      status: 200,
      json: { code: -500, message: 'publish to the push queue failed: not enough replicas' },
    });
  });
});

describe('POST /goim/push/room', () => {
  it('publishes one ROOM message for type://room', async () => {
    const h = await start();
    expect(await post(h.base, '/goim/push/room?operation=1000&type=live&room=1000', 'room msg')).toMatchObject({ status: 200, json: OK });
    expect(h.producer.published).toEqual([
      PushMsg.fromPartial({ type: PushMsg_Type.ROOM, operation: 1000, room: 'live://1000', msg: Buffer.from('room msg'), msgID: 'id-1' }),
    ]);
  });

  it('answers HTTP 400 with validator messages for missing required params (operation=0 counts as missing)', async () => {
    const h = await start();
    expect(await post(h.base, '/goim/push/room?operation=0')).toMatchObject({
      status: 400,
      json: {
        code: -400,
        message: [
          "Key: '.Op' Error:Field validation for 'Op' failed on the 'required' tag",
          "Key: '.Type' Error:Field validation for 'Type' failed on the 'required' tag",
          "Key: '.Room' Error:Field validation for 'Room' failed on the 'required' tag",
        ].join('\n'),
      },
    });
    // issue #267: the shell cut the query at '&', so only operation arrived.
    expect((await post(h.base, '/goim/push/room?operation=1000')).status).toBe(400);
  });

  it('reports a queue failure as -500', async () => {
    const h = await start();
    h.producer.fail = new Error('timeout');
    expect((await post(h.base, '/goim/push/room?operation=1&type=live&room=1')).json).toEqual({
      code: -500,
      message: 'publish to the push queue failed: timeout',
    });
  });
});

describe('POST /goim/push/all', () => {
  it('publishes one BROADCAST with speed', async () => {
    const h = await start();
    expect(await post(h.base, '/goim/push/all?operation=1002&speed=3', 'all')).toMatchObject({ status: 200, json: OK });
    expect(h.producer.published).toEqual([
      PushMsg.fromPartial({ type: PushMsg_Type.BROADCAST, operation: 1002, speed: 3, msg: Buffer.from('all'), msgID: 'id-1' }),
    ]);
  });

  it('requires operation', async () => {
    const h = await start();
    expect(await post(h.base, '/goim/push/all?speed=3')).toMatchObject({
      status: 400,
      json: { code: -400, message: "Key: '.Op' Error:Field validation for 'Op' failed on the 'required' tag" },
    });
    expect((await post(h.base, '/goim/push/all?operation=1&speed=x')).status).toBe(400);
  });
});

describe('push API guards', () => {
  it('refuses a missing or wrong bearer token when tokens are configured', async () => {
    const h = await start({ push: { bearerTokens: ['s3cret', 'other'] } });
    const path = '/goim/push/all?operation=1';
    const refused = { status: 401, json: { code: -401, message: 'missing or invalid bearer token' } };
    expect(await post(h.base, path)).toMatchObject(refused);
    expect((await post(h.base, path)).headers.get('www-authenticate')).toBe('Bearer');
    expect(await post(h.base, path, 'x', { authorization: 'Bearer nope' })).toMatchObject(refused);
    expect(await post(h.base, path, 'x', { authorization: 'Basic s3cret' })).toMatchObject(refused);
    expect(await post(h.base, path, 'x', { authorization: 'Bearer s3cret' })).toMatchObject({ status: 200, json: OK });
    expect(await post(h.base, path, 'x', { authorization: 'Bearer other' })).toMatchObject({ status: 200, json: OK });
    expect(h.producer.published).toHaveLength(2);
    // Only the push routes are guarded.
    expect((await call(h.base, '/goim/online/total')).status).toBe(200);
  });

  it('refuses an oversize body with HTTP 413 and a clear message', async () => {
    const h = await start({ push: { maxBodyBytes: 16 } });
    expect(await post(h.base, '/goim/push/all?operation=1', 'x'.repeat(16))).toMatchObject({ status: 200, json: OK });
    expect(await post(h.base, '/goim/push/all?operation=1', 'x'.repeat(17))).toMatchObject({
      status: 413,
      json: { code: -400, message: 'request body larger than push.maxBodyBytes (16 bytes)' },
    });
    expect(h.producer.published).toHaveLength(1);
  });

  it("answers unknown paths and wrong methods with gin's plain-text 404", async () => {
    const h = await start();
    expect(await call(h.base, '/goim/nope')).toMatchObject({ status: 404, text: '404 page not found' });
    expect(await call(h.base, '/goim/push/all?operation=1')).toMatchObject({ status: 404, text: '404 page not found' });
  });
});

describe('GET /goim/online/*', () => {
  async function withCounts() {
    const h = await start({}, [comet('c1', { conn_count: '10', ip_count: '7' }), comet('c2', { conn_count: '5', ip_count: '4' }), comet('off', { offline: 'true', conn_count: '100' })]);
    await h.logic.service.renewOnline({ server: 'c1', roomCount: { 'live://1000': 30, 'live://a:b/c': 10, 'live2://9': 99 } });
    await h.logic.service.renewOnline({ server: 'c2', roomCount: { 'live://1000': 12, 'live://2000': 50 } });
    await h.logic.online.refresh();
    return h;
  }

  it('top: rooms of the exact type, biggest first, at most limit, ids intact', async () => {
    const h = await withCounts();
    expect((await call(h.base, '/goim/online/top?type=live&limit=2')).json).toEqual({
      code: 0,
      message: '',
      data: [
        { room_id: '2000', count: 50 },
        { room_id: '1000', count: 42 },
      ],
    });
    expect((await call(h.base, '/goim/online/top?type=live&limit=10')).json).toMatchObject({
      data: [{ room_id: '2000' }, { room_id: '1000' }, { room_id: 'a:b/c', count: 10 }],
    });
    expect((await call(h.base, '/goim/online/top?type=none&limit=10')).json).toEqual({ code: 0, message: '', data: [] });
  });

  it('top: type and a non-zero limit are required', async () => {
    const h = await start();
    expect(await call(h.base, '/goim/online/top?type=live')).toMatchObject({
      status: 400,
      json: { code: -400, message: "Key: '.Limit' Error:Field validation for 'Limit' failed on the 'required' tag" },
    });
    expect((await call(h.base, '/goim/online/top?limit=1')).status).toBe(400);
    expect((await call(h.base, '/goim/online/top?type=live&limit=-1')).status).toBe(400);
  });

  it('room: counts per requested room, 0 when unknown', async () => {
    const h = await withCounts();
    expect((await call(h.base, '/goim/online/room?type=live&rooms=1000&rooms=2000&rooms=3000')).json).toEqual({
      code: 0,
      message: '',
      data: { '1000': 42, '2000': 50, '3000': 0 },
    });
    expect(await call(h.base, '/goim/online/room?type=live')).toMatchObject({
      status: 400,
      json: { code: -400, message: "Key: '.Rooms' Error:Field validation for 'Rooms' failed on the 'required' tag" },
    });
  });

  it('total: sums conn_count and ip_count of online comets', async () => {
    const h = await withCounts();
    expect((await call(h.base, '/goim/online/total')).json).toEqual({ code: 0, message: '', data: { conn_count: 15, ip_count: 11 } });
  });
});

describe('GET /goim/nodes/*', () => {
  it("weighted: goim's NodesReply JSON, domains for web and IPs otherwise", async () => {
    const h = await start({}, [comet('cometa', { weight: '10', conn_count: '1', addrs: '1.1.1.1,1.1.1.2' })]);
    const web = await call(h.base, '/goim/nodes/weighted?platform=web');
    expect(web.json).toEqual({
      code: 0,
      message: '',
      data: {
        domain: 'conn.goim.io',
        tcp_port: 3101,
        ws_port: 3102,
        wss_port: 3103,
        heartbeat: 240,
        nodes: ['cometa.goim.io'],
        backoff: { max_delay: 300, base_delay: 3, factor: 1.8, jitter: 0.3 },
        heartbeat_max: 2,
      },
    });
    expect((await call(h.base, '/goim/nodes/weighted?platform=android')).json).toMatchObject({ data: { nodes: ['1.1.1.1', '1.1.1.2'] } });
  });

  it('weighted: falls back to the default domain and omits zero values', async () => {
    const h = await start({ node: { wssPort: 0 } });
    const r = await call(h.base, '/goim/nodes/weighted');
    expect(r.json).toMatchObject({ data: { nodes: ['conn.goim.io'] } });
    expect((r.json as { data: object }).data).not.toHaveProperty('wss_port');
  });

  it('weighted: follows comet list changes', async () => {
    const h = await start();
    h.comets.set([comet('newcomet', { weight: '1', addrs: '9.9.9.9' })]);
    expect((await call(h.base, '/goim/nodes/weighted')).json).toMatchObject({ data: { nodes: ['9.9.9.9'] } });
  });

  it('instances: the comet instances in discovery shape', async () => {
    const inst = comet('c1', { weight: '10', addrs: '1.2.3.4', conn_count: '1', ip_count: '1', offline: 'false' });
    const h = await start({}, [inst]);
    expect((await call(h.base, '/goim/nodes/instances')).json).toEqual({ code: 0, message: '', data: [inst] });
  });
});

describe('operational endpoints', () => {
  it('serves /healthz, /readyz and /metrics', async () => {
    const h = await start();
    expect(await call(h.base, '/healthz')).toMatchObject({ status: 200, text: 'ok' });
    expect(await call(h.base, '/readyz')).toMatchObject({ status: 200, text: 'ready' });
    await post(h.base, '/goim/push/all?operation=1');
    const metrics = await call(h.base, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('goim_logic_http_requests_total{route="/goim/push/all",status="200"} 1');
    expect(metrics.text).toContain('goim_logic_push_messages_total{type="broadcast"} 1');
  });

  it('reports not ready when the session store does not answer', async () => {
    const h = await start();
    jest.spyOn(h.sessions, 'ping').mockRejectedValue(new Error('ECONNREFUSED'));
    expect(await call(h.base, '/readyz')).toMatchObject({ status: 503, text: 'not ready: ECONNREFUSED' });
  });
});
