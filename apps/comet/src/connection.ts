/**
 * Per-connection protocol handling shared by the TCP and WebSocket transports (spec §1.3,
 * §2.2): handshake, auth through logic, heartbeats, room/accepts ops, upstream messages,
 * timeouts and disconnect notices. A transport subclass only moves bytes.
 *
 * Memory matters here (idle connections dominate a comet): a connection is one object plus
 * its socket; event handlers, the timer wheel and the frame callback are shared, not
 * per-connection closures or timers.
 */
import {
  DisconnectCode,
  Op,
  ProtocolError,
  encodeAuthReplyBody,
  encodeDisconnectBody,
  encodeFrame,
  parseOpList,
  writeHeader,
  type DisconnectNotice,
  type Frame,
} from '@goim/protocol';
import { RpcError, RpcStatus, type LogicService } from '@goim/protocol/rpc';
import type { Buckets, Channel, Outbound, Sink } from '@goim/bucket';
import type { CometMetrics } from './metrics.js';
import type { Logger } from './logger.js';

/** The goim server-heartbeat window: a logic Heartbeat at most every random 10–30 min (spec §2.6). */
const MIN_SERVER_HEARTBEAT_MS = 10 * 60_000;
const MAX_SERVER_HEARTBEAT_MS = 30 * 60_000;
/** `serverHeartbeatGen` while a logic Heartbeat is in flight (resync generations are ≥ 0). */
const SERVER_HEARTBEAT_IN_FLIGHT = -1;

const STATE_HANDSHAKE = 0;
const STATE_AUTHENTICATING = 1;
const STATE_OPEN = 2;
const STATE_CLOSING = 3;
const STATE_CLOSED = 4;

const EMPTY = new Uint8Array(0);
const textDecoder = new TextDecoder();

/** The shared timer wheel holding each connection's single deadline (a @goim/bucket TimerWheel). */
export interface Deadlines {
  /** Arms or re-arms `conn`'s deadline `delayMs` from now. */
  add(conn: Connection, delayMs: number): void;
  /** Disarms it. */
  remove(conn: Connection): boolean;
}

/** What every connection of one comet shares. */
export interface ConnectionContext {
  /** This comet's id (`-host`), sent to logic as `server`. */
  readonly host: string;
  readonly logic: LogicService;
  readonly buckets: Buckets;
  readonly deadlines: Deadlines;
  readonly metrics: CometMetrics;
  readonly logger: Logger | undefined;
  readonly handshakeTimeoutMs: number;
  readonly defaultIdleTimeoutMs: number;
  readonly maxPendingFrames: number;
  /** Grace before a closing socket that did not finish its close is destroyed. */
  readonly closeGraceMs: number;
  /**
   * Comet-wide resync generation, bumped when logic reports that its session store lost its
   * data (a new epoch in RenewOnline). A connection whose session was last written to logic
   * (Connect or Heartbeat) under an older generation sends logic Heartbeat — which re-adds the
   * mapping — on its next client heartbeat, so the resync spreads over the client heartbeat
   * interval and nothing walks the connections.
   */
  resyncGeneration: number;
  now(): number;
  random(): number;
  /** Registers a live connection (for graceful shutdown). */
  track(conn: Connection): void;
  untrack(conn: Connection): void;
  /** Watches a connection whose transport holds unsent bytes (write deadline). */
  watchWrite(conn: Connection): void;
  /** Counts a failed logic Receive (one shared handler, not a closure per connection). */
  readonly receiveFailed: (err: unknown) => void;
  /** Tells logic a session ended; tracked so shutdown can wait for it. */
  disconnectFromLogic(mid: number, key: string): void;
}

/** The op-6 notice for an error thrown by logic `Connect`. */
export function authErrorNotice(err: unknown): DisconnectNotice {
  const message = err instanceof Error ? err.message : String(err);
  if (
    err instanceof RpcError &&
    (err.code === RpcStatus.UNAUTHENTICATED || err.code === RpcStatus.PERMISSION_DENIED || err.code === RpcStatus.INVALID_ARGUMENT)
  ) {
    return { code: DisconnectCode.AUTH_FAILED, reason: `auth failed: ${clip(message)}`, reconnect: false };
  }
  return { code: DisconnectCode.SERVER_ERROR, reason: 'auth unavailable', reconnect: true };
}

function clip(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Name of a disconnect code for metric labels. */
export function disconnectCodeName(code: number | undefined): string {
  if (code === undefined) return 'none';
  for (const [name, value] of Object.entries(DisconnectCode)) if (value === code) return name.toLowerCase();
  return String(code);
}

/** The op-6 frame for a notice. */
export function noticeFrame(notice: DisconnectNotice): Uint8Array {
  return encodeFrame({ ver: 1, op: Op.DisconnectReply, seq: 0, body: encodeDisconnectBody(notice.code, notice.reason, notice.reconnect) });
}

/** A reply that echoes `body` under `op` with the request's ver/seq (one allocation). */
function echo(f: Frame, op: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + body.length);
  writeHeader(out, 0, { ver: f.ver, op, seq: f.seq }, body.length);
  out.set(body, 16);
  return out;
}

function heartbeatReply(f: Frame, online: number): Uint8Array {
  const out = new Uint8Array(20);
  writeHeader(out, 0, { ver: f.ver, op: Op.HeartbeatReply, seq: f.seq }, 4);
  new DataView(out.buffer).setInt32(16, online | 0);
  return out;
}

/**
 * One client connection. Subclasses implement the transport hooks; everything else
 * (the goim protocol) lives here.
 */
export abstract class Connection implements Sink {
  /** @internal When the write-deadline watch last saw progress (0 = not watched). */
  _writeSince = 0;
  /** @internal Buffered bytes at the last write-deadline check. */
  _writeLast = 0;
  private state = STATE_HANDSHAKE;
  private channel: Channel | undefined = undefined;
  private pending: Frame[] | undefined = undefined;
  private idleMs = 0;
  private nextServerHeartbeatAt = 0;
  // The resync generation under which logic last recorded this session (ctx.resyncGeneration),
  // or SERVER_HEARTBEAT_IN_FLIGHT. One number instead of a busy flag plus a generation keeps
  // the connection object at its size (memory budget per idle connection).
  private serverHeartbeatGen = 0;

  constructor(
    protected readonly ctx: ConnectionContext,
    /** Remote IP without port. */
    readonly ip: string,
    /** The HTTP Cookie header (WebSocket) or '' (TCP), passed to logic Connect; dropped after auth. */
    private cookie: string,
  ) {}

  /** Transport label for metrics. */
  abstract readonly transport: 'tcp' | 'ws' | 'wss';
  /** Bytes accepted by the transport but not yet handed to the kernel. */
  abstract get bufferedBytes(): number;
  /** Writes the pending items (Sink contract). */
  abstract flush(items: readonly Outbound[]): void;
  /** Writes `frame` (best effort) and starts an orderly close of the transport. */
  protected abstract endTransport(notice: DisconnectNotice | undefined): void;
  /** Drops the transport now. */
  protected abstract destroyTransport(): void;
  protected abstract pauseReading(): void;
  protected abstract resumeReading(): void;

  /** Whether this connection finished auth and is registered in a bucket. */
  get authenticated(): boolean {
    return this.channel !== undefined;
  }

  /** The authenticated channel, if any. */
  get channelOf(): Channel | undefined {
    return this.channel;
  }

  /** Arms the handshake deadline; called by the transport once the socket is usable. */
  protected start(): void {
    this.ctx.track(this);
    this.ctx.metrics.connectionsOpened.inc({ transport: this.transport });
    this.ctx.deadlines.add(this, this.ctx.handshakeTimeoutMs);
  }

  /** One decoded client frame. */
  onFrame(f: Frame): void {
    switch (this.state) {
      case STATE_HANDSHAKE:
        // goim: every frame before op 7 is discarded without a reply (spec §1.3).
        if (f.op === Op.Auth) void this.authenticate(f);
        else this.ctx.metrics.framesBeforeAuth.inc();
        return;
      case STATE_AUTHENTICATING:
        // Frames sent right behind the auth frame are handled, in order, once auth is done.
        this.pending!.push(f);
        if (this.pending!.length > this.ctx.maxPendingFrames) {
          this.ctx.metrics.protocolErrors.inc({ code: 'too_many_frames_before_auth_reply' });
          this.close({ code: DisconnectCode.PROTOCOL_ERROR, reason: 'too many frames before the auth reply', reconnect: false });
        }
        return;
      case STATE_OPEN:
        this.handle(f, this.channel!);
        return;
      default:
        return; // closing: ignore input
    }
  }

  private handle(f: Frame, ch: Channel): void {
    const { buckets } = this.ctx;
    switch (f.op) {
      case Op.Heartbeat: {
        this.ctx.deadlines.add(this, this.idleMs);
        ch.reply(heartbeatReply(f, buckets.onlineOf(ch)));
        const gen = this.serverHeartbeatGen;
        if (gen !== SERVER_HEARTBEAT_IN_FLIGHT && (gen !== this.ctx.resyncGeneration || this.ctx.now() >= this.nextServerHeartbeatAt)) {
          this.serverHeartbeat(ch, gen);
        }
        return;
      }
      case Op.ChangeRoom:
        this.roomOp(() => buckets.changeRoom(ch, textDecoder.decode(f.body)));
        ch.reply(echo(f, Op.ChangeRoomReply, f.body));
        return;
      case Op.JoinRoom:
        this.roomOp(() => buckets.joinRoom(ch, textDecoder.decode(f.body)));
        ch.reply(echo(f, Op.JoinRoomReply, f.body));
        return;
      case Op.LeaveRoom:
        this.roomOp(() => buckets.leaveRoom(ch, textDecoder.decode(f.body)));
        ch.reply(echo(f, Op.LeaveRoomReply, f.body));
        return;
      case Op.Sub:
      case Op.Unsub: {
        // goim: a malformed list is ignored as a whole; the body is echoed either way.
        const ops = parseOpList(f.body);
        if (ops) {
          if (f.op === Op.Sub) ch.watch(ops);
          else ch.unwatch(ops);
        }
        ch.reply(echo(f, f.op + 1, f.body));
        return;
      }
      default: {
        // Any other op (4, a second 7, business ops): forwarded to logic, echoed with an empty body.
        this.ctx.logic
          .receive({ mid: ch.mid, proto: { ver: f.ver, op: f.op, seq: f.seq, body: Buffer.from(f.body) } })
          .catch(this.ctx.receiveFailed);
        ch.reply(echo(f, f.op, EMPTY));
      }
    }
  }

  // goim: a failed room change is only logged; the echo is sent regardless (spec §1.3).
  private roomOp(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.logger?.debug({ err }, 'room change failed');
    }
  }

  private serverHeartbeat(ch: Channel, previousGen: number): void {
    // The generation as the call starts: a resync that happens while it is in flight may have
    // wiped what this call writes, so that one is redone on the next client heartbeat.
    const gen = this.ctx.resyncGeneration;
    this.serverHeartbeatGen = SERVER_HEARTBEAT_IN_FLIGHT;
    this.ctx.logic.heartbeat({ mid: ch.mid, key: ch.key, server: this.ctx.host }).then(
      () => {
        this.serverHeartbeatGen = gen;
        this.nextServerHeartbeatAt = this.drawServerHeartbeat();
      },
      (err: unknown) => {
        // Retried on the next client heartbeat (still due by time or by generation).
        this.serverHeartbeatGen = previousGen;
        this.ctx.metrics.logicErrors.inc({ method: 'heartbeat' });
        this.ctx.logger?.debug({ err }, 'logic heartbeat failed');
      },
    );
  }

  private drawServerHeartbeat(): number {
    return this.ctx.now() + MIN_SERVER_HEARTBEAT_MS + Math.floor(this.ctx.random() * (MAX_SERVER_HEARTBEAT_MS - MIN_SERVER_HEARTBEAT_MS));
  }

  private async authenticate(f: Frame): Promise<void> {
    const { ctx } = this;
    this.state = STATE_AUTHENTICATING;
    this.pending = [];
    this.pauseReading(); // bounds what a client can pile up while logic answers
    let reply;
    try {
      const cookie = this.cookie;
      this.cookie = ''; // browsers send large cookies; don't keep them for the connection's life
      // As for Heartbeat: Connect's write counts for the generation current when it was sent.
      this.serverHeartbeatGen = ctx.resyncGeneration;
      reply = await ctx.logic.connect({ server: ctx.host, cookie, token: Buffer.from(f.body) });
    } catch (err) {
      if (this.state !== STATE_AUTHENTICATING) return;
      const notice = authErrorNotice(err);
      ctx.metrics.auths.inc({ result: notice.code === DisconnectCode.AUTH_FAILED ? 'rejected' : 'error' });
      if (notice.code !== DisconnectCode.AUTH_FAILED) ctx.logger?.warn({ err }, 'logic connect failed');
      // goim closes silently; we send op 6 with the reason first (divergence, DESIGN §3).
      this.close(notice);
      return;
    }
    if (this.state !== STATE_AUTHENTICATING) {
      // The client left while logic was recording the session: undo it.
      if (reply.key) ctx.disconnectFromLogic(reply.mid, reply.key);
      return;
    }
    if (!reply.key) {
      ctx.metrics.auths.inc({ result: 'error' });
      this.close({ code: DisconnectCode.SERVER_ERROR, reason: 'logic returned no key', reconnect: true });
      return;
    }
    const ch = ctx.buckets.newChannel({ key: reply.key, mid: reply.mid, ip: this.ip, sink: this, accepts: reply.accepts });
    this.channel = ch;
    this.state = STATE_OPEN;
    ctx.metrics.auths.inc({ result: 'ok' });
    try {
      ctx.buckets.put(ch, reply.roomID || undefined); // closes an older channel with this key (REPLACED)
    } catch (err) {
      ctx.logger?.warn({ err }, 'bucket put failed');
      this.close({ code: DisconnectCode.SERVER_ERROR, reason: 'cannot register the connection', reconnect: true });
      return;
    }
    // logic's heartbeat is in nanoseconds (goim: node.heartbeat × heartbeatMax).
    this.idleMs = reply.heartbeat > 0 ? Math.ceil(reply.heartbeat / 1e6) : ctx.defaultIdleTimeoutMs;
    ctx.deadlines.add(this, this.idleMs);
    this.nextServerHeartbeatAt = this.drawServerHeartbeat();
    // goim replies with an empty body; ours adds {mid,key,room_id,heartbeat} (old clients ignore it).
    const body = encodeAuthReplyBody({ mid: reply.mid, key: reply.key, room_id: reply.roomID, heartbeat: this.idleMs / 1000 });
    ch.reply(echo(f, Op.AuthReply, body));
    const queued = this.pending;
    this.pending = undefined;
    this.resumeReading();
    if (queued) for (const q of queued) if (this.state === STATE_OPEN) this.handle(q, ch);
  }

  /** A frame-level protocol violation: op 6 with the error code as reason, then close. */
  onProtocolError(err: unknown): void {
    if (this.state >= STATE_CLOSING) return;
    const code = err instanceof ProtocolError ? err.code : 'GOIM_ERR_PROTOCOL_UNKNOWN';
    this.ctx.metrics.protocolErrors.inc({ code });
    this.close({ code: DisconnectCode.PROTOCOL_ERROR, reason: code, reconnect: false });
  }

  /**
   * Closes the connection, sending op 6 first when a `notice` is given (Sink contract; also
   * used internally). Goes through the channel when there is one so it leaves its bucket and
   * rooms. Idempotent.
   */
  close(notice?: DisconnectNotice): void {
    if (this.state >= STATE_CLOSING) return;
    const ch = this.channel;
    if (ch !== undefined && !ch.closed) {
      ch.close(notice); // flushes what is queued, leaves the bucket, then calls back here
      if (this.state >= STATE_CLOSING) return;
    }
    // Reading was paused while logic checked the token; the close handshake needs it back.
    if (this.state === STATE_AUTHENTICATING) this.resumeReading();
    this.state = STATE_CLOSING;
    this.pending = undefined;
    this.ctx.metrics.disconnects.inc({ reason: disconnectCodeName(notice?.code) });
    this.endTransport(notice);
    this.ctx.deadlines.add(this, this.ctx.closeGraceMs);
  }

  /** The timer wheel fired this connection's deadline. */
  onDeadline(): void {
    switch (this.state) {
      case STATE_HANDSHAKE:
      case STATE_AUTHENTICATING:
        this.close({ code: DisconnectCode.HANDSHAKE_TIMEOUT, reason: 'no auth within the handshake timeout', reconnect: true });
        return;
      case STATE_OPEN:
        this.close({ code: DisconnectCode.HEARTBEAT_TIMEOUT, reason: 'heartbeat timeout', reconnect: true });
        return;
      case STATE_CLOSING:
        this.destroyTransport();
        return;
      default:
    }
  }

  /** The write deadline passed with no progress: the peer stopped reading. */
  onWriteTimeout(): void {
    if (this.state >= STATE_CLOSING) {
      this.destroyTransport();
      return;
    }
    this.ctx.metrics.writeTimeouts.inc();
    this.close({ code: DisconnectCode.SLOW_CONSUMER, reason: 'write timeout', reconnect: true });
    this.destroyTransport(); // nothing will drain; don't wait for the close grace
  }

  /** The transport is gone (socket closed): leave the bucket and tell logic. */
  protected onTransportClosed(): void {
    if (this.state === STATE_CLOSED) return;
    const wasOpen = this.state < STATE_CLOSING;
    this.state = STATE_CLOSED;
    this.pending = undefined;
    this.ctx.deadlines.remove(this);
    this.ctx.untrack(this);
    this._writeSince = 0;
    if (wasOpen) this.ctx.metrics.disconnects.inc({ reason: 'client_closed' });
    const ch = this.channel;
    if (ch !== undefined) {
      ch.close(); // idempotent; leaves the bucket and its rooms
      this.ctx.disconnectFromLogic(ch.mid, ch.key);
    }
  }

  /** Whether the transport has closed. */
  get isClosed(): boolean {
    return this.state === STATE_CLOSED;
  }

  /** Whether close() was called or the transport closed. */
  get isClosing(): boolean {
    return this.state >= STATE_CLOSING;
  }
}
