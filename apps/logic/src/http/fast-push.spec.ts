import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { PushMsg } from '@goim/protocol/rpc';
import type { PushQueueProducer } from '@goim/queue';
import { MemorySessionStore } from '@goim/session-store';
import { waitFor } from '@goim/testkit';
import { StaticCometSource } from '../comets.js';
import { resolveLogicConfig } from '../config.js';
import { createLogic, type Logic } from '../logic.js';

/**
 * Parity of the push fast path (what `logic.listen()` serves) with the express app alone:
 * the same request goes to both servers of one logic, and status, headers that matter, body,
 * the metrics it counts and what reached the queue must be equal.
 */

/** A producer that records what it accepted (a role fake for the queue; the queue has its own suites). */
class RecordingProducer implements PushQueueProducer {
  published: PushMsg[] = [];
  fail: Error | undefined;
  async publish(msg: PushMsg): Promise<void> {
    if (this.fail) throw this.fail;
    this.published.push(msg);
  }
  async close(): Promise<void> {}
}

interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body chunked (no content-length), in pieces of this size. */
  chunked?: number;
}
interface Res {
  status: number;
  contentType: string | undefined;
  wwwAuthenticate: string | undefined;
  text: string;
}

function send(port: number, r: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const headers: Record<string, string | number> = { ...r.headers };
    if (body && !r.chunked) headers['content-length'] = body.length;
    const req = request({ host: '127.0.0.1', port, method: r.method ?? 'POST', path: r.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          contentType: res.headers['content-type'],
          wwwAuthenticate: res.headers['www-authenticate'],
          text: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body && r.chunked) for (let i = 0; i < body.length; i += r.chunked) req.write(body.subarray(i, i + r.chunked));
    req.end(body && !r.chunked ? body : undefined);
  });
}

let logic: Logic;
let producer: RecordingProducer;
let fastPort: number;
let expressPort: number;
let expressServer: Server;

beforeAll(async () => {
  const cfg = resolveLogicConfig({
    object: { httpServer: { addr: '127.0.0.1:0' }, rpcServer: { addr: '127.0.0.1:0' }, push: { bearerTokens: ['s3cret'], maxBodyBytes: 16 } },
    hostname: 'logic-test',
  });
  const sessions = new MemorySessionStore();
  await sessions.addMapping(0, 'a', 's1');
  await sessions.addMapping(0, 'b c', 's2');
  await sessions.addMapping(7, 'm7', 's1');
  producer = new RecordingProducer();
  logic = createLogic(cfg, { sessions, producer, comets: new StaticCometSource([]), newMsgID: () => 'id' });
  fastPort = (await logic.listen()).http.port;
  expressServer = createServer(logic.app);
  await new Promise<void>((r) => expressServer.listen(0, '127.0.0.1', r));
  expressPort = (expressServer.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => expressServer.close(r));
  await logic.close();
});

afterEach(() => {
  producer.fail = undefined;
});

async function counts(): Promise<Map<string, number>> {
  const got = await logic.metrics.httpRequests.get();
  return new Map(got.values.map((v) => [`${v.labels.route} ${v.labels.status}`, v.value]));
}
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** Sends `r` to one server; returns the response, the metric labels it counted and what it published. */
async function observe(port: number, r: Req) {
  const before = await counts();
  const published = producer.published.length;
  const res = await send(port, r);
  await waitFor(async () => total(await counts()) > total(before), 'request counted');
  const after = await counts();
  const counted = [...after].filter(([k, v]) => v !== (before.get(k) ?? 0)).map(([k, v]) => `${k} +${v - (before.get(k) ?? 0)}`);
  const msgs = producer.published.slice(published).map((m) => PushMsg.toJSON(m) as Record<string, unknown>);
  return { res, counted, msgs };
}

async function parity(r: Req) {
  const fast = await observe(fastPort, r);
  const slow = await observe(expressPort, r);
  expect(fast).toEqual(slow);
  return fast;
}

const auth = { authorization: 'Bearer s3cret' };
const OK = JSON.stringify({ code: 0, message: '' });

describe('push fast path matches the express app', () => {
  it('publishes with repeated keys, an encoded key and a binary body', async () => {
    const r = await parity({ path: '/goim/push/keys?operation=9&keys=a&keys=b+c&keys=missing&operation=3', headers: { ...auth, 'content-type': 'application/json' }, body: Buffer.from([0, 255, 10]) });
    expect(r.res).toEqual({ status: 200, contentType: 'application/json; charset=utf-8', wwwAuthenticate: undefined, text: OK });
    expect(r.counted).toEqual(['/goim/push/keys 200 +1']);
    expect(r.msgs.map((m) => [m.operation, m.server, m.keys])).toEqual([
      [9, 's1', ['a']],
      [9, 's2', ['b c']],
    ]);
  });

  it('takes an empty body, a missing body and a chunked body', async () => {
    expect((await parity({ path: '/goim/push/mids?operation=1&mids=7', headers: auth, body: '' })).msgs).toHaveLength(1);
    const missing = await parity({ path: '/goim/push/room?operation=1&type=live&room=1', headers: auth });
    expect(missing.msgs).toHaveLength(1);
    expect(missing.msgs[0]).not.toHaveProperty('msg'); // protobuf JSON omits empty bytes
    const chunked = await parity({ path: '/goim/push/all?operation=1&speed=2', headers: auth, body: 'x'.repeat(16), chunked: 5 });
    expect(chunked.msgs[0]).toMatchObject({ speed: 2, msg: Buffer.from('x'.repeat(16)).toString('base64') });
  });

  it('answers binding errors with HTTP 400 and gin texts', async () => {
    for (const path of [
      '/goim/push/keys?operation=abc&keys=a',
      '/goim/push/keys?operation=2147483648&keys=a',
      '/goim/push/mids?operation=1&mids=1,2',
      '/goim/push/room?operation=0',
      '/goim/push/all',
    ]) {
      const r = await parity({ path, headers: auth, body: 'x' });
      expect(r.res.status).toBe(400);
      expect(JSON.parse(r.res.text)).toMatchObject({ code: -400 });
      expect(r.msgs).toEqual([]);
    }
  });

  it('answers logic-level failures with HTTP 200 and -400 / -500', async () => {
    expect((await parity({ path: '/goim/push/keys?operation=1', headers: auth, body: 'x' })).res.text).toBe('{"code":-400,"message":"keys is empty"}');
    producer.fail = new Error('queue down');
    const r = await parity({ path: '/goim/push/room?operation=1&type=live&room=1', headers: auth, body: 'x' });
    expect(r.res).toMatchObject({ status: 200, text: '{"code":-500,"message":"publish to the push queue failed: queue down"}' });
  });

  it('refuses an oversize body with 413, announced or chunked', async () => {
    for (const chunked of [undefined, 4]) {
      const r = await parity({ path: '/goim/push/all?operation=1', headers: auth, body: 'x'.repeat(17), ...(chunked ? { chunked } : {}) });
      expect(r.res).toMatchObject({ status: 413, text: '{"code":-400,"message":"request body larger than push.maxBodyBytes (16 bytes)"}' });
      expect(r.msgs).toEqual([]);
    }
    // A large body is drained before the answer, as body-parser does.
    expect((await parity({ path: '/goim/push/all?operation=1', headers: auth, body: Buffer.alloc(1 << 20), chunked: 1 << 16 })).res.status).toBe(413);
  });

  it('refuses a missing or wrong bearer token with 401', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic s3cret' }] as Record<string, string>[]) {
      const r = await parity({ path: '/goim/push/all?operation=1', headers, body: 'x' });
      expect(r.res).toMatchObject({ status: 401, wwwAuthenticate: 'Bearer', text: '{"code":-401,"message":"missing or invalid bearer token"}' });
    }
    expect((await parity({ path: '/goim/push/all?operation=1', headers: { authorization: 'bearer   s3cret ' }, body: 'x' })).res.status).toBe(200);
  });

  it("leaves wrong methods, other paths and compressed bodies to express (gin's 404, inflated body)", async () => {
    for (const method of ['GET', 'PUT', 'HEAD']) {
      const r = await parity({ method, path: '/goim/push/keys?operation=1&keys=a', headers: auth });
      expect(r.res.status).toBe(404);
    }
    expect((await parity({ path: '/goim/push/keys/?operation=1&keys=a', headers: auth, body: 'x' })).msgs).toHaveLength(1);
    expect((await parity({ path: '/goim/push/nope', headers: auth, body: 'x' })).res.text).toBe('404 page not found');
    const gz = await parity({ path: '/goim/push/keys?operation=1&keys=a', headers: { ...auth, 'content-encoding': 'gzip' }, body: gzipSync('hi') });
    expect(gz.msgs[0]).toMatchObject({ msg: Buffer.from('hi').toString('base64') });
  });
});
