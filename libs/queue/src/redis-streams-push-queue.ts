/**
 * RedisStreamsPushQueue: PushQueue on Redis Streams (ioredis), for deployments that run Redis
 * but not Kafka. Not part of goim (goim only has Kafka); Go peers cannot read these streams.
 *
 * Layout (all names start with `stream`, default `goim-push-topic`):
 * - `<stream>:<shard>`                    one stream per shard; a message goes to shard
 *                                         keyPartition(key, shards) (the sarama hash), entry
 *                                         fields `k` (key) and `v` (protobuf PushMsg)
 * - `<stream>:members:<group>`            sorted set of live consumers of a group (score =
 *                                         lease expiry in Redis server time)
 * - `<stream>:<shard>:owner:<group>`      lease: the one consumer that reads that shard
 *
 * Why leases: XREADGROUP alone spreads one stream's entries over all consumers of a group,
 * which would handle one key on two consumers at once. Here each shard has one owner at a
 * time; owners are assigned deterministically (sorted live members, shard i → member
 * i mod n) and a shard changes hands only after its owner finished its in-flight entry and
 * released the lease (or the lease expired: the owner died). A new owner first reclaims the
 * shard's pending entries (XAUTOCLAIM, min idle 0 — they belong to previous owners) and
 * handles them in id order before reading new ones, so order per key survives rebalances and
 * crashes.
 *
 * Bound: XADD trims with `MAXLEN ~ maxLen`; to keep trimming from ever removing an entry a
 * group has not acknowledged, `publish` waits while a shard's backlog (max over groups of
 * pending + lag; the stream length while no group exists) is at `maxBacklog`
 * (< maxLen). The backlog is measured with XINFO GROUPS at most every `backlogCheckMs` and
 * counted locally in between, so several producers together may overshoot by what they
 * publish in that window.
 */
import { hostname } from 'node:os';
import { Redis, type Cluster } from 'ioredis';
import { PushMsg } from '@goim/protocol/rpc';
import { QueueError, QueueErrorCode } from './errors.js';
import { AbandonSignal, checkMsg, checkStart, closedError, deferred, Fifo, handleDelivery, OrderedWindow, settleWithin, Sleeper, type Deferred, type RunResult } from './internal.js';
import { SILENT_LOGGER, type QueueLogger } from './logger.js';
import {
  checkDelays,
  checkInt,
  checkName,
  DEFAULT_BLOCK_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_GROUP,
  DEFAULT_LEASE_MS,
  DEFAULT_PARTITIONS,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_READ_COUNT,
  DEFAULT_RETRY_DELAYS_MS,
  DEFAULT_STREAM_MAX_LEN,
  DEFAULT_TOPIC,
  retryDelayMs,
} from './options.js';
import { keyPartition } from './partitioner.js';
import { pushMsgKey, type PushConsumeOptions, type PushDelivery, type PushHandler, type PushQueue, type PushQueueConsumer, type PushQueueProducer } from './push-queue.js';

/** How often a producer re-measures a shard's backlog with XINFO GROUPS, ms (default). */
export const DEFAULT_BACKLOG_CHECK_MS = 100;

/** Options of {@link RedisStreamsPushQueue}. */
export interface RedisStreamsPushQueueOptions {
  /**
   * An ioredis client — `Redis`, or `Cluster` for Redis Cluster (shard streams spread over
   * slots; every command and script touches one key) — kept open by the queue (you close it),
   * or a `redis://` URL (the queue creates the client and quits it on close). Blocking reads
   * use `duplicate()`d connections.
   */
  redis: Redis | Cluster | string;
  /** Stream name prefix. Default `DEFAULT_TOPIC` (`goim-push-topic`). */
  stream?: string;
  /** Stream shards; order is kept per key, parallelism is per shard. Default 16. */
  shards?: number;
  /** Approximate `MAXLEN ~` of each shard stream. Default 100 000. */
  maxLen?: number;
  /** Per-shard backlog at which `publish` waits; must be < maxLen. Default maxLen / 2. */
  maxBacklog?: number;
  /** How often the backlog is re-measured (XINFO GROUPS), ms. Default 100. */
  backlogCheckMs?: number;
  /** How long `publish` waits on a full backlog before GOIM_ERR_QUEUE_FULL, ms. Default 10 000; 0 = reject at once. */
  publishTimeoutMs?: number;
  /** Consumer lease lifetime, ms: a dead consumer's shards move after at most this. Heartbeat = leaseMs / 3. Default 10 000. */
  leaseMs?: number;
  /** XREADGROUP BLOCK, ms (also bounds how long an idle shard takes to notice a release request). Default 1000. */
  blockMs?: number;
  /** Entries per XREADGROUP / XAUTOCLAIM. Default 100. */
  readCount?: number;
  /** Delays between retries of a rejected message, ms; the last repeats. Default 100…5000. */
  retryDelaysMs?: readonly number[];
  /** How long a consumer's `close()` waits for in-flight handlers, ms. Default 10 000. */
  drainTimeoutMs?: number;
  /** Prefix of consumer names (XREADGROUP consumer). Default `<hostname>-<pid>`. */
  consumerName?: string;
  /** pino-compatible logger; silent by default. */
  logger?: QueueLogger;
}

// Lua: register/refresh a member (score = expiry in Redis server ms), drop expired ones,
// return the live names. Server time, so members on skewed machines agree.
const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 3)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

// Lua: take or renew a lease if free or already ours → 1, else 0.
const ACQUIRE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

// Lua: delete a lease only if it is still ours.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface ShardProducer {
  /** Local estimate of the backlog: last measurement + publishes since. */
  estimate: number;
  checkedAt: number;
  measuring: boolean;
  /** Publishes waiting for room, in call order. */
  waiters: Fifo<{ run(): void; fail(err: QueueError): void; deadline: number }>;
  draining: boolean;
}

let consumerSeq = 0;

/**
 * PushQueue on Redis Streams: sharded streams, consumer groups, a lease per shard so one
 * consumer handles a shard at a time (order per key), XACK after handling, XAUTOCLAIM of a
 * dead owner's pending entries, `MAXLEN ~` with back-pressure. See the file comment.
 */
export class RedisStreamsPushQueue implements PushQueue {
  readonly stream: string;
  readonly shards: number;
  /** @internal */ readonly redis: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly maxLen: number;
  private readonly maxBacklog: number;
  private readonly backlogCheckMs: number;
  private readonly publishTimeoutMs: number;
  /** @internal */ readonly leaseMs: number;
  /** @internal */ readonly blockMs: number;
  /** @internal */ readonly readCount: number;
  /** @internal */ readonly retryDelays: readonly number[];
  /** @internal */ readonly drainTimeoutMs: number;
  /** @internal */ readonly logger: QueueLogger;
  private readonly consumerName: string;
  private readonly producerShards: ShardProducer[];
  private readonly consumers = new Set<RedisStreamsConsumer>();
  /** @internal */ readonly sleeper = new Sleeper();
  private closed = false;
  private producerClosed = false;
  private closing: Promise<void> | undefined;
  private readonly theProducer: PushQueueProducer;

  constructor(options: RedisStreamsPushQueueOptions) {
    const owner = 'RedisStreamsPushQueue';
    if (!options || !options.redis) throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`redis\` (an ioredis client or a redis:// URL) is required`);
    checkName(owner, 'stream', options.stream);
    checkName(owner, 'consumerName', options.consumerName);
    checkInt(owner, 'shards', options.shards, 1, 1024);
    checkInt(owner, 'maxLen', options.maxLen, 2);
    checkInt(owner, 'maxBacklog', options.maxBacklog, 1);
    checkInt(owner, 'backlogCheckMs', options.backlogCheckMs, 1);
    checkInt(owner, 'publishTimeoutMs', options.publishTimeoutMs, 0);
    checkInt(owner, 'leaseMs', options.leaseMs, 300);
    checkInt(owner, 'blockMs', options.blockMs, 1);
    checkInt(owner, 'readCount', options.readCount, 1);
    checkInt(owner, 'drainTimeoutMs', options.drainTimeoutMs, 0);
    checkDelays(owner, 'retryDelaysMs', options.retryDelaysMs);
    this.stream = options.stream ?? DEFAULT_TOPIC;
    this.shards = options.shards ?? DEFAULT_PARTITIONS;
    this.maxLen = options.maxLen ?? DEFAULT_STREAM_MAX_LEN;
    this.maxBacklog = options.maxBacklog ?? Math.floor(this.maxLen / 2);
    if (this.maxBacklog >= this.maxLen) {
      throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`maxBacklog\` (${this.maxBacklog}) must be below \`maxLen\` (${this.maxLen}), or trimming could drop unacknowledged entries`);
    }
    this.backlogCheckMs = options.backlogCheckMs ?? DEFAULT_BACKLOG_CHECK_MS;
    this.publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.blockMs = options.blockMs ?? DEFAULT_BLOCK_MS;
    if (this.blockMs >= this.leaseMs / 3) {
      throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`blockMs\` (${this.blockMs}) must be below \`leaseMs\` / 3 (${Math.floor(this.leaseMs / 3)})`);
    }
    this.readCount = options.readCount ?? DEFAULT_READ_COUNT;
    this.retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.consumerName = options.consumerName ?? `${hostname()}-${process.pid}`;
    if (typeof options.redis === 'string') {
      this.redis = new Redis(options.redis, { lazyConnect: false, maxRetriesPerRequest: null });
      this.ownsClient = true;
    } else {
      this.redis = options.redis;
      this.ownsClient = false;
    }
    this.producerShards = Array.from({ length: this.shards }, () => ({ estimate: 0, checkedAt: 0, measuring: false, waiters: new Fifo(), draining: false }));
    this.theProducer = {
      publish: (msg) => this.publish(msg),
      // Each publish is one XADD already sent; nothing is buffered to flush.
      close: async () => {
        this.producerClosed = true;
      },
    };
  }

  /** @internal Name of the stream of `shard`. */
  shardKey(shard: number): string {
    return `${this.stream}:${shard}`;
  }

  /** @internal */
  membersKey(group: string): string {
    return `${this.stream}:members:${group}`;
  }

  /** @internal */
  leaseKey(shard: number, group: string): string {
    return `${this.stream}:${shard}:owner:${group}`;
  }

  producer(): PushQueueProducer {
    return this.theProducer;
  }

  consumer(group: string = DEFAULT_GROUP): PushQueueConsumer {
    checkName('RedisStreamsPushQueue.consumer', 'group', group);
    if (this.closed) throw closedError('RedisStreamsPushQueue');
    const c = new RedisStreamsConsumer(this, group, `${this.consumerName}-${++consumerSeq}-${Math.random().toString(36).slice(2, 8)}`);
    this.consumers.add(c);
    return c;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    for (const s of this.producerShards) for (const w of s.waiters.drain()) w.fail(closedError('RedisStreamsPushQueue'));
    this.sleeper.clear();
    if (this.ownsClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** @internal */
  forget(c: RedisStreamsConsumer): void {
    this.consumers.delete(c);
  }

  /** @internal */
  isClosed(): boolean {
    return this.closed;
  }

  private publish(msg: PushMsg): Promise<void> {
    if (this.closed || this.producerClosed) return Promise.reject(closedError('RedisStreamsPushQueue producer'));
    try {
      checkMsg(msg);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = pushMsgKey(msg);
    const value = Buffer.from(PushMsg.encode(msg).finish());
    const shard = keyPartition(key, this.shards);
    const sp = this.producerShards[shard]!;
    if (Date.now() - sp.checkedAt >= this.backlogCheckMs) void this.measure(shard);
    // Fast path: no one waiting and room by the local estimate. ioredis sends commands in call
    // order on one connection, so XADD order = publish call order per shard (order per key).
    if (sp.waiters.length === 0 && sp.estimate < this.maxBacklog) {
      sp.estimate++;
      return this.xadd(shard, key, value);
    }
    return new Promise<void>((resolve, reject) => {
      sp.waiters.push({
        run: () => {
          sp.estimate++;
          this.xadd(shard, key, value).then(resolve, reject);
        },
        fail: reject,
        deadline: Date.now() + this.publishTimeoutMs,
      });
      void this.drainWaiters(shard);
    });
  }

  private xadd(shard: number, key: string, value: Buffer): Promise<void> {
    return this.redis.xadd(this.shardKey(shard), 'MAXLEN', '~', String(this.maxLen), '*', 'k', key, 'v', value).then(
      () => undefined,
      (err: unknown) => {
        throw new QueueError(QueueErrorCode.PUBLISH_FAILED, `XADD to ${this.shardKey(shard)} failed`, { cause: err });
      },
    );
  }

  /** Measures a shard's backlog: max over groups of pending + lag, or XLEN without groups. */
  private async measure(shard: number): Promise<void> {
    const sp = this.producerShards[shard]!;
    if (sp.measuring) return;
    sp.measuring = true;
    const before = sp.estimate;
    try {
      const key = this.shardKey(shard);
      const [lenRes, groupsRes] = (await this.redis.pipeline().xlen(key).xinfo('GROUPS', key).exec()) ?? [];
      const len = Number(lenRes?.[1] ?? 0);
      let backlog = len;
      if (!groupsRes?.[0] && Array.isArray(groupsRes?.[1]) && groupsRes[1].length > 0) {
        backlog = 0;
        for (const g of groupsRes[1] as unknown[][]) {
          const f = new Map<string, unknown>();
          for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
          const pending = Number(f.get('pending') ?? 0);
          const lag = f.get('lag');
          // Redis reports no lag when it cannot compute it (deletions): assume the whole stream.
          backlog = Math.max(backlog, pending + (lag === null || lag === undefined ? len : Number(lag)));
        }
      }
      // Publishes issued while measuring may or may not be counted; count them (conservative).
      sp.estimate = backlog + (sp.estimate - before);
      sp.checkedAt = Date.now();
    } catch (err) {
      this.logger.debug({ err, shard }, 'backlog measurement failed');
    } finally {
      sp.measuring = false;
    }
  }

  /** Lets waiting publishers in, in order, as the measured backlog allows; rejects expired ones. */
  private async drainWaiters(shard: number): Promise<void> {
    const sp = this.producerShards[shard]!;
    if (sp.draining) return;
    sp.draining = true;
    try {
      while (sp.waiters.length > 0 && !this.closed) {
        await this.measure(shard);
        while (sp.waiters.length > 0 && sp.estimate < this.maxBacklog) sp.waiters.shift()!.run();
        const now = Date.now();
        while (sp.waiters.length > 0 && sp.waiters.peek()!.deadline <= now) {
          sp.waiters.shift()!.fail(new QueueError(QueueErrorCode.FULL, `RedisStreamsPushQueue: backlog of ${this.shardKey(shard)} stayed at ${this.maxBacklog} for ${this.publishTimeoutMs} ms`));
        }
        if (sp.waiters.length > 0) await this.sleeper.sleep(Math.min(this.backlogCheckMs, Math.max(1, sp.waiters.peek()!.deadline - now)));
      }
    } finally {
      sp.draining = false;
    }
  }
}

/** One consumer of a group: heartbeats its membership, owns shards by lease, runs one worker per owned shard. */
class RedisStreamsConsumer implements PushQueueConsumer {
  private handler: PushHandler | undefined;
  private closing: Promise<void> | undefined;
  private stopping = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeating: Promise<void> | undefined;
  private readonly workers = new Map<number, ShardWorker>();
  /** @internal Fires when the drain deadline passes: in-flight handlers are abandoned. */
  readonly abandon = new AbandonSignal();
  /** @internal Entries of one shard handed out before earlier ones were acknowledged. */
  maxInFlight = 1;

  constructor(
    readonly queue: RedisStreamsPushQueue,
    readonly group: string,
    readonly name: string,
  ) {}

  async start(handler: PushHandler, options?: PushConsumeOptions): Promise<void> {
    this.maxInFlight = checkStart('RedisStreamsPushQueue consumer', { closed: !!this.closing || this.queue.isClosed(), started: !!this.handler }, options);
    this.handler = handler;
    const q = this.queue;
    try {
      // A new group starts at the oldest retained entry ('0'); MKSTREAM so it can precede publishers.
      await Promise.all(
        Array.from({ length: q.shards }, (_, s) =>
          q.redis.xgroup('CREATE', q.shardKey(s), this.group, '0', 'MKSTREAM').catch((err: unknown) => {
            if (!String((err as Error)?.message).includes('BUSYGROUP')) throw err;
          }),
        ),
      );
      await this.heartbeat();
    } catch (err) {
      this.handler = undefined;
      throw new QueueError(QueueErrorCode.SUBSCRIBE_FAILED, `RedisStreamsPushQueue: joining group ${this.group} failed`, { cause: err });
    }
    this.heartbeatTimer = setInterval(() => {
      if (!this.heartbeating) {
        this.heartbeating = this.heartbeat()
          .catch((err: unknown) => q.logger.warn({ err, group: this.group }, 'redis streams heartbeat failed'))
          .finally(() => (this.heartbeating = undefined));
      }
    }, Math.floor(q.leaseMs / 3));
  }

  /** @internal The handler, or undefined once closing. */
  currentHandler(): PushHandler | undefined {
    return this.stopping ? undefined : this.handler;
  }

  /** Refreshes membership, renews/releases/acquires shard leases, starts workers for new shards. */
  private async heartbeat(): Promise<void> {
    const q = this.queue;
    const members = ((await q.redis.eval(HEARTBEAT_LUA, 1, q.membersKey(this.group), this.name, String(q.leaseMs), '0')) as string[]).slice().sort();
    if (this.stopping) return;
    const me = members.indexOf(this.name);
    for (let s = 0; s < q.shards; s++) {
      const target = me >= 0 && s % members.length === me;
      const w = this.workers.get(s);
      const leaseKey = q.leaseKey(s, this.group);
      if (w) {
        const renewed = (await q.redis.eval(ACQUIRE_LUA, 1, leaseKey, this.name, String(q.leaseMs))) === 1;
        if (!renewed) {
          q.logger.warn({ group: this.group, shard: s }, 'redis streams shard lease lost; stopping its worker');
          w.stop();
        } else if (!target) {
          w.stop();
        }
      } else if (target && !this.stopping) {
        const got = (await q.redis.eval(ACQUIRE_LUA, 1, leaseKey, this.name, String(q.leaseMs))) === 1;
        if (got && this.stopping) {
          // close() began meanwhile: hand the shard straight back.
          await q.redis.eval(RELEASE_LUA, 1, leaseKey, this.name);
        } else if (got) {
          const worker = new ShardWorker(this, s);
          this.workers.set(s, worker);
          void worker.run().finally(() => {
            if (this.workers.get(s) === worker) this.workers.delete(s);
          });
        }
      }
    }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeatTimer);
    const q = this.queue;
    // Close-time calls are bounded: with Redis unreachable they would otherwise never settle.
    await settleWithin(this.heartbeating, q.leaseMs);
    if (this.handler) {
      const running = [...this.workers.values()];
      for (const w of running) w.stop();
      await settleWithin(Promise.allSettled(running.map((w) => w.done)), q.drainTimeoutMs);
      if (running.some((w) => w.busy)) {
        q.logger.warn({ group: this.group }, 'push handlers outlived the drain timeout; their entries will be reclaimed by the next owner');
      }
      this.abandon.fire();
      await settleWithin(Promise.allSettled(running.map((w) => w.done)), q.leaseMs);
      await settleWithin(q.redis.eval(HEARTBEAT_LUA, 1, q.membersKey(this.group), this.name, String(q.leaseMs), '1'), q.leaseMs);
    }
    this.abandon.fire();
    q.forget(this);
  }
}

/**
 * A duplicated connection that knows when it has ended: Cluster and Redis report different
 * final statuses, so we listen for 'end' from the start instead of reading `status` later.
 */
class OwnedConnection {
  private readonly ended: Promise<void>;
  private disconnected = false;

  constructor(readonly conn: Redis | Cluster) {
    this.ended = new Promise<void>((resolve) => conn.once('end', () => resolve()));
    conn.on('error', () => {}); // errors surface on the command; don't crash the process
  }

  /** Disconnects once (a second ioredis disconnect() arms a 2 s timer on the closed socket). */
  disconnect(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.conn.disconnect();
  }

  /** Disconnects and waits until the socket is gone. */
  async close(): Promise<void> {
    this.disconnect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise<void>((r) => (timer = setTimeout(r, 2_500)))]);
    clearTimeout(timer);
  }
}

type StreamEntry = [Buffer, Buffer[] | null];

/**
 * Reads and handles one shard stream for its owner through an {@link OrderedWindow}: entries
 * in id order, at most `maxInFlightPerKey` handed out and unacknowledged (default 1: one at a
 * time). XACK covers only the contiguous prefix of resolved entries, so the pending list
 * always starts at the first unresolved entry and the next owner's XAUTOCLAIM (id order)
 * redelivers from there, in order.
 */
class ShardWorker {
  private stopped = false;
  private conn: OwnedConnection | undefined;
  private reading = false;
  /** Handler calls running. */
  private running = 0;
  private readonly finished: Deferred = deferred();
  readonly done = this.finished.promise;
  private readonly key: string;

  constructor(
    private readonly owner: RedisStreamsConsumer,
    private readonly shard: number,
  ) {
    this.key = owner.queue.shardKey(shard);
  }

  /** Whether a handler call is running. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Asks the worker to stop after its in-flight entries; interrupts a blocking read. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Entries the server hands out to this interrupted read stay pending under our name; the
    // next owner reclaims them, so nothing is lost.
    if (this.reading) this.conn?.disconnect();
  }

  async run(): Promise<void> {
    const q = this.owner.queue;
    try {
      // Previous owners' pending entries first (delivered at least once before: attempt 2).
      let cursor: string | undefined = '0-0';
      const reclaimed = await this.window(async () => {
        if (cursor === undefined || this.stopped) return [];
        const res = (await q.redis.callBuffer('XAUTOCLAIM', this.key, this.owner.group, this.owner.name, '0', cursor, 'COUNT', String(q.readCount))) as [Buffer, StreamEntry[], Buffer[]?];
        const next = res[0].toString();
        cursor = next === '0-0' ? undefined : next;
        const deleted = res[2] ?? [];
        if (deleted.length > 0) {
          // Only possible if entries were trimmed/deleted before being acknowledged (maxBacklog misconfigured or XDEL by hand).
          q.logger.error({ stream: this.key, ids: deleted.map(String) }, 'pending entries were deleted from the stream before being handled');
        }
        return res[1];
      }, 2, () => cursor !== undefined);
      if (reclaimed !== 'idle' || this.stopped) return;
      // Same options as the queue's client (Redis and Cluster both copy them on duplicate()).
      this.conn = new OwnedConnection(q.redis.duplicate());
      const conn = this.conn;
      while (!this.stopped) {
        const r = await this.window(async () => {
          if (this.stopped) return [];
          let res: unknown;
          this.reading = true;
          try {
            res = await conn.conn.callBuffer('XREADGROUP', 'GROUP', this.owner.group, this.owner.name, 'COUNT', String(q.readCount), 'BLOCK', String(q.blockMs), 'STREAMS', this.key, '>');
          } catch (err) {
            if (this.stopped) return [];
            q.logger.warn({ err, stream: this.key }, 'XREADGROUP failed; retrying');
            await q.sleeper.sleep(q.blockMs);
            return [];
          } finally {
            this.reading = false;
          }
          if (!Array.isArray(res)) return [];
          const out: StreamEntry[] = [];
          for (const [, entries] of res as Array<[Buffer, StreamEntry[]]>) out.push(...entries);
          return out;
        }, 1);
        if (r !== 'idle') return;
      }
    } catch (err) {
      q.logger.error({ err, stream: this.key }, 'redis streams shard worker failed; the shard is released');
    } finally {
      await this.conn?.close();
      await settleWithin(q.redis.eval(RELEASE_LUA, 1, q.leaseKey(this.shard, this.owner.group), this.owner.name), q.leaseMs);
      this.finished.resolve();
    }
  }

  /**
   * Runs one ordered window over what `fetch` returns until idle / stopped / abandoned.
   * `more` (reclaim) says whether an empty fetch may still be followed by entries.
   */
  private async window(fetch: () => Promise<StreamEntry[]>, firstAttempt: number, more?: () => boolean): Promise<'idle' | 'stopped' | 'abandoned'> {
    const q = this.owner.queue;
    for (;;) {
      const w = new OrderedWindow<StreamEntry>({
        max: this.owner.maxInFlight,
        fetch: () => fetch(),
        run: (entry, attempt) => this.handle(entry, attempt),
        ack: async (entries) => {
          await q.redis.xack(this.key, this.owner.group, ...entries.map(([id]) => id));
        },
        stopped: () => this.stopped,
        retryWait: async (failures) => {
          await q.sleeper.sleep(retryDelayMs(failures, q.retryDelays));
          return !this.stopped;
        },
      });
      const r = await w.run(firstAttempt);
      if (r !== 'idle' || !more?.() || this.stopped) return r;
    }
  }

  /** Calls the handler for one entry (never rejects); an entry that is not a PushMsg is reported and acknowledged in order. */
  private handle([rawId, fields]: StreamEntry, attempt: number): Promise<RunResult> {
    const q = this.owner.queue;
    const id = rawId.toString();
    let value: Buffer | undefined;
    for (let i = 0; fields && i + 1 < fields.length; i += 2) if (fields[i]!.toString() === 'v') value = fields[i + 1];
    let msg: PushMsg;
    try {
      if (!value) throw new Error('entry has no `v` field');
      msg = PushMsg.decode(value);
    } catch (err) {
      // An entry that is not a PushMsg would block the shard forever: report it and let it be acknowledged.
      q.logger.error({ err, stream: this.key, id }, 'stream entry is not a goim.logic.PushMsg; acknowledged without handling');
      return Promise.resolve('ok');
    }
    const handler = this.owner.currentHandler();
    if (!handler) return Promise.resolve('abandoned');
    // A fresh decode per delivery, so a handler that mutated the message cannot affect a retry.
    const delivery: PushDelivery = { msg, key: pushMsgKey(msg), id: `${this.key}/${id}`, attempt };
    this.running++;
    return handleDelivery(handler, delivery, q.logger, this.owner.abandon).finally(() => this.running--);
  }
}
