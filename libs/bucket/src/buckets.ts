import { DisconnectCode } from '@goim/protocol';
import type { DisconnectNotice } from '@goim/protocol';
import { Bucket, checkRoomId } from './bucket.js';
import type { BucketOwner } from './bucket.js';
import { Channel } from './channel.js';
import type { ChannelContext } from './channel.js';
import { bucketIndex } from './cityhash.js';
import { BucketError, BucketErrorCode } from './errors.js';
import { FlushScheduler } from './flush-scheduler.js';
import { DEFAULT_BUCKET_COUNT, DEFAULT_MAX_OUTBOUND_BYTES, DEFAULT_MAX_ROOMS_PER_CHANNEL } from './options.js';
import type { BucketCounters, BucketLogger, BucketStats, ChannelInit, Outbound, PushCounts } from './types.js';

/** Options of {@link Buckets}. */
export interface BucketsOptions {
  /** Number of buckets (goim `bucket.size`). Integer ≥ 1. Default {@link DEFAULT_BUCKET_COUNT} (32). */
  size?: number;
  /**
   * Bound, in bytes, of one connection's queued output plus its transport's `bufferedBytes`;
   * a push or reply that would exceed it closes the connection with SLOW_CONSUMER.
   * Integer ≥ 1. Default {@link DEFAULT_MAX_OUTBOUND_BYTES} (1 MiB).
   */
  maxOutboundBytes?: number;
  /** Rooms one connection may be in at once (ops 12/18). Integer ≥ 0; 0 = unlimited. Default 64. */
  maxRoomsPerChannel?: number;
  /** pino-compatible logger; silent when absent. Only debug-level, never per message above debug. */
  logger?: BucketLogger;
  /**
   * Waits `ms` milliseconds (broadcast pacing). Default: a promise around `setTimeout`, looked
   * up at call time so fake timers apply. Replaces the contract's `now` option.
   */
  sleep?: (ms: number) => Promise<void>;
  /** Defers the shared flush pass. Default `setImmediate` (see {@link FlushScheduler}). */
  defer?: (fn: () => void) => void;
}

const KICKED_NOTICE: DisconnectNotice = Object.freeze({ code: DisconnectCode.KICKED, reason: 'kicked', reconnect: false });

function checkInt(name: string, value: number | undefined, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new BucketError(BucketErrorCode.INVALID_OPTION, `\`${name}\` must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

function checkBody(what: string, body: unknown): asserts body is Uint8Array {
  if (!(body instanceof Uint8Array)) {
    throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, `${what}: the body must be a Uint8Array`);
  }
}

function checkOp(what: string, op: unknown): asserts op is number {
  if (!Number.isInteger(op)) throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, `${what}: \`op\` must be an integer`);
}

const newCounts = (): PushCounts => ({ delivered: 0, missing: 0, filtered: 0, overflowed: 0 });

/**
 * The N buckets of one comet and its fan-out operations. Bucket of a channel =
 * `cityHash32(key) % size`. All operations are synchronous except the paced broadcast;
 * output reaches sinks on the next flush pass (one `setImmediate` for all channels).
 *
 * Counters in {@link Buckets.counters} are plain numbers for the comet's metrics.
 */
export class Buckets implements ChannelContext, BucketOwner {
  /** The buckets, by index. */
  readonly buckets: readonly Bucket[];
  /** Number of buckets. */
  readonly size: number;
  readonly maxOutboundBytes: number;
  readonly maxRoomsPerChannel: number;
  readonly scheduler: FlushScheduler;
  readonly counters: BucketCounters = {
    delivered: 0,
    filtered: 0,
    missing: 0,
    overflowed: 0,
    replaced: 0,
    kicked: 0,
    flushes: 0,
    sinkErrors: 0,
  };
  readonly logger: BucketLogger | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private allOnline: ReadonlyMap<string, number> = new Map();

  /** @throws BucketError GOIM_ERR_BUCKET_INVALID_OPTION naming the bad option. */
  constructor(options: BucketsOptions = {}) {
    this.size = checkInt('size', options.size, 1, DEFAULT_BUCKET_COUNT);
    this.maxOutboundBytes = checkInt('maxOutboundBytes', options.maxOutboundBytes, 1, DEFAULT_MAX_OUTBOUND_BYTES);
    this.maxRoomsPerChannel = checkInt('maxRoomsPerChannel', options.maxRoomsPerChannel, 0, DEFAULT_MAX_ROOMS_PER_CHANNEL);
    this.logger = options.logger;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.scheduler = new FlushScheduler(options.defer ? { defer: options.defer } : {});
    const buckets: Bucket[] = [];
    for (let i = 0; i < this.size; i++) buckets.push(new Bucket(i, this));
    this.buckets = buckets;
  }

  /** A channel bound to these buckets' scheduler, bound and counters (not registered yet). */
  newChannel(init: ChannelInit): Channel {
    return new Channel(init, this);
  }

  /** The bucket for `key`. */
  bucket(key: string): Bucket {
    return this.buckets[bucketIndex(key, this.size)]!;
  }

  /** The channel registered under `key`, if any. */
  get(key: string): Channel | undefined {
    return this.bucket(key).get(key);
  }

  /**
   * Registers `ch` in its bucket and joins `roomId` if given (auth's `room_id`). An existing
   * channel with the same key is closed with REPLACED (never blocks).
   * @throws BucketError CHANNEL_CLOSED / CHANNEL_REGISTERED / INVALID_ARGUMENT
   */
  put(ch: Channel, roomId?: string): void {
    this.bucket(ch.key).put(ch, roomId);
  }

  /** Unregisters `ch` if this same object is registered; leaves all its rooms. Idempotent. */
  del(ch: Channel): boolean {
    return ch._bucket !== undefined && ch._bucket.del(ch);
  }

  /** Op 12: replaces all rooms by `roomId` (`''` = leave all). False if `ch` is not registered. */
  changeRoom(ch: Channel, roomId: string): boolean {
    checkRoomId(roomId, 'changeRoom');
    return ch._bucket !== undefined && ch._bucket.changeRoom(ch, roomId);
  }

  /** Op 18: joins `roomId`. False if not registered, `''`, already a member or at the room limit. */
  joinRoom(ch: Channel, roomId: string): boolean {
    checkRoomId(roomId, 'joinRoom');
    return ch._bucket !== undefined && ch._bucket.joinRoom(ch, roomId);
  }

  /** Op 20: leaves `roomId`. False if not a member (leaving twice is harmless). */
  leaveRoom(ch: Channel, roomId: string): boolean {
    checkRoomId(roomId, 'leaveRoom');
    return ch._bucket !== undefined && ch._bucket.leaveRoom(ch, roomId);
  }

  /**
   * Key push (comet `PushMsg`): queues `rawBody` (an OpRaw body) for each key's channel whose
   * watch set holds `op`. Continues past a full channel (that one is closed as a slow
   * consumer and counted); goim aborted the remaining keys (spec §10.5, #381).
   * @throws BucketError INVALID_ARGUMENT on a bad op or body
   */
  pushKeys(keys: Iterable<string>, op: number, rawBody: Uint8Array): PushCounts {
    checkOp('pushKeys', op);
    checkBody('pushKeys', rawBody);
    const item: Outbound = { raw: true, bytes: rawBody };
    const counts = newCounts();
    for (const key of keys) {
      if (typeof key !== 'string') throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, 'pushKeys: keys must be strings');
      this.bucket(key)._pushKey(key, op, item, counts);
    }
    return counts;
  }

  /**
   * Broadcast to every channel whose watch set holds `op`. With `speed > 0`, paced like goim:
   * after each bucket (but the last) wait `floor(bucketChannelCount / speed)` seconds.
   * `speed ≤ 0` means no pacing. Resolves when every bucket has been pushed to.
   * @throws BucketError INVALID_ARGUMENT on a bad op, body or non-integer speed (synchronously)
   */
  broadcast(op: number, rawBody: Uint8Array, speed = 0): Promise<PushCounts> {
    checkOp('broadcast', op);
    checkBody('broadcast', rawBody);
    if (!Number.isInteger(speed)) throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, 'broadcast: `speed` must be an integer');
    const item: Outbound = { raw: true, bytes: rawBody };
    const counts = newCounts();
    // goim compatibility: only speed > 0 paces; 0 or a negative int32 from a job means "no pacing".
    if (speed <= 0) {
      for (const b of this.buckets) b._broadcast(op, item, counts);
      return Promise.resolve(counts);
    }
    return this.pacedBroadcast(op, item, speed, counts);
  }

  private async pacedBroadcast(op: number, item: Outbound, speed: number, counts: PushCounts): Promise<PushCounts> {
    const last = this.buckets.length - 1;
    for (let i = 0; i <= last; i++) {
      const b = this.buckets[i]!;
      b._broadcast(op, item, counts);
      // goim compatibility: the pause is whole seconds, from the bucket's channel count.
      const waitSec = Math.floor(b.channelCount / speed);
      if (i < last && waitSec > 0) await this.sleep(waitSec * 1000);
    }
    return counts;
  }

  /**
   * Room push (comet `BroadcastRoom`): queues `rawBody` for every member of `roomId` in every
   * bucket. No accepts filter (spec §2.5). The same bytes object goes to every member.
   * @throws BucketError INVALID_ARGUMENT on an empty room id or a bad body
   */
  broadcastRoom(roomId: string, rawBody: Uint8Array): PushCounts {
    checkRoomId(roomId, 'broadcastRoom');
    if (roomId === '') throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, 'broadcastRoom: `roomId` must not be empty');
    checkBody('broadcastRoom', rawBody);
    const item: Outbound = { raw: true, bytes: rawBody };
    const counts = newCounts();
    for (const b of this.buckets) b._broadcastRoom(roomId, item, counts);
    return counts;
  }

  /** Local online count per room, summed over buckets (rooms with online > 0), for RenewOnline. */
  roomCounts(): Record<string, number> {
    const sum = new Map<string, number>();
    for (const b of this.buckets) b.addRoomCounts(sum);
    // A null-prototype object so room ids like "__proto__" stay plain keys.
    const out = Object.create(null) as Record<string, number>;
    for (const [id, n] of sum) out[id] = n;
    return out;
  }

  /** Ids of rooms with local online > 0 (comet `Rooms`). */
  rooms(): string[] {
    const ids = new Set<string>();
    for (const b of this.buckets) for (const r of b.roomList()) ids.add(r.id);
    return [...ids];
  }

  /**
   * Stores logic's cluster-wide counts (RenewOnline reply) on every room; rooms absent from
   * `all` get 0. Rooms created later start from the last stored value.
   */
  setAllOnline(all: Record<string, number> | ReadonlyMap<string, number>): void {
    const map = all instanceof Map ? (all as ReadonlyMap<string, number>) : new Map(Object.entries(all));
    this.allOnline = map;
    for (const b of this.buckets) b.setAllOnline(map);
  }

  /** @internal */
  allOnlineOf(roomId: string): number {
    return this.allOnline.get(roomId) ?? 0;
  }

  /**
   * Online count for the heartbeat reply: the channel's primary room's cluster-wide count if
   * > 0, else its local count on this comet; 0 when in no room (reset after leaving, §10.8).
   * Diverges from goim on purpose: the local fallback sums all buckets, not only the channel's.
   */
  onlineOf(ch: Channel): number {
    const room = ch._rooms?.[0];
    if (room === undefined) return 0;
    if (room.allOnline > 0) return room.allOnline;
    let n = 0;
    for (const b of this.buckets) n += b.room(room.id)?.online ?? 0;
    return n;
  }

  /** Totals: registered channels, distinct IPs across buckets, distinct rooms. */
  stats(): BucketStats {
    let channels = 0;
    const ips = new Set<string>();
    const rooms = new Set<string>();
    for (const b of this.buckets) {
      channels += b.channelCount;
      for (const ip of b.ips()) ips.add(ip);
      for (const r of b.roomList()) rooms.add(r.id);
    }
    return { channels, ips: ips.size, rooms: rooms.size };
  }

  /** Per-bucket `{ channels, ips, rooms }`, by bucket index. */
  bucketStats(): BucketStats[] {
    return this.buckets.map((b) => b.stats());
  }

  /** Channels of member `mid` (a scan of all buckets: meant for admin operations). */
  channelsByMid(mid: number): Channel[] {
    const out: Channel[] = [];
    for (const b of this.buckets) for (const ch of b.channelList()) if (ch.mid === mid) out.push(ch);
    return out;
  }

  /**
   * Admin kick: closes the channels of `keys` and of `mids` with `notice` (default KICKED).
   * @returns the number of channels closed.
   */
  kick(keys: Iterable<string>, mids: Iterable<number>, notice: DisconnectNotice = KICKED_NOTICE): number {
    const targets = new Set<Channel>();
    for (const key of keys) {
      const ch = this.get(key);
      if (ch !== undefined) targets.add(ch);
    }
    const midSet = new Set(mids);
    if (midSet.size > 0) {
      for (const b of this.buckets) for (const ch of b.channelList()) if (midSet.has(ch.mid)) targets.add(ch);
    }
    for (const ch of targets) ch.close(notice);
    this.counters.kicked += targets.size;
    return targets.size;
  }

  /** Closes every registered channel with `notice` (shutdown/drain). Returns how many. */
  closeAll(notice?: DisconnectNotice): number {
    const all: Channel[] = [];
    for (const b of this.buckets) for (const ch of b.channelList()) all.push(ch);
    for (const ch of all) ch.close(notice);
    return all.length;
  }

  /** Flushes all pending output now instead of on the next pass. */
  flush(): void {
    this.scheduler.flush();
  }
}
