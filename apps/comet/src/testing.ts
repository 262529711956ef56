/**
 * Test helpers for comet specs (not exported from index.ts): an in-process fake of
 * LogicService that records calls, and frame clients over real TCP and WebSocket sockets.
 */
import { connect as netConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import {
  FrameStreamDecoder,
  Op,
  decodeDisconnectBody,
  decodeWsMessage,
  encodeFrame,
  parseAuthToken,
  readRawBatch,
  type DisconnectNotice,
  type Frame,
} from '@goim/protocol';
import {
  RpcError,
  RpcStatus,
  type ConnectReply,
  type ConnectReq,
  type DisconnectReq,
  type HeartbeatReq,
  type LogicService,
  type OnlineReq,
  type ReceiveReq,
} from '@goim/protocol/rpc';
import { createComet, type Comet, type CometAddresses, type CometDeps } from './comet.js';
import { resolveCometConfig, type CometConfigInput } from './config.js';

/** A LogicService double: parses goim's token JSON like logic does and records every call. */
export class FakeLogic implements LogicService {
  connects: ConnectReq[] = [];
  disconnects: DisconnectReq[] = [];
  heartbeats: HeartbeatReq[] = [];
  receives: ReceiveReq[] = [];
  onlines: OnlineReq[] = [];
  /** Cluster-wide counts returned by renewOnline. */
  allRoomCount: Record<string, number> = {};
  /** Session-store epoch returned by renewOnline ('' = none, as a Go logic). */
  epoch = '';
  /** Makes the next n heartbeat calls fail (UNAVAILABLE), as a logic whose store is down. */
  failHeartbeats = 0;
  /** Heartbeat (idle timeout) handed to comets, in nanoseconds; goim's example 8 min. */
  heartbeatNs = 8 * 60 * 1e9;
  /** Makes connect fail for a token (return the error to throw). */
  reject: ((token: Record<string, unknown>) => Error | undefined) | undefined;
  /** Delay of connect, ms. */
  connectDelayMs = 0;
  private seq = 0;

  async connect(req: ConnectReq): Promise<ConnectReply> {
    this.connects.push(req);
    if (this.connectDelayMs) await new Promise((r) => setTimeout(r, this.connectDelayMs));
    let token;
    try {
      token = parseAuthToken(req.token);
    } catch (err) {
      throw new RpcError(RpcStatus.INVALID_ARGUMENT, (err as Error).message);
    }
    const err = this.reject?.(token as unknown as Record<string, unknown>);
    if (err) throw err;
    return {
      mid: token.mid,
      key: token.key || `gen-${++this.seq}`,
      roomID: token.room_id,
      accepts: token.accepts,
      heartbeat: this.heartbeatNs,
    };
  }
  async disconnect(req: DisconnectReq) {
    this.disconnects.push(req);
    return { has: true };
  }
  async heartbeat(req: HeartbeatReq) {
    this.heartbeats.push(req);
    if (this.failHeartbeats > 0) {
      this.failHeartbeats--;
      throw new RpcError(RpcStatus.UNAVAILABLE, 'Heartbeat: session store failed');
    }
    return {};
  }
  async renewOnline(req: OnlineReq) {
    this.onlines.push(req);
    return { allRoomCount: this.allRoomCount, epoch: this.epoch };
  }
  async receive(req: ReceiveReq) {
    this.receives.push(req);
    return {};
  }
  async nodes() {
    return { domain: '', tcpPort: 0, wsPort: 0, wssPort: 0, heartbeat: 0, nodes: [], backoff: undefined, heartbeatMax: 0 };
  }
}

/** Config for tests: loopback, port 0, fast timers. */
export function testConfig(over: Record<string, Record<string, unknown>> = {}): ReturnType<typeof resolveCometConfig> {
  const base: Record<string, Record<string, unknown>> = {
    env: { host: 'comet-test' },
    tcp: { bind: ['127.0.0.1:0'] },
    websocket: { bind: ['127.0.0.1:0'] },
    rpcServer: { addr: '' },
    admin: { addr: '' },
    protocol: { timerResolution: 20 },
    online: { interval: 3_600_000 },
    shutdown: { drain: 0 },
  };
  for (const [k, v] of Object.entries(over)) base[k] = { ...base[k], ...v };
  return resolveCometConfig({ object: base as CometConfigInput });
}

/** A running comet with a fake logic. */
export interface TestComet {
  comet: Comet;
  logic: FakeLogic;
  addrs: CometAddresses;
  close(): Promise<void>;
}

export async function startComet(
  over: Record<string, Record<string, unknown>> = {},
  deps: Partial<CometDeps> = {},
  logic = new FakeLogic(),
): Promise<TestComet> {
  const comet = createComet(testConfig(over), { logic, ...deps });
  const addrs = await comet.listen();
  return { comet, logic, addrs, close: () => comet.close(0) };
}

export type Transport = 'tcp' | 'ws';

/** A received frame plus the exact bytes of its transport unit (a TCP frame or a WS message). */
export interface Received extends Frame {
  hex: string;
}

/** A goim client over a real socket that collects what the server sends. */
export class FrameClient {
  readonly received: Received[] = [];
  closed = false;
  closeInfo: { code?: number; reason?: string } = {};
  private waiters: (() => void)[] = [];
  private readonly closedPromise: Promise<void>;

  private constructor(
    readonly transport: Transport,
    private readonly tcp: Socket | undefined,
    private readonly ws: WebSocket | undefined,
    opened: Promise<void>,
  ) {
    this.opened = opened;
    this.closedPromise = new Promise((resolve) => {
      const done = () => {
        this.closed = true;
        this.notify();
        resolve();
      };
      if (tcp) tcp.on('close', done);
      if (ws)
        ws.on('close', (code, reason) => {
          this.closeInfo = { code, reason: reason.toString() };
          done();
        });
    });
  }
  readonly opened: Promise<void>;

  static async connect(transport: Transport, addrs: CometAddresses, path = '/sub', headers?: Record<string, string>): Promise<FrameClient> {
    if (transport === 'tcp') {
      const a = addrs.tcp[0]!;
      const s = netConnect({ host: a.host, port: a.port });
      const c = new FrameClient('tcp', s, undefined, new Promise((r, j) => s.once('connect', () => r()).once('error', j)));
      const dec = new FrameStreamDecoder({ maxPackLen: Infinity });
      s.on('data', (chunk: Buffer) => {
        for (const f of dec.push(chunk)) c.push({ ...f, hex: Buffer.from(encodeFrame(f)).toString('hex') });
      });
      s.on('error', () => undefined);
      await c.opened;
      return c;
    }
    const a = addrs.ws[0]!;
    const ws = new WebSocket(`ws://${a.host}:${a.port}${path}`, { headers, perMessageDeflate: false });
    const c = new FrameClient('ws', undefined, ws, new Promise((r, j) => ws.once('open', () => r()).once('error', j)));
    ws.on('message', (data: Buffer) => {
      const f = decodeWsMessage(data, Infinity);
      c.push({ ...f, hex: data.toString('hex') });
    });
    ws.on('error', () => undefined);
    await c.opened;
    return c;
  }

  private push(r: Received): void {
    this.received.push(r);
    this.notify();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Sends raw bytes (a TCP write or one WS binary message). */
  send(bytes: Uint8Array): void {
    if (this.tcp) this.tcp.write(bytes);
    else this.ws!.send(bytes);
  }

  sendFrame(f: { op: number; seq?: number; ver?: number; body?: Uint8Array | string }): void {
    const body = typeof f.body === 'string' ? new TextEncoder().encode(f.body) : f.body;
    this.send(encodeFrame({ ver: f.ver ?? 1, op: f.op, seq: f.seq ?? 0, ...(body ? { body } : {}) }));
  }

  /** Sends op 7 with `token` and waits for op 8. */
  async auth(token: Record<string, unknown>, seq = 1): Promise<Received> {
    this.sendFrame({ op: Op.Auth, seq, body: JSON.stringify(token) });
    return this.next((f) => f.op === Op.AuthReply);
  }

  /** Waits for the first not-yet-taken frame matching `pred`. */
  async next(pred: (f: Received) => boolean = () => true, timeoutMs = 3000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      if (this.closed) throw new Error(`connection closed before the expected frame (got ops ${this.received.map((r) => r.op).join(',')})`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for a frame (got ops ${this.received.map((r) => r.op).join(',')})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * The next `n` pushed frames, unwrapping op-9 frames (WS) so both transports read alike
   * (WS coalesces pushes of one tick into one op-9 frame).
   */
  async pushes(n: number, timeoutMs = 3000): Promise<Frame[]> {
    const out: Frame[] = [];
    while (out.length < n) {
      const f = await this.next(() => true, timeoutMs);
      if (this.transport === 'ws' && f.op === Op.Raw) out.push(...readRawBatch(f.body));
      else out.push(f);
    }
    return out;
  }

  /** Waits until the server closed the connection. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise((_, j) => {
        t = setTimeout(() => j(new Error('connection still open')), timeoutMs);
      }),
    ]);
    clearTimeout(t);
  }

  /** The op-6 notices received. */
  notices(): DisconnectNotice[] {
    return this.received.filter((f) => f.op === Op.DisconnectReply).map((f) => decodeDisconnectBody(f.body)!);
  }

  /** Half-closes (TCP end) or closes (WS). */
  end(): void {
    if (this.tcp) this.tcp.end();
    else this.ws!.close();
  }

  destroy(): void {
    if (this.tcp) this.tcp.destroy();
    else this.ws!.terminate();
  }

  /** Stops reading from the socket (a slow consumer). */
  pause(): void {
    if (this.tcp) this.tcp.pause();
    else (this.ws as unknown as { _socket: Socket })._socket.pause();
  }
}

/** Frames of `raw` as OpRaw pushes, like job builds them. */
export function rawProto(body: Uint8Array) {
  return { ver: 1, op: Op.Raw, seq: 0, body: Buffer.from(body) };
}
