import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { ReceiveReq, RpcError, RpcStatus, createLogicClient, type LogicService } from '@goim/protocol/rpc';
import { MemoryPushQueue } from '@goim/queue';
import { MemorySessionStore } from '@goim/session-store';
import { waitFor } from '@goim/testkit';
import { StaticCometSource } from '../comets.js';
import { resolveLogicConfig, type LogicConfigInput } from '../config.js';
import { createLogic, type Logic, type LogicDeps } from '../logic.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SECRET = 'grpc-spec-secret-0123456789abcdef';
const token = (o: unknown) => Buffer.from(JSON.stringify(o));

interface Harness {
  logic: Logic;
  client: LogicService & { close(): void };
  sessions: MemorySessionStore;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(config: LogicConfigInput = {}, deps: Partial<LogicDeps> = {}): Promise<Harness> {
  const cfg = resolveLogicConfig({
    object: { ...config, httpServer: { addr: '127.0.0.1:0' }, rpcServer: { addr: '127.0.0.1:0' } } as LogicConfigInput,
    hostname: 'logic-test',
  });
  const sessions = (deps.sessions as MemorySessionStore | undefined) ?? new MemorySessionStore();
  const queue = new MemoryPushQueue();
  const logic = createLogic(cfg, { sessions, producer: queue.producer(), comets: new StaticCometSource([]), ...deps });
  const { grpc } = await logic.listen();
  const client = createLogicClient(`127.0.0.1:${grpc.port}`, { deadlineMs: 3_000 });
  cleanup.push(() => queue.close(), () => logic.close(), () => client.close());
  return { logic, client, sessions };
}

async function backend(handler: (body: string, res: import('node:http').ServerResponse) => void): Promise<string> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return err as RpcError;
  }
  throw new Error('expected the call to fail');
}

describe('goim.logic.Logic over gRPC', () => {
  describe('Connect', () => {
    it('parses a goim token, writes the mapping and replies heartbeat in ns (heartbeat × heartbeatMax)', async () => {
      const h = await start();
      const reply = await h.client.connect({ server: 'comet-1', cookie: '', token: token({ mid: 7, key: 'k7', room_id: 'live://1', platform: 'web', accepts: [1000, 1001] }) });
      expect(reply).toEqual({ mid: 7, key: 'k7', roomID: 'live://1', accepts: [1000, 1001], heartbeat: 4 * 60 * 2 * 1e9 });
      await expect(h.sessions.serversByKeys(['k7'])).resolves.toEqual(['comet-1']);
      await expect(h.sessions.keysByMids([7])).resolves.toEqual(new Map([['k7', 'comet-1']]));
    });

    it('generates a UUID v4 key when the token has none', async () => {
      const h = await start();
      const reply = await h.client.connect({ server: 'comet-1', cookie: '', token: token({ mid: 0 }) });
      expect(reply.key).toMatch(UUID_V4);
      await expect(h.sessions.serversByKeys([reply.key])).resolves.toEqual(['comet-1']);
    });

    it('rejects a bad goim token with UNAUTHENTICATED and a missing server with INVALID_ARGUMENT', async () => {
      const h = await start();
      const bad = await rpcError(h.client.connect({ server: 'comet-1', cookie: '', token: Buffer.from('{nope') }));
      expect(bad).toMatchObject({ code: RpcStatus.UNAUTHENTICATED, message: 'auth token is not valid JSON' });
      const noServer = await rpcError(h.client.connect({ server: '', cookie: '', token: token({}) }));
      expect(noServer.code).toBe(RpcStatus.INVALID_ARGUMENT);
    });

    it('still accepts the connection when the session write fails (goim), counting it', async () => {
      const h = await start();
      jest.spyOn(h.sessions, 'addMapping').mockRejectedValueOnce(new Error('redis down'));
      await expect(h.client.connect({ server: 'comet-1', cookie: '', token: token({ key: 'k' }) })).resolves.toMatchObject({ key: 'k' });
      expect(await h.logic.metrics.registry.metrics()).toContain('goim_logic_session_errors_total{op="addMapping"} 1');
    });

    it('jwt: accepts a valid token, refuses expired and forged ones with UNAUTHENTICATED', async () => {
      const h = await start({ auth: { type: 'jwt', jwt: { secret: SECRET } } });
      const sign = (secret: string, exp: number | string) =>
        new SignJWT({ mid: 11, key: 'jk', room_id: 'live://5', accepts: [1] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(Buffer.from(secret));
      const ok = await h.client.connect({ server: 'c', cookie: '', token: Buffer.from(await sign(SECRET, '5m')) });
      expect(ok).toMatchObject({ mid: 11, key: 'jk', roomID: 'live://5', accepts: [1] });
      const expired = await rpcError(h.client.connect({ server: 'c', cookie: '', token: Buffer.from(await sign(SECRET, Math.floor(Date.now() / 1000) - 10)) }));
      expect(expired).toMatchObject({ code: RpcStatus.UNAUTHENTICATED, message: 'JWT expired' });
      const forged = await rpcError(h.client.connect({ server: 'c', cookie: '', token: Buffer.from(await sign('forged-secret-0123456789abcdefgh', '5m')) }));
      expect(forged).toMatchObject({ code: RpcStatus.UNAUTHENTICATED, message: 'JWT signature verification failed' });
      // A goim JSON token is not a JWT.
      expect((await rpcError(h.client.connect({ server: 'c', cookie: '', token: token({ mid: 1 }) }))).code).toBe(RpcStatus.UNAUTHENTICATED);
    });

    it('webhook: the backend decides; refusal is UNAUTHENTICATED, a dead backend UNAVAILABLE', async () => {
      const url = await backend((body, res) => {
        const { token: t } = JSON.parse(body) as { token: string };
        if (t === 'good') res.end(JSON.stringify({ mid: 3, key: 'wk', room_id: 'live://3', accepts: [5] }));
        else {
          res.statusCode = 401;
          res.end(JSON.stringify({ reason: 'token revoked' }));
        }
      });
      const h = await start({ auth: { type: 'webhook', webhook: { url } } });
      await expect(h.client.connect({ server: 'c', cookie: '', token: Buffer.from('good') })).resolves.toMatchObject({ mid: 3, key: 'wk', roomID: 'live://3', accepts: [5] });
      expect(await rpcError(h.client.connect({ server: 'c', cookie: '', token: Buffer.from('bad') }))).toMatchObject({
        code: RpcStatus.UNAUTHENTICATED,
        message: 'token revoked',
      });

      const gone = createServer();
      await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
      const goneUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/`;
      await new Promise<void>((r) => gone.close(() => r()));
      const dead = await start({ auth: { type: 'webhook', webhook: { url: goneUrl } } });
      expect(await rpcError(dead.client.connect({ server: 'c', cookie: '', token: Buffer.from('good') }))).toMatchObject({
        code: RpcStatus.UNAVAILABLE,
        message: 'auth webhook unreachable (ECONNREFUSED)',
      });
    });
  });

  describe('Disconnect', () => {
    it('deletes the mapping only while it points at the calling server', async () => {
      const h = await start();
      await h.client.connect({ server: 'old', cookie: '', token: token({ mid: 1, key: 'k' }) });
      // Same key reconnects on another comet before the old connection's teardown arrives.
      await h.client.connect({ server: 'new', cookie: '', token: token({ mid: 1, key: 'k' }) });
      await expect(h.client.disconnect({ mid: 1, key: 'k', server: 'old' })).resolves.toEqual({ has: false });
      await expect(h.sessions.serversByKeys(['k'])).resolves.toEqual(['new']);
      await expect(h.client.disconnect({ mid: 1, key: 'k', server: 'new' })).resolves.toEqual({ has: true });
      await expect(h.sessions.serversByKeys(['k'])).resolves.toEqual([undefined]);
      await expect(h.sessions.keysByMids([1])).resolves.toEqual(new Map());
    });
  });

  describe('Heartbeat', () => {
    it('refreshes the TTL, and re-adds a mapping that expired', async () => {
      let now = 1_700_000_000_000;
      const sessions = new MemorySessionStore({ sessionTtlSec: 60, now: () => now });
      const h = await start({}, { sessions });
      await h.client.connect({ server: 'c1', cookie: '', token: token({ mid: 2, key: 'hk' }) });
      now += 50_000;
      await expect(h.client.heartbeat({ mid: 2, key: 'hk', server: 'c1' })).resolves.toEqual({});
      now += 50_000; // 100 s after connect, 50 s after the refresh: still alive
      await expect(sessions.serversByKeys(['hk'])).resolves.toEqual(['c1']);
      now += 61_000;
      await expect(sessions.serversByKeys(['hk'])).resolves.toEqual([undefined]);
      await h.client.heartbeat({ mid: 2, key: 'hk', server: 'c1' });
      await expect(sessions.serversByKeys(['hk'])).resolves.toEqual(['c1']);
      await expect(sessions.keysByMids([2])).resolves.toEqual(new Map([['hk', 'c1']]));
    });
  });

  describe('argument and store errors', () => {
    it('answers INVALID_ARGUMENT for bad arguments and UNAVAILABLE when the store fails', async () => {
      const h = await start();
      expect(await rpcError(h.client.heartbeat({ mid: 1, key: '', server: 'c1' }))).toMatchObject({
        code: RpcStatus.INVALID_ARGUMENT,
        message: expect.stringContaining('Heartbeat: key must be a non-empty string'),
      });
      expect((await rpcError(h.client.disconnect({ mid: 1, key: 'k', server: '' }))).code).toBe(RpcStatus.INVALID_ARGUMENT);
      jest.spyOn(h.sessions, 'addServerOnline').mockRejectedValueOnce(new Error('READONLY'));
      expect(await rpcError(h.client.renewOnline({ server: 'c1', roomCount: {} }))).toMatchObject({
        code: RpcStatus.UNAVAILABLE,
        message: 'RenewOnline: session store failed: READONLY',
      });
      // Reading the epoch is part of RenewOnline: its failure fails the call the same way.
      jest.spyOn(h.sessions, 'epoch').mockRejectedValueOnce(new Error('LOADING'));
      expect(await rpcError(h.client.renewOnline({ server: 'c1', roomCount: {} }))).toMatchObject({
        code: RpcStatus.UNAVAILABLE,
        message: 'RenewOnline: session store failed: LOADING',
      });
    });
  });

  describe('RenewOnline', () => {
    it("stores this comet's counts and replies the cluster-wide counts", async () => {
      const h = await start();
      const epoch = await h.sessions.epoch();
      await expect(h.client.renewOnline({ server: 'c1', roomCount: { 'live://1': 3 } })).resolves.toEqual({ allRoomCount: {}, epoch });
      await h.client.renewOnline({ server: 'c2', roomCount: { 'live://1': 4, 'live://2': 1 } });
      await expect(h.sessions.serverOnline('c1')).resolves.toMatchObject({ server: 'c1', roomCount: { 'live://1': 3 } });
      await h.logic.online.refresh();
      await expect(h.client.renewOnline({ server: 'c1', roomCount: { 'live://1': 3 } })).resolves.toEqual({
        allRoomCount: { 'live://1': 7, 'live://2': 1 },
        epoch,
      });
    });

    it("replies the session store's epoch, so comets notice when the store lost its data", async () => {
      const h = await start();
      const first = await h.client.renewOnline({ server: 'c1', roomCount: {} });
      expect(first.epoch).toBe(await h.sessions.epoch());
      expect(first.epoch).not.toBe('');
      // The store reports a new data generation (as a Redis that restarted empty does): the
      // next reply carries it.
      jest.spyOn(h.sessions, 'epoch').mockResolvedValueOnce('after-the-flush');
      expect((await h.client.renewOnline({ server: 'c1', roomCount: {} })).epoch).toBe('after-the-flush');
    });
  });

  describe('Receive', () => {
    const req = { mid: 9, proto: { ver: 1, op: 1000, seq: 5, body: Buffer.from('up') } };

    it('log sink: takes the message and counts it', async () => {
      const h = await start();
      await expect(h.client.receive(req)).resolves.toEqual({});
      expect(await h.logic.metrics.registry.metrics()).toContain('goim_logic_received_total 1');
    });

    it('webhook sink: POSTs the message as JSON; a failing backend fails the call', async () => {
      const got: unknown[] = [];
      let status = 200;
      const url = await backend((body, res) => {
        got.push(JSON.parse(body));
        res.statusCode = status;
        res.end();
      });
      const h = await start({ receive: { sink: 'webhook', webhook: { url } } });
      await h.client.receive(req);
      expect(got).toEqual([{ mid: 9, ver: 1, op: 1000, seq: 5, body: Buffer.from('up').toString('base64') }]);
      status = 500;
      expect(await rpcError(h.client.receive(req))).toMatchObject({ code: RpcStatus.UNAVAILABLE, message: 'receive webhook answered HTTP 500' });
    });

    it('queue sink: publishes ReceiveReq bytes keyed by mid', async () => {
      const published: { key: string; value: Uint8Array }[] = [];
      const h = await start({ receive: { sink: 'queue' } }, { receivePublisher: { publish: async (key, value) => void published.push({ key, value }) } });
      await h.client.receive(req);
      await waitFor(() => published.length === 1, 'one published message');
      expect(published[0]!.key).toBe('9');
      expect(ReceiveReq.decode(published[0]!.value)).toEqual(req);
    });
  });

  describe('Nodes', () => {
    it('answers the weighted node list', async () => {
      const comets = new StaticCometSource([
        { region: 'sh', zone: 'z', env: 'dev', appid: 'goim.comet', hostname: 'c1', addrs: [], version: '', latest_timestamp: 1, metadata: { weight: '1', addrs: '5.5.5.5' } },
      ]);
      const h = await start({}, { comets });
      await expect(h.client.nodes({ platform: 'web', clientIP: '1.2.3.4' })).resolves.toEqual({
        domain: 'conn.goim.io',
        tcpPort: 3101,
        wsPort: 3102,
        wssPort: 3103,
        heartbeat: 240,
        nodes: ['c1.goim.io'],
        backoff: { maxDelay: 300, baseDelay: 3, factor: expect.closeTo(1.8, 5), jitter: expect.closeTo(0.3, 5) },
        heartbeatMax: 2,
      });
      await expect(h.client.nodes({ platform: 'ios', clientIP: '' })).resolves.toMatchObject({ nodes: ['5.5.5.5'] });
    });
  });
});

describe('grpcServerOptions', () => {
  it("maps goim's rpcServer keepalive keys to grpc-js options", async () => {
    const { grpcServerOptions } = await import('./server.js');
    const cfg = resolveLogicConfig({ toml: '[rpcServer]\nidleTimeout = "30s"\nmaxLifeTime = "1h"\nforceCloseWait = "10s"\nkeepAliveInterval = "20s"\nkeepAliveTimeout = "5s"' });
    expect(grpcServerOptions(cfg.rpcServer)).toMatchObject({
      'grpc.max_connection_idle_ms': 30_000,
      'grpc.max_connection_age_ms': 3_600_000,
      'grpc.max_connection_age_grace_ms': 10_000,
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.max_receive_message_length': 16 << 20,
    });
  });
});
