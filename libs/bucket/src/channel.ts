import { DisconnectCode } from '@goim/protocol';
import type { DisconnectNotice } from '@goim/protocol';
import type { Bucket } from './bucket.js';
import { BucketError, BucketErrorCode } from './errors.js';
import type { FlushScheduler } from './flush-scheduler.js';
import type { Room } from './room.js';
import type { BucketCounters, BucketLogger, ChannelInit, Outbound, Sink } from './types.js';

/**
 * What channels share: the flush scheduler, the outbound bound and the counters.
 * {@link Buckets} implements it, so `new Channel(init, buckets)` or `buckets.newChannel(init)`.
 */
export interface ChannelContext {
  readonly scheduler: FlushScheduler;
  /** Bound of queued + transport-buffered bytes per connection. */
  readonly maxOutboundBytes: number;
  readonly counters: BucketCounters;
  readonly logger?: BucketLogger | undefined;
}

/** Result of queueing one item on a channel. */
export const PushResult = {
  /** Queued; it goes out with the next flush. */
  QUEUED: 0,
  /** It would have exceeded the bound: the channel was closed with SLOW_CONSUMER. */
  OVERFLOWED: 1,
  /** The channel was already closed; nothing queued. */
  CLOSED: 2,
} as const;
export type PushResult = (typeof PushResult)[keyof typeof PushResult];

const SLOW_CONSUMER_NOTICE: DisconnectNotice = Object.freeze({
  code: DisconnectCode.SLOW_CONSUMER,
  reason: 'slow consumer: outbound buffer full',
  reconnect: true,
});

/** Watched ops kept in an array up to this many; a Set beyond. */
const WATCH_ARRAY_MAX = 8;

/**
 * The state of one authenticated connection: identity (`key`, `mid`, `ip`), room
 * memberships, watched ops (accepts) and a bounded outbound queue flushed once per tick.
 *
 * Kept deliberately small (idle connections dominate memory): the watch set, the queue and
 * the room list are created on first use. Replies and pushes share one FIFO, so their order
 * per connection is kept.
 */
export class Channel {
  /** The connection key (unique per comet; a second `put` with the same key replaces this one). */
  readonly key: string;
  /** Member id (0 = anonymous). */
  readonly mid: number;
  /** Remote IP without port. */
  readonly ip: string;
  /** The transport. */
  readonly sink: Sink;
  /** @internal The bucket that holds this channel, while registered. */
  _bucket: Bucket | undefined = undefined;
  /** @internal Rooms of this channel in its bucket; [0] is the primary room (heartbeat count). */
  _rooms: Room[] | undefined = undefined;
  /**
   * Watched ops: an exact-size array up to WATCH_ARRAY_MAX ops (the usual 1–3 `accepts`), a Set
   * beyond. A Set costs ~200 B per connection, ~5 % of an idle WebSocket connection's heap
   * (tools/bench heap census); lookups in a few-element array are as fast.
   */
  private watchOps: number[] | Set<number> | undefined = undefined;
  private queue: Outbound[] | undefined = undefined;
  private queuedBytes = 0;
  private isClosed = false;
  private readonly ctx: ChannelContext;

  /** @throws BucketError GOIM_ERR_BUCKET_INVALID_ARGUMENT on an empty key or a missing sink. */
  constructor(init: ChannelInit, ctx: ChannelContext) {
    if (typeof init.key !== 'string' || init.key === '') {
      throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, '`key` must be a non-empty string');
    }
    if (!init.sink || typeof init.sink.flush !== 'function' || typeof init.sink.close !== 'function') {
      throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, '`sink` must implement flush() and close()');
    }
    this.key = init.key;
    this.mid = init.mid ?? 0;
    this.ip = init.ip ?? '';
    this.sink = init.sink;
    this.ctx = ctx;
    if (init.accepts) this.watch(init.accepts);
  }

  /** Whether `close` was called (by the owner, a replacement, a kick or an overflow). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether the channel is registered in a bucket. */
  get registered(): boolean {
    return this._bucket !== undefined;
  }

  /** Room ids this connection is in; the first is its primary room. */
  get rooms(): string[] {
    return this._rooms ? this._rooms.map((r) => r.id) : [];
  }

  /** The primary room (set by auth/op 12, else the first joined), or undefined. */
  get room(): string | undefined {
    return this._rooms?.[0]?.id;
  }

  /** Bytes queued in this channel and not yet handed to the sink. */
  get queuedOutboundBytes(): number {
    return this.queuedBytes;
  }

  /** Adds ops to the watch set (auth `accepts`, op 14). */
  watch(ops: Iterable<number>): void {
    let w = this.watchOps;
    for (const op of ops) {
      if (w instanceof Set) w.add(op);
      else if (w === undefined) w = [op];
      else if (!w.includes(op)) w = w.length < WATCH_ARRAY_MAX ? [...w, op] : new Set([...w, op]);
    }
    this.watchOps = w;
  }

  /** Removes ops from the watch set (op 16). */
  unwatch(ops: Iterable<number>): void {
    let w = this.watchOps;
    if (w === undefined) return;
    for (const op of ops) {
      if (w instanceof Set) w.delete(op);
      else if (w.includes(op)) w = w.filter((x) => x !== op);
    }
    this.watchOps = (w instanceof Set ? w.size : w.length) === 0 ? undefined : w;
  }

  /**
   * Whether key pushes and broadcasts of `op` reach this connection. goim compatibility: an
   * empty watch set receives none (spec §2.7); room pushes ignore it.
   */
  needPush(op: number): boolean {
    const w = this.watchOps;
    return w !== undefined && (w instanceof Set ? w.has(op) : w.includes(op));
  }

  /** The watched ops, ascending. */
  watchedOps(): number[] {
    return this.watchOps ? [...this.watchOps].sort((a, b) => a - b) : [];
  }

  /**
   * Queues a complete frame (a reply) behind whatever is pending.
   * @returns false if the channel is closed, or if the frame overflowed the bound (the
   *   channel is then closed with SLOW_CONSUMER and counted).
   */
  reply(frame: Uint8Array): boolean {
    return this._push({ raw: false, bytes: frame }) === PushResult.QUEUED;
  }

  /**
   * Queues an OpRaw body (pre-serialised frames) for this connection.
   * @returns false if the channel is closed, or if the body overflowed the bound (the channel
   *   is then closed with SLOW_CONSUMER and counted — never a silent drop).
   */
  pushRaw(body: Uint8Array): boolean {
    return this._push({ raw: true, bytes: body }) === PushResult.QUEUED;
  }

  /**
   * @internal Queues a shared item (fan-out passes one Outbound object to every member).
   */
  _push(item: Outbound): PushResult {
    if (this.isClosed) return PushResult.CLOSED;
    const size = this.queuedBytes + item.bytes.length;
    if (size + this.sink.bufferedBytes > this.ctx.maxOutboundBytes) {
      this.ctx.counters.overflowed++;
      this.ctx.logger?.debug({ key: this.key, mid: this.mid, queuedBytes: size }, 'slow consumer closed');
      this.queue = undefined;
      this.queuedBytes = 0;
      this.close(SLOW_CONSUMER_NOTICE);
      return PushResult.OVERFLOWED;
    }
    if (this.queue === undefined) {
      this.queue = [item];
      this.ctx.scheduler.schedule(this);
    } else {
      this.queue.push(item);
    }
    this.queuedBytes = size;
    if (item.raw) this.ctx.counters.delivered++;
    return PushResult.QUEUED;
  }

  /** @internal Hands the pending items to the sink (called by the flush scheduler). */
  _flush(): void {
    const items = this.queue;
    if (items === undefined || this.isClosed) return;
    this.queue = undefined;
    this.queuedBytes = 0;
    this.ctx.counters.flushes++;
    try {
      this.sink.flush(items);
    } catch (err) {
      this.ctx.counters.sinkErrors++;
      this.ctx.logger?.debug({ key: this.key, err }, 'sink flush failed');
      this.close();
    }
  }

  /**
   * Closes the connection: writes what is still queued (unless the close is an overflow),
   * leaves the bucket and every room, then calls `sink.close(notice)`. Idempotent.
   */
  close(notice?: DisconnectNotice): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const items = this.queue;
    this.queue = undefined;
    this.queuedBytes = 0;
    this._bucket?.del(this);
    // Pending output goes out before the op-6 notice, keeping order per connection.
    if (items !== undefined) {
      this.ctx.counters.flushes++;
      try {
        this.sink.flush(items);
      } catch (err) {
        this.ctx.counters.sinkErrors++;
        this.ctx.logger?.debug({ key: this.key, err }, 'sink flush failed while closing');
      }
    }
    try {
      this.sink.close(notice);
    } catch (err) {
      this.ctx.counters.sinkErrors++;
      this.ctx.logger?.debug({ key: this.key, err }, 'sink close failed');
    }
  }
}
