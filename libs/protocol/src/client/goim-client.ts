/**
 * GoimClient: a ready goim v2 client for browsers and Node — auth, heartbeats at the
 * server's cadence, idle detection, reconnect with jittered exponential backoff, op-9
 * unpacking, rooms and op subscriptions. Browser-safe (no Node built-ins); the TCP
 * transport lives in the Node-only `@goim/protocol/node` subpath.
 */
import { decodeAuthReplyBody, decodeHeartbeatReplyBody, encodeAuthToken, encodeOpList, type AuthReplyBody, type AuthToken } from '../bodies.js';
import { decodeDisconnectBody, type DisconnectNotice } from '../disconnect.js';
import { encodeFrame, type Frame } from '../frame.js';
import { Op } from '../ops.js';
import { iterateRawBatch } from '../raw-batch.js';
import { FrameStreamDecoder } from '../stream-decoder.js';
import { decodeWsMessage } from '../ws-message.js';
import { webSocketTransport, type ClientTransport, type TransportFactory } from './transport.js';

/** Reconnect backoff; field meanings follow goim's NodesReply `backoff` (there in seconds). */
export interface ReconnectOptions {
  /** First delay in ms; default 1000. */
  baseDelayMs?: number;
  /** Largest delay in ms; default 30 000. */
  maxDelayMs?: number;
  /** Growth per attempt; default 1.8 (goim's). */
  factor?: number;
  /** Random spread, 0–1, applied ± to each delay; default 0.3 (goim's). */
  jitter?: number;
  /** Give up after this many failed attempts in a row; default Infinity. */
  maxAttempts?: number;
}

export interface GoimClientOptions {
  /**
   * Where to connect: `ws://host:3102/sub` (WebSocket) or, with the Node TCP transport,
   * `tcp://host:3101`. A list is tried in turn on reconnects.
   */
  url: string | readonly string[] | (() => string | Promise<string>);
  /** The op-7 body: an auth token object (goim JSON), raw bytes (e.g. a JWT), or a function giving either per attempt. */
  token: Partial<AuthToken> | Uint8Array | string | (() => Partial<AuthToken> | Uint8Array | string | Promise<Partial<AuthToken> | Uint8Array | string>);
  /** Transport; default the WebSocket transport. */
  transport?: TransportFactory;
  /** Heartbeat period in ms; default 30 000 (goim's web demo), never more than half the server's idle timeout. */
  heartbeatIntervalMs?: number;
  /** Reconnect policy; `false` disables reconnecting. */
  reconnect?: ReconnectOptions | false;
  /** Protocol version sent in frames; default 1. */
  ver?: number;
}

/** A server push or reply delivered to the application. */
export interface ClientMessage {
  op: number;
  seq: number;
  ver: number;
  body: Uint8Array;
}

export interface GoimClientEvents {
  /** Authenticated; `reply` is the goim-ts op-8 body (undefined from a goim server). */
  auth: (reply: AuthReplyBody | undefined) => void;
  /** A push (room, key, broadcast) or a server frame with a business op. */
  message: (message: ClientMessage) => void;
  /** The echo of one of this client's requests (room, sub/unsub, upstream messages). */
  reply: (message: ClientMessage) => void;
  /** Room online count from a heartbeat reply. */
  online: (count: number) => void;
  /** The server said why it disconnects (op 6). */
  disconnect: (notice: DisconnectNotice) => void;
  /** The connection closed; `reconnectInMs` is set when a reconnect is scheduled. */
  close: (info: { reason: string; reconnectInMs?: number }) => void;
  /** A malformed server frame or a transport failure. */
  error: (err: unknown) => void;
}

export type GoimClientState = 'idle' | 'connecting' | 'authenticating' | 'open' | 'closed';

type Listener = (...args: never[]) => void;
const REPLY_OPS = new Set<number>([Op.ChangeRoomReply, Op.SubReply, Op.UnsubReply, Op.JoinRoomReply, Op.LeaveRoomReply]);
const textEncoder = new TextEncoder();

export class GoimClient {
  private readonly opts: GoimClientOptions;
  private readonly listeners = new Map<keyof GoimClientEvents, Set<Listener>>();
  private transport: ClientTransport | undefined;
  private decoder: FrameStreamDecoder | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private lastReceived = 0;
  private heartbeatMs: number;
  private attempts = 0;
  private urlIndex = 0;
  private seq = 0;
  private stopped = true;
  private noReconnect = false;
  private _state: GoimClientState = 'idle';
  /** The op-8 reply of the current connection. */
  session: AuthReplyBody | undefined;

  constructor(options: GoimClientOptions) {
    this.opts = options;
    this.heartbeatMs = options.heartbeatIntervalMs ?? 30_000;
  }

  get state(): GoimClientState {
    return this._state;
  }

  on<E extends keyof GoimClientEvents>(event: E, fn: GoimClientEvents[E]): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener);
    return this;
  }

  off<E extends keyof GoimClientEvents>(event: E, fn: GoimClientEvents[E]): this {
    this.listeners.get(event)?.delete(fn as Listener);
    return this;
  }

  /** Connects (and keeps reconnecting until `close()` or a terminal op-6 notice). */
  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.noReconnect = false;
    void this.open();
  }

  /** Closes for good: no reconnect. */
  close(): void {
    this.stopped = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.teardown('closed by client');
    this._state = 'closed';
  }

  /** Sends an upstream frame (business op); returns its seq (the echo comes as a `reply`). */
  send(op: number, body: Uint8Array | string = new Uint8Array(0)): number {
    return this.write(op, typeof body === 'string' ? textEncoder.encode(body) : body);
  }

  /** op 12: replace all rooms by `room` ('' leaves every room). */
  changeRoom(room: string): number {
    return this.write(Op.ChangeRoom, textEncoder.encode(room));
  }
  /** op 18 (goim-ts): join one more room. */
  joinRoom(room: string): number {
    return this.write(Op.JoinRoom, textEncoder.encode(room));
  }
  /** op 20 (goim-ts): leave one room. */
  leaveRoom(room: string): number {
    return this.write(Op.LeaveRoom, textEncoder.encode(room));
  }
  /** op 14: also accept these ops for key pushes and broadcasts. */
  sub(ops: readonly number[]): number {
    return this.write(Op.Sub, encodeOpList(ops));
  }
  /** op 16: stop accepting these ops. */
  unsub(ops: readonly number[]): number {
    return this.write(Op.Unsub, encodeOpList(ops));
  }

  private emit<E extends keyof GoimClientEvents>(event: E, ...args: Parameters<GoimClientEvents[E]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of set) (fn as unknown as (...a: Parameters<GoimClientEvents[E]>) => void)(...args);
  }

  private write(op: number, body: Uint8Array): number {
    if (!this.transport || this._state !== 'open') throw new Error(`GoimClient is ${this._state}, not open`);
    this.seq = (this.seq % 0x7fffffff) + 1;
    this.transport.send(encodeFrame({ ver: this.opts.ver ?? 1, op, seq: this.seq, body }));
    return this.seq;
  }

  private async nextUrl(): Promise<string> {
    const u = this.opts.url;
    if (typeof u === 'function') return u();
    if (typeof u === 'string') return u;
    const url = u[this.urlIndex % u.length]!;
    this.urlIndex++;
    return url;
  }

  private async tokenBytes(): Promise<Uint8Array> {
    const t = typeof this.opts.token === 'function' ? await this.opts.token() : this.opts.token;
    if (t instanceof Uint8Array) return t;
    if (typeof t === 'string') return textEncoder.encode(t);
    return encodeAuthToken(t);
  }

  private async open(): Promise<void> {
    this._state = 'connecting';
    let url: string;
    let token: Uint8Array;
    try {
      [url, token] = await Promise.all([this.nextUrl(), this.tokenBytes()]);
    } catch (err) {
      this.emit('error', err);
      this.scheduleReconnect('could not prepare the connection');
      return;
    }
    if (this.stopped) return;
    const factory = this.opts.transport ?? webSocketTransport();
    let transport: ClientTransport;
    try {
      transport = factory(url, {
        onOpen: () => {
          if (this.transport !== transport) return;
          this._state = 'authenticating';
          this.lastReceived = Date.now();
          transport.send(encodeFrame({ ver: this.opts.ver ?? 1, op: Op.Auth, seq: 0, body: token }));
        },
        onData: (bytes) => {
          if (this.transport === transport) this.onData(bytes);
        },
        onClose: (reason) => {
          if (this.transport !== transport) return;
          this.teardown(reason);
          this.scheduleReconnect(reason);
        },
      });
    } catch (err) {
      this.emit('error', err);
      this.scheduleReconnect('transport failed to open');
      return;
    }
    this.transport = transport;
    this.decoder = transport.framing === 'stream' ? new FrameStreamDecoder({ maxPackLen: Infinity }) : undefined;
  }

  private onData(bytes: Uint8Array): void {
    this.lastReceived = Date.now();
    try {
      if (this.decoder) this.decoder.feed(bytes, (f) => this.onFrame(f));
      else this.onFrame(decodeWsMessage(bytes, Infinity));
    } catch (err) {
      this.emit('error', err);
      this.transport?.close();
    }
  }

  private onFrame(f: Frame): void {
    switch (f.op) {
      case Op.AuthReply: {
        this._state = 'open';
        this.attempts = 0;
        this.session = f.body.length > 0 ? decodeAuthReplyBody(f.body) : undefined;
        const idleMs = this.session?.heartbeat ? this.session.heartbeat * 1000 : Infinity;
        this.heartbeatMs = Math.max(1_000, Math.min(this.opts.heartbeatIntervalMs ?? 30_000, idleMs / 2));
        this.startHeartbeat();
        this.emit('auth', this.session);
        return;
      }
      case Op.HeartbeatReply:
        if (f.body.length >= 4) this.emit('online', decodeHeartbeatReplyBody(f.body));
        return;
      case Op.DisconnectReply: {
        const notice = decodeDisconnectBody(f.body);
        if (notice) {
          if (!notice.reconnect) this.noReconnect = true;
          this.emit('disconnect', notice);
        }
        return;
      }
      case Op.Raw:
        for (const inner of iterateRawBatch(f.body)) this.emit('message', inner);
        return;
      default:
        // Pushes carry seq 0 (spec §1.5); anything with a seq answers one of our requests.
        if (REPLY_OPS.has(f.op) || f.seq !== 0) this.emit('reply', f);
        else this.emit('message', f);
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    const beat = () => {
      // Idle detection: nothing (not even a heartbeat reply) for two periods → reconnect.
      if (Date.now() - this.lastReceived > 2 * this.heartbeatMs + 1_000) {
        this.transport?.close();
        return;
      }
      this.transport?.send(encodeFrame({ ver: this.opts.ver ?? 1, op: Op.Heartbeat, seq: 0 }));
    };
    beat();
    this.heartbeatTimer = setInterval(beat, this.heartbeatMs);
  }

  private teardown(_reason: string): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const t = this.transport;
    this.transport = undefined;
    this.decoder = undefined;
    this.session = undefined;
    t?.close();
  }

  private scheduleReconnect(reason: string): void {
    const r = this.opts.reconnect;
    if (this.stopped || this.noReconnect || r === false || this.attempts >= (r?.maxAttempts ?? Infinity)) {
      this._state = 'closed';
      this.stopped = true;
      this.emit('close', { reason });
      return;
    }
    const base = r?.baseDelayMs ?? 1_000;
    const max = r?.maxDelayMs ?? 30_000;
    const factor = r?.factor ?? 1.8;
    const jitter = r?.jitter ?? 0.3;
    const raw = Math.min(max, base * Math.pow(factor, this.attempts));
    const delay = Math.max(0, Math.round(raw * (1 + jitter * (Math.random() * 2 - 1))));
    this.attempts++;
    this._state = 'connecting';
    this.emit('close', { reason, reconnectInMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) void this.open();
    }, delay);
  }
}
