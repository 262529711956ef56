import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Instance } from '@goim/discovery-client';
import { CometServiceDefinition, PushMsg_Type, cometGrpcHandlers, type CometService, type KickReq, type PushMsg } from '@goim/protocol/rpc';
import { MemoryPushQueue, type PushQueueProducer } from '@goim/queue';
import { MemorySessionStore } from '@goim/session-store';
import { StaticCometSource } from '../comets.js';
import { resolveLogicConfig, type LogicConfigInput } from '../config.js';
import { createLogic, type Logic, type LogicDeps } from '../logic.js';
import { parsePromCounters, redactSecrets } from './admin.js';

const TOKEN = 'admin-secret-token';

/** A comet role double that records kicks (comet's own specs cover what a real kick does to sockets). */
class KickRecorder implements CometService {
  kicks: KickReq[] = [];
  fail: Error | undefined;
  async pushMsg() {
    return {};
  }
  async broadcast() {
    return {};
  }
  async broadcastRoom() {
    return {};
  }
  async rooms() {
    return { rooms: {} };
  }
  async kick(req: KickReq) {
    if (this.fail) throw this.fail;
    this.kicks.push(req);
    return { kicked: req.keys.length };
  }
}

const instance = (hostname: string, addrs: string[], md: Record<string, string> = {}, latestNs = 1_700_000_000_000 * 1e6): Instance => ({
  region: 'sh',
  zone: 'sh001',
  env: 'dev',
  appid: 'goim.comet',
  hostname,
  addrs,
  version: '',
  latest_timestamp: latestNs,
  metadata: md,
});

interface Harness {
  logic: Logic;
  base: string;
  sessions: MemorySessionStore;
  comets: StaticCometSource;
  queue: MemoryPushQueue;
}

const running: Harness[] = [];
async function start(config: LogicConfigInput = {}, instances: Instance[] = [], extra: Partial<LogicDeps> = {}): Promise<Harness> {
  const cfg = resolveLogicConfig({
    object: { ...config, httpServer: { addr: '127.0.0.1:0' }, rpcServer: { addr: '127.0.0.1:0' } } as LogicConfigInput,
    hostname: 'logic-admin-test',
  });
  const sessions = new MemorySessionStore();
  const queue = new MemoryPushQueue();
  const comets = new StaticCometSource(instances);
  const logic = createLogic(cfg, { sessions, producer: queue.producer(), comets, ...extra });
  const { http } = await logic.listen();
  const h = { logic, base: `http://127.0.0.1:${http.port}`, sessions, comets, queue };
  running.push(h);
  return h;
}

afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.logic.close();
    await h.queue.close();
    await h.sessions.close();
  }
});

async function call(base: string, path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(base + path, { ...init, headers });
  return { status: res.status, json: (await res.json()) as { code: number; message: string; data?: any } };
}
const kick = (base: string, body: unknown, token?: string | null) =>
  call(base, '/goim/admin/kick', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, token });

describe('admin API (/goim/admin/*)', () => {
  it('is disabled with a 404 and a message naming admin.token when no token is configured', async () => {
    const h = await start();
    for (const path of ['/goim/admin/nodes', '/goim/admin/rooms/top', '/goim/admin/metrics']) {
      const r = await call(h.base, path);
      expect(r.status).toBe(404);
      expect(r.json.code).toBe(-404);
      expect(r.json.message).toContain('admin.token');
    }
  });

  it('refuses a missing or wrong token with 401', async () => {
    const h = await start({ admin: { token: TOKEN } });
    const none = await call(h.base, '/goim/admin/nodes', { token: null });
    expect(none).toEqual({ status: 401, json: { code: -401, message: 'missing or invalid admin token' } });
    const wrong = await call(h.base, '/goim/admin/nodes', { token: 'admin-secret-tokem' });
    expect(wrong.status).toBe(401);
    const ok = await call(h.base, '/goim/admin/nodes');
    expect(ok.status).toBe(200);
  });

  it('does not accept the admin token as a push bearer token or vice versa', async () => {
    const h = await start({ admin: { token: TOKEN }, push: { bearerTokens: ['push-token'] } });
    expect((await call(h.base, '/goim/admin/nodes', { token: 'push-token' })).status).toBe(401);
    const res = await fetch(`${h.base}/goim/push/all?operation=1000`, { method: 'POST', body: 'x', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(401);
  });

  it('lists nodes with region, zone, client addresses, weight, offline flag, counts and update time', async () => {
    const latestNs = 1_700_000_123_456 * 1e6;
    const h = await start({ admin: { token: TOKEN } }, [
      instance('c1', ['grpc://10.0.0.1:3109'], { addrs: '1.2.3.4, 5.6.7.8', weight: '10', offline: 'false', conn_count: '42', ip_count: '7' }, latestNs),
      instance('c2', [], { offline: 'true' }),
    ]);
    let refreshed = 0;
    let clock = 0;
    const r = await call(h.base, '/goim/admin/nodes');
    expect(r.json.data.nodes).toEqual([
      {
        hostname: 'c1',
        region: 'sh',
        zone: 'sh001',
        env: 'dev',
        addrs: ['grpc://10.0.0.1:3109'],
        clientAddrs: ['1.2.3.4', '5.6.7.8'],
        weight: 10,
        offline: false,
        connCount: 42,
        ipCount: 7,
        updated: 1_700_000_123_456,
      },
      expect.objectContaining({ hostname: 'c2', offline: true, connCount: 0, clientAddrs: [] }),
    ]);
    // An in-process comet may refresh its entry before the list is read, at most once a second.
    const h2 = await start({ admin: { token: TOKEN } }, [], {
      admin: { now: () => clock, refresh: () => h2comets.set([instance('live', [], { conn_count: String(++refreshed) })]) },
    });
    const h2comets = h2.comets;
    expect((await call(h2.base, '/goim/admin/nodes')).json.data.nodes[0].connCount).toBe(1);
    expect((await call(h2.base, '/goim/admin/nodes')).json.data.nodes[0].connCount).toBe(1);
    clock += 1_000;
    expect((await call(h2.base, '/goim/admin/nodes')).json.data.nodes[0].connCount).toBe(2);
    // A failing hook still answers with the last list.
    const h3 = await start({ admin: { token: TOKEN } }, [instance('old', [])], {
      admin: {
        refresh: () => {
          throw new Error('comet gone');
        },
      },
    });
    expect((await call(h3.base, '/goim/admin/nodes')).json.data.nodes.map((n: { hostname: string }) => n.hostname)).toEqual(['old']);
  });

  it('shows top rooms of every type and one room with per-comet counts, read fresh from the session store', async () => {
    const h = await start({ admin: { token: TOKEN } }, [instance('c1', []), instance('c2', [])]);
    const updated = Math.floor(Date.now() / 1000);
    await h.sessions.addServerOnline({ server: 'c1', roomCount: { 'live://1000': 3, 'chat://a': 1 }, updated });
    await h.sessions.addServerOnline({ server: 'c2', roomCount: { 'live://1000': 2, 'live://7': 4 }, updated });
    const top = await call(h.base, '/goim/admin/rooms/top?limit=2');
    expect(top.json.data).toEqual({
      rooms: [
        { room: 'live://1000', count: 5 },
        { room: 'live://7', count: 4 },
      ],
      total: 3,
    });
    const room = await call(h.base, `/goim/admin/rooms/${encodeURIComponent('live://1000')}`);
    expect(room.json.data).toEqual({
      room: 'live://1000',
      count: 5,
      servers: [
        { server: 'c1', count: 3, updated: updated * 1000 },
        { server: 'c2', count: 2, updated: updated * 1000 },
      ],
    });
    const empty = await call(h.base, `/goim/admin/rooms/${encodeURIComponent('live://none')}`);
    expect(empty.json.data).toEqual({ room: 'live://none', count: 0, servers: [] });
    const bad = await call(h.base, '/goim/admin/rooms/top?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('limit');
  });

  it('kicks keys and mids on the comet holding them, over gRPC, with the reason', async () => {
    const recorder = new KickRecorder();
    const server = new Server();
    server.addService(CometServiceDefinition, cometGrpcHandlers(recorder) as never);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    try {
      const h = await start({ admin: { token: TOKEN } }, [instance('c1', [`grpc://127.0.0.1:${port}`])]);
      await h.sessions.addMapping(7, 'k-a', 'c1');
      await h.sessions.addMapping(7, 'k-b', 'c1');
      await h.sessions.addMapping(0, 'k-c', 'c1');
      await h.sessions.addMapping(9, 'k-gone', 'c-unknown');
      const r = await kick(h.base, { keys: ['k-c', 'nobody'], mids: [7, 9], reason: 'spam' });
      expect(r.status).toBe(200);
      expect(r.json.data.kicked).toBe(3);
      expect(r.json.data.notFound).toEqual(['nobody']);
      expect(r.json.data.servers).toEqual(
        expect.arrayContaining([
          { server: 'c1', keys: 3, kicked: 3 },
          { server: 'c-unknown', keys: 1, kicked: 0, error: expect.stringContaining('not in the instance list') },
        ]),
      );
      expect(recorder.kicks).toHaveLength(1);
      expect(recorder.kicks[0]!.reason).toBe('spam');
      expect([...recorder.kicks[0]!.keys].sort()).toEqual(['k-a', 'k-b', 'k-c']);

      recorder.fail = new Error('boom');
      const failed = await kick(h.base, { keys: ['k-a'], reason: '' });
      expect(failed.json.data.kicked).toBe(0);
      expect(failed.json.data.servers[0].error).toContain('boom');
    } finally {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    }
  });

  it('prefers an in-process comet service when one is given', async () => {
    const recorder = new KickRecorder();
    const h = await start({ admin: { token: TOKEN } }, [], { admin: { cometService: (host) => (host === 'local' ? recorder : undefined) } });
    await h.sessions.addMapping(1, 'k1', 'local');
    const r = await kick(h.base, { mids: [1], reason: 'bye' });
    expect(r.json.data).toEqual({ kicked: 1, servers: [{ server: 'local', keys: 1, kicked: 1 }], notFound: [] });
    expect(recorder.kicks).toEqual([{ keys: ['k1'], mids: [], reason: 'bye' }]);
  });

  it('rejects a kick without targets, with bad types, or with non-JSON, as 400', async () => {
    const h = await start({ admin: { token: TOKEN } });
    const none = await kick(h.base, { reason: 'x' });
    expect(none.status).toBe(400);
    expect(none.json.message).toContain('at least one of `keys` or `mids`');
    const bad = await kick(h.base, { mids: ['7'] });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('mids');
    const extra = await kick(h.base, { keys: ['a'], room: 'x' });
    expect(extra.status).toBe(400);
    const notJson = await call(h.base, '/goim/admin/kick', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe(-400);
  });

  it('snapshots accepted pushes, in-process counters and scraped /metrics counters', async () => {
    const scrapes: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      scrapes.push(String(url));
      if (String(url).includes('down')) throw new Error('connect ECONNREFUSED');
      return new Response(
        [
          '# HELP goim_comet_pushes_out_total x',
          '# TYPE goim_comet_pushes_out_total gauge',
          'goim_comet_pushes_out_total 10',
          'goim_comet_kicked_total 2',
          'goim_job_undeliverable_total{type="push"} 1',
          'goim_job_undeliverable_total{type="room"} 2',
        ].join('\n'),
      );
    }) as typeof fetch;
    const h = await start(
      { admin: { token: TOKEN, metricsUrls: ['http://comet:3105/metrics', 'http://down:1/metrics'] } },
      [],
      { admin: { counters: () => ({ delivered: 5, slowConsumers: 1 }), fetch: fakeFetch, now: () => 12345 } },
    );
    await h.sessions.addMapping(1, 'k1', 'c1');
    const push = await fetch(`${h.base}/goim/push/mids?operation=1000&mids=1`, { method: 'POST', body: 'x' });
    expect(push.status).toBe(200);
    await fetch(`${h.base}/goim/push/all?operation=1000`, { method: 'POST', body: 'x' });
    const r = await call(h.base, '/goim/admin/metrics');
    expect(r.json.data).toEqual({
      at: 12345,
      pushes: { push: 1, room: 0, broadcast: 1, total: 2 },
      counters: { delivered: 15, kicked: 2, slowConsumers: 1, replaced: 0, undeliverable: 3 },
      scraped: [
        { url: 'http://comet:3105/metrics', ok: true },
        { url: 'http://down:1/metrics', ok: false, error: 'connect ECONNREFUSED' },
      ],
    });
    expect(scrapes).toEqual(['http://comet:3105/metrics', 'http://down:1/metrics']);
  });
});

describe('admin push (/goim/admin/push)', () => {
  /** Records what logic accepted (the queue has its own suites). */
  class RecordingProducer implements PushQueueProducer {
    published: PushMsg[] = [];
    async publish(msg: PushMsg) {
      this.published.push(msg);
    }
    async close() {}
  }
  const push = (base: string, body: unknown, token?: string | null) =>
    call(base, '/goim/admin/push', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, token });

  it('pushes to keys, mids, a room and everyone behind the admin token', async () => {
    const producer = new RecordingProducer();
    const h = await start({ admin: { token: TOKEN } }, [], { producer });
    await h.sessions.addMapping(5, 'k5', 'c1');
    expect((await push(h.base, { target: 'keys', operation: 1000, body: 'to key', keys: ['k5'] })).json).toEqual({ code: 0, message: '', data: { messages: 1 } });
    expect((await push(h.base, { target: 'mids', operation: 1001, body: 'to mid', mids: [5] })).json.data).toEqual({ messages: 1 });
    expect((await push(h.base, { target: 'room', operation: 1002, body: 'to room', room: 'live://1000' })).json.data).toEqual({ messages: 1 });
    expect((await push(h.base, { target: 'all', operation: 1003, body: 'to all', speed: 5 })).json.data).toEqual({ messages: 1 });
    const seen = producer.published.map((m) => [m.type, m.operation, m.server, m.keys, m.room, m.speed, Buffer.from(m.msg).toString()]);
    expect(seen).toEqual([
      [PushMsg_Type.PUSH, 1000, 'c1', ['k5'], '', 0, 'to key'],
      [PushMsg_Type.PUSH, 1001, 'c1', ['k5'], '', 0, 'to mid'],
      [PushMsg_Type.ROOM, 1002, '', [], 'live://1000', 0, 'to room'],
      [PushMsg_Type.BROADCAST, 1003, '', [], '', 5, 'to all'],
    ]);
  });

  it('refuses a wrong token and explains a bad form', async () => {
    const producer = new RecordingProducer();
    const h = await start({ admin: { token: TOKEN } }, [], { producer });
    expect((await push(h.base, { target: 'all', operation: 1000, body: 'x' }, 'nope')).status).toBe(401);
    const noRoom = await push(h.base, { target: 'room', operation: 1000, body: 'x', room: '1000' });
    expect(noRoom.status).toBe(400);
    expect(noRoom.json.message).toContain('type://id');
    const noKeys = await push(h.base, { target: 'keys', operation: 1000, body: 'x' });
    expect(noKeys.json.message).toContain('keys');
    expect((await push(h.base, { target: 'everyone', operation: 1000, body: 'x' })).status).toBe(400);
    expect(producer.published).toEqual([]);
  });
});

describe('admin config (/goim/admin/config)', () => {
  it('shows the resolved config with every secret redacted', async () => {
    const h = await start({
      admin: { token: TOKEN },
      push: { bearerTokens: ['push-secret-1', 'push-secret-2'] },
      redis: { auth: 'redis-password' },
      auth: { type: 'jwt', jwt: { secret: 'jwt-secret' }, webhook: { headers: { 'x-shared': 'hook-secret' } } },
    });
    const r = await call(h.base, '/goim/admin/config');
    expect(r.status).toBe(200);
    const text = JSON.stringify(r.json.data);
    for (const secret of [TOKEN, 'push-secret-1', 'redis-password', 'jwt-secret', 'hook-secret']) expect(text).not.toContain(secret);
    expect(r.json.data.admin.token).toBe('[redacted]');
    expect(r.json.data.push.bearerTokens).toEqual(['[redacted]', '[redacted]']);
    expect(r.json.data.redis.auth).toBe('[redacted]');
    expect(r.json.data.auth.type).toBe('jwt');
    expect(r.json.data.auth.jwt.secret).toBe('[redacted]');
    expect(r.json.data.auth.webhook.headers).toEqual({ 'x-shared': '[redacted]' });
    expect(r.json.data.httpServer.addr).toBe('127.0.0.1:0');
    expect((await call(h.base, '/goim/admin/config', { token: 'wrong' })).status).toBe(401);
  });

  it('leaves empty secrets visible as empty (shows they are unset)', () => {
    expect(redactSecrets({ redis: { auth: '' }, admin: { token: 'x', metricsUrls: ['u'] } })).toEqual({ redis: { auth: '' }, admin: { token: '[redacted]', metricsUrls: ['u'] } });
  });
});

describe('parsePromCounters', () => {
  it('sums labelled samples and ignores comments and unknown metrics', () => {
    expect(
      parsePromCounters('# c\ngoim_comet_kicked_total 3\ngoim_comet_slow_consumers_total{a="b"} 2\ngoim_comet_slow_consumers_total{a="c"} 1\nother 9\n'),
    ).toEqual({ kicked: 3, slowConsumers: 3 });
  });
});
