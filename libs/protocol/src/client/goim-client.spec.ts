/**
 * GoimClient against an in-memory transport: the test plays the server, sees every frame the
 * client writes and drives opens, data and closes. Time is jest's fake clock, so heartbeat
 * cadence, idle detection and reconnect backoff are checked to the millisecond.
 * (apps/standalone's specs run the same client over real WebSocket and TCP sockets.)
 */
import {
  DisconnectCode,
  FrameStreamDecoder,
  GoimClient,
  Op,
  encodeAuthReplyBody,
  encodeDisconnectBody,
  encodeFrame,
  encodeHeartbeatReplyBody,
  encodeRawBatch,
  parseAuthToken,
  webSocketTransport,
  wrapRaw,
  type ClientMessage,
  type Frame,
  type GoimClientOptions,
  type TransportHandlers,
  type WebSocketConstructor,
  type WebSocketLike,
} from '../index.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/** One connection attempt as the fake server sees it. */
class FakeLink {
  readonly sent: Frame[] = [];
  closedByClient = false;
  private readonly decoder = new FrameStreamDecoder({ maxPackLen: Infinity });

  constructor(
    readonly url: string,
    readonly handlers: TransportHandlers,
    readonly framing: 'message' | 'stream',
  ) {}

  record(b: Uint8Array): void {
    this.decoder.feed(b, (f) => this.sent.push({ ...f, body: f.body.slice() }));
  }
  /** Server → client bytes, as one transport unit. */
  deliver(b: Uint8Array): void {
    this.handlers.onData(b);
  }
  frame(op: number, body: Uint8Array = new Uint8Array(0), seq = 0): void {
    this.deliver(encodeFrame({ ver: 1, op, seq, body }));
  }
  authOk(heartbeatSec = 0): void {
    this.frame(Op.AuthReply, heartbeatSec ? encodeAuthReplyBody({ mid: 1, key: 'k', room_id: 'live://1', heartbeat: heartbeatSec }) : undefined);
  }
  ops(): number[] {
    return this.sent.map((f) => f.op);
  }
}

function fakeTransport(framing: 'message' | 'stream' = 'message') {
  const links: FakeLink[] = [];
  const factory = (url: string, handlers: TransportHandlers) => {
    const link = new FakeLink(url, handlers, framing);
    links.push(link);
    return {
      framing,
      send: (b: Uint8Array) => link.record(b),
      close: () => {
        link.closedByClient = true;
      },
    };
  };
  return { links, factory };
}

/** Lets the client's async open (url + token promises) run. */
const settle = () => jest.advanceTimersByTimeAsync(0);

function track(c: GoimClient) {
  const log = {
    auth: 0,
    messages: [] as ClientMessage[],
    replies: [] as ClientMessage[],
    online: [] as number[],
    notices: [] as unknown[],
    closes: [] as { reason: string; reconnectInMs?: number }[],
    errors: [] as unknown[],
  };
  c.on('auth', () => log.auth++)
    .on('message', (m) => log.messages.push({ ...m, body: m.body.slice() }))
    .on('reply', (m) => log.replies.push(m))
    .on('online', (n) => log.online.push(n))
    .on('disconnect', (n) => log.notices.push(n))
    .on('close', (i) => log.closes.push(i))
    .on('error', (e) => log.errors.push(e));
  return log;
}

async function connected(opts: Partial<GoimClientOptions> = {}, framing: 'message' | 'stream' = 'message') {
  const t = fakeTransport(framing);
  const client = new GoimClient({ url: 'ws://x/sub', token: { mid: 7, room_id: 'live://1', accepts: [1000] }, transport: t.factory, ...opts });
  const log = track(client);
  client.connect();
  await settle();
  return { client, log, links: t.links, link: () => t.links[t.links.length - 1]! };
}

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => {
  jest.useRealTimers();
});

describe('GoimClient: handshake and heartbeats', () => {
  it('sends op 7 with the token on open, then heartbeats at once and every heartbeatIntervalMs after op 8', async () => {
    const { client, log, link } = await connected({ heartbeatIntervalMs: 10_000 });
    expect(client.state).toBe('connecting');
    link().handlers.onOpen();
    expect(client.state).toBe('authenticating');
    expect(link().ops()).toEqual([Op.Auth]);
    expect(parseAuthToken(link().sent[0]!.body)).toMatchObject({ mid: 7, room_id: 'live://1', accepts: [1000] });

    link().authOk();
    expect(client.state).toBe('open');
    expect(log.auth).toBe(1);
    expect(link().ops()).toEqual([Op.Auth, Op.Heartbeat]);
    await jest.advanceTimersByTimeAsync(9_999);
    expect(link().ops().filter((o) => o === Op.Heartbeat)).toHaveLength(1);
    link().frame(Op.HeartbeatReply, encodeHeartbeatReplyBody(42));
    await jest.advanceTimersByTimeAsync(1);
    expect(link().ops().filter((o) => o === Op.Heartbeat)).toHaveLength(2);
    expect(log.online).toEqual([42]);
    client.close();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('beats at most every half of the idle timeout from the goim-ts op-8 body, and never faster than 1 s', async () => {
    const a = await connected({ heartbeatIntervalMs: 30_000 });
    a.link().handlers.onOpen();
    a.link().authOk(8); // idle timeout 8 s → beat every 4 s
    expect(a.client.session).toEqual({ mid: 1, key: 'k', room_id: 'live://1', heartbeat: 8 });
    await jest.advanceTimersByTimeAsync(4_000);
    expect(a.link().ops().filter((o) => o === Op.Heartbeat)).toHaveLength(2);
    a.client.close();

    const b = await connected({ heartbeatIntervalMs: 30_000 });
    b.link().handlers.onOpen();
    b.link().authOk(0.5);
    await jest.advanceTimersByTimeAsync(999);
    expect(b.link().ops().filter((o) => o === Op.Heartbeat)).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(b.link().ops().filter((o) => o === Op.Heartbeat)).toHaveLength(2);
    b.client.close();
  });

  it('reconnects when nothing arrives for two heartbeat periods plus 1 s', async () => {
    const { client, log, link, links } = await connected({ heartbeatIntervalMs: 5_000, reconnect: { baseDelayMs: 100, jitter: 0 } });
    link().handlers.onOpen();
    link().authOk();
    await jest.advanceTimersByTimeAsync(10_000); // beats at 5 s and 10 s; 10 s silent is not yet > 11 s
    expect(link().closedByClient).toBe(false);
    await jest.advanceTimersByTimeAsync(5_000); // the beat at 15 s finds 15 s of silence
    expect(link().closedByClient).toBe(true);
    link().handlers.onClose('closed');
    expect(log.closes).toEqual([{ reason: 'closed', reconnectInMs: 100 }]);
    await jest.advanceTimersByTimeAsync(100);
    expect(links).toHaveLength(2);
    client.close();
  });
});

describe('GoimClient: frames from the server', () => {
  it('unpacks op-9 batches on a message transport and routes pushes, replies and notices', async () => {
    const { client, log, link } = await connected();
    link().handlers.onOpen();
    link().authOk();
    const batch = encodeRawBatch([
      { op: 1000, body: bytes('a') },
      { op: 1001, body: bytes('b') },
    ]);
    const wrapped = new Uint8Array(16 + batch.length);
    wrapped.set(wrapRaw(batch));
    wrapped.set(batch, 16);
    link().deliver(wrapped);
    link().frame(2000, bytes('plain push'));
    link().frame(Op.JoinRoomReply, bytes('live://2'), 0);
    link().frame(1500, bytes('echo'), 3); // an upstream message's echo carries its seq
    expect(log.messages.map((m) => [m.op, text(m.body)])).toEqual([
      [1000, 'a'],
      [1001, 'b'],
      [2000, 'plain push'],
    ]);
    expect(log.replies.map((m) => [m.op, m.seq, text(m.body)])).toEqual([
      [Op.JoinRoomReply, 0, 'live://2'],
      [1500, 3, 'echo'],
    ]);
    expect(client.state).toBe('open');
    client.close();
  });

  it('reassembles frames split across chunks on a stream transport (TCP)', async () => {
    const { client, log, link } = await connected({}, 'stream');
    link().handlers.onOpen();
    const all = new Uint8Array([...encodeFrame({ ver: 1, op: Op.AuthReply, seq: 0 }), ...encodeFrame({ ver: 1, op: 1000, seq: 0, body: bytes('hello') })]);
    for (let i = 0; i < all.length; i += 3) link().deliver(all.subarray(i, i + 3));
    expect(log.auth).toBe(1);
    expect(log.messages.map((m) => text(m.body))).toEqual(['hello']);
    client.close();
  });

  it('reports a malformed frame as an error and drops that connection', async () => {
    const { client, log, link } = await connected({ reconnect: { baseDelayMs: 50, jitter: 0 } });
    link().handlers.onOpen();
    link().authOk();
    link().deliver(new Uint8Array([0, 0, 0, 40, 0, 16, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0])); // packLen 40 ≠ 16 bytes
    expect(log.errors).toHaveLength(1);
    expect((log.errors[0] as Error).name).toBe('ProtocolError');
    expect(link().closedByClient).toBe(true);
    client.close();
  });

  it('stops for good after a terminal op-6 notice, and reconnects after a reconnect notice', async () => {
    const a = await connected({ reconnect: { baseDelayMs: 10, jitter: 0 } });
    a.link().handlers.onOpen();
    a.link().authOk();
    a.link().frame(Op.DisconnectReply, encodeDisconnectBody(DisconnectCode.KICKED, 'bye'));
    a.link().handlers.onClose('server closed');
    expect(a.log.notices).toEqual([{ code: DisconnectCode.KICKED, reason: 'bye', reconnect: false }]);
    expect(a.log.closes).toEqual([{ reason: 'server closed' }]);
    expect(a.client.state).toBe('closed');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(a.links).toHaveLength(1);

    const b = await connected({ reconnect: { baseDelayMs: 10, jitter: 0 } });
    b.link().handlers.onOpen();
    b.link().authOk();
    b.link().frame(Op.DisconnectReply, encodeDisconnectBody(DisconnectCode.SHUTDOWN, 'restart'));
    b.link().handlers.onClose('server closed');
    expect(b.log.closes).toEqual([{ reason: 'server closed', reconnectInMs: 10 }]);
    await jest.advanceTimersByTimeAsync(10);
    expect(b.links).toHaveLength(2);
    b.client.close();
  });
});

describe('GoimClient: reconnecting', () => {
  it('backs off by factor up to maxDelayMs, resets after an auth, and gives up after maxAttempts', async () => {
    const { client, log, links, link } = await connected({
      url: ['ws://a/sub', 'ws://b/sub'],
      reconnect: { baseDelayMs: 100, factor: 2, maxDelayMs: 300, jitter: 0, maxAttempts: 4 },
    });
    const fail = async () => {
      link().handlers.onClose('refused');
      const d = log.closes[log.closes.length - 1]!.reconnectInMs;
      if (d !== undefined) await jest.advanceTimersByTimeAsync(d);
      return d;
    };
    expect(await fail()).toBe(100);
    expect(await fail()).toBe(200);
    link().handlers.onOpen();
    link().authOk(); // success resets the backoff
    expect(await fail()).toBe(100);
    expect(await fail()).toBe(200);
    expect(await fail()).toBe(300);
    expect(await fail()).toBe(300);
    expect(await fail()).toBeUndefined(); // fifth failure in a row: maxAttempts 4 reached
    expect(client.state).toBe('closed');
    expect(links.map((l) => l.url)).toEqual(['ws://a/sub', 'ws://b/sub', 'ws://a/sub', 'ws://b/sub', 'ws://a/sub', 'ws://b/sub', 'ws://a/sub']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('spreads delays by ± jitter', async () => {
    const random = jest.spyOn(Math, 'random');
    const { client, log, link } = await connected({ reconnect: { baseDelayMs: 1_000, jitter: 0.3 } });
    random.mockReturnValueOnce(0);
    link().handlers.onClose('x');
    await jest.advanceTimersByTimeAsync(700);
    random.mockReturnValueOnce(0.999_999);
    link().handlers.onClose('x');
    expect(log.closes.map((c) => c.reconnectInMs)).toEqual([700, 2_340]); // 1000 × 0.7, 1800 × 1.3
    random.mockRestore();
    client.close();
  });

  it('asks the url and token functions again on every attempt, and retries when they fail', async () => {
    let n = 0;
    const t = fakeTransport();
    const client = new GoimClient({
      url: async () => `ws://node${++n}/sub`,
      token: () => {
        if (n === 1) throw new Error('token service down');
        return `jwt-${n}`;
      },
      transport: t.factory,
      reconnect: { baseDelayMs: 10, jitter: 0 },
    });
    const log = track(client);
    client.connect();
    await settle();
    expect(log.errors.map((e) => (e as Error).message)).toEqual(['token service down']);
    expect(t.links).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(10);
    expect(t.links.map((l) => l.url)).toEqual(['ws://node2/sub']);
    t.links[0]!.handlers.onOpen();
    expect(text(t.links[0]!.sent[0]!.body)).toBe('jwt-2');
    client.close();
  });

  it('retries when the transport factory throws, and does not reconnect when reconnect is false', async () => {
    const boom = new GoimClient({
      url: 'ws://x/sub',
      token: 't',
      transport: () => {
        throw new TypeError('no WebSocket');
      },
      reconnect: { baseDelayMs: 10, jitter: 0, maxAttempts: 1 },
    });
    const a = track(boom);
    boom.connect();
    await settle();
    await jest.advanceTimersByTimeAsync(10);
    expect(a.errors.map((e) => (e as Error).message)).toEqual(['no WebSocket', 'no WebSocket']);
    expect(a.closes).toEqual([
      { reason: 'transport failed to open', reconnectInMs: 10 },
      { reason: 'transport failed to open' },
    ]);

    const { client, log, link, links } = await connected({ reconnect: false });
    link().handlers.onClose('gone');
    expect(log.closes).toEqual([{ reason: 'gone' }]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(links).toHaveLength(1);
    expect(client.state).toBe('closed');
  });
});

describe('GoimClient: requests', () => {
  it('numbers requests with a growing seq and encodes rooms and op lists', async () => {
    const { client, link } = await connected();
    expect(() => client.joinRoom('live://2')).toThrow('GoimClient is connecting, not open');
    link().handlers.onOpen();
    link().authOk();
    expect([client.changeRoom('live://9'), client.joinRoom('live://2'), client.leaveRoom('live://2'), client.sub([1, 2]), client.unsub([2]), client.send(1500, 'hi')]).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    const reqs = link().sent.filter((f) => f.op !== Op.Auth && f.op !== Op.Heartbeat);
    expect(reqs.map((f) => [f.op, f.seq, text(f.body)])).toEqual([
      [Op.ChangeRoom, 1, 'live://9'],
      [Op.JoinRoom, 2, 'live://2'],
      [Op.LeaveRoom, 3, 'live://2'],
      [Op.Sub, 4, '1,2'],
      [Op.Unsub, 5, '2'],
      [1500, 6, 'hi'],
    ]);
    client.close();
    expect(() => client.send(1500)).toThrow('GoimClient is closed, not open');
  });
});

describe('webSocketTransport', () => {
  class FakeWs implements WebSocketLike {
    static last: FakeWs | undefined;
    binaryType = 'blob';
    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: { code?: number; reason?: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    sent: Uint8Array[] = [];
    closed = false;
    constructor(readonly url: string) {
      FakeWs.last = this;
    }
    send(data: Uint8Array) {
      this.sent.push(data);
    }
    close() {
      this.closed = true;
    }
  }

  it('asks for ArrayBuffers, passes binary messages on, ignores text, and reports close once', () => {
    const events: string[] = [];
    const t = webSocketTransport(FakeWs as unknown as WebSocketConstructor)('ws://h/sub', {
      onOpen: () => events.push('open'),
      onData: (b) => events.push(`data ${Array.from(b).join(',')}`),
      onClose: (r) => events.push(`close ${r}`),
    });
    const ws = FakeWs.last!;
    expect([ws.url, ws.binaryType, t.framing]).toEqual(['ws://h/sub', 'arraybuffer', 'message']);
    ws.onopen!({});
    ws.onmessage!({ data: new Uint8Array([1, 2]).buffer });
    ws.onmessage!({ data: new Uint8Array([9, 3, 4, 9]).subarray(1, 3) });
    ws.onmessage!({ data: 'text frame' });
    t.send(new Uint8Array([5]));
    ws.onerror!({});
    ws.onclose!({ code: 1006 });
    t.close();
    expect(events).toEqual(['open', 'data 1,2', 'data 3,4', 'close websocket error']);
    expect(ws.sent).toEqual([new Uint8Array([5])]);
    expect(ws.closed).toBe(true);
  });

  it('names the close code when there is no reason, and fails clearly without a WebSocket', () => {
    const events: string[] = [];
    webSocketTransport(FakeWs as unknown as WebSocketConstructor)('ws://h/sub', { onOpen: () => {}, onData: () => {}, onClose: (r) => events.push(r) });
    FakeWs.last!.onclose!({ code: 1001 });
    expect(events).toEqual(['websocket closed (1001)']);
    const g = globalThis as { WebSocket?: unknown };
    const saved = g.WebSocket;
    delete g.WebSocket;
    try {
      expect(() => webSocketTransport()('ws://h/sub', { onOpen: () => {}, onData: () => {}, onClose: () => {} })).toThrow('no WebSocket implementation');
    } finally {
      if (saved !== undefined) g.WebSocket = saved;
    }
  });
});

