/**
 * MemoryPushQueue: the PushQueue of one process (apps/standalone, e2e tests). It is a product,
 * not a mock: same guarantees as the engine adapters (order per key, at-least-once until the
 * handler resolves, consumer groups with rebalancing, back-pressure), but nothing survives
 * the process. To share a queue between processes use {@link RedisStreamsPushQueue} or
 * {@link KafkaPushQueue}.
 */
import type { PushMsg } from '@goim/protocol/rpc';
import { QueueError, QueueErrorCode } from './errors.js';
import { AbandonSignal, checkMsg, checkStart, closedError, Fifo, handleDelivery, OrderedWindow, settleWithin, Sleeper, type RunResult } from './internal.js';
import { SILENT_LOGGER, type QueueLogger } from './logger.js';
import {
  checkDelays,
  checkInt,
  checkName,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_GROUP,
  DEFAULT_MEMORY_CAPACITY,
  DEFAULT_PARTITIONS,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_RETRY_DELAYS_MS,
  DEFAULT_TOPIC,
  retryDelayMs,
} from './options.js';
import { keyPartition } from './partitioner.js';
import { pushMsgKey, type PushConsumeOptions, type PushDelivery, type PushHandler, type PushQueue, type PushQueueConsumer, type PushQueueProducer } from './push-queue.js';

/** Options of {@link MemoryPushQueue}. */
export interface MemoryPushQueueOptions {
  /** Name used in delivery ids (`topic/partition/offset`). Default `DEFAULT_TOPIC`. */
  topic?: string;
  /** Partitions; keys are spread by the sarama-compatible hash. Default 16. */
  partitions?: number;
  /** Messages retained until every group acknowledged them; `publish` waits beyond it. Default 100 000. */
  capacity?: number;
  /** How long `publish` waits for room before GOIM_ERR_QUEUE_FULL, ms. Default 10 000; 0 = reject at once. */
  publishTimeoutMs?: number;
  /** Delays between retries of a rejected message, ms; the last repeats. Default 100…5000. */
  retryDelaysMs?: readonly number[];
  /** How long a consumer's `close()` waits for in-flight handlers, ms. Default 10 000. */
  drainTimeoutMs?: number;
  /** pino-compatible logger; silent by default. */
  logger?: QueueLogger;
}

interface Entry {
  key: string;
  /** The publisher's message as it was at publish time (see {@link snapshot}). */
  msg: PushMsg;
}

/**
 * A detached copy of `msg` (own `keys` array and `msg` bytes), so changes the publisher
 * makes after `publish` never reach the queue, as with an engine. Copying the fields is what
 * PushMsg.encode + decode achieved before, at a fraction of the cost per push (no writer,
 * no UTF-8 round trip of room/keys/msgID; tools/bench push-path). Defaults as PushMsg.fromPartial.
 */
function snapshot(msg: PushMsg): PushMsg {
  return {
    type: msg.type ?? 0,
    operation: msg.operation ?? 0,
    speed: msg.speed ?? 0,
    server: msg.server ?? '',
    room: msg.room ?? '',
    keys: msg.keys.slice(),
    msg: Buffer.from(msg.msg),
    msgID: msg.msgID ?? '',
  };
}

/** One partition's retained log: entries[head + i] has offset base + i (head avoids O(n) shifts). */
interface PartitionLog {
  base: number;
  head: number;
  entries: (Entry | undefined)[];
}

interface GroupState {
  name: string;
  /** Live members in join order; partition p belongs to members[p % members.length]. */
  members: MemoryConsumer[];
  /** Next offset to deliver (= committed) per partition. */
  next: number[];
  /** Whether a delivery loop runs for the partition. */
  looping: boolean[];
  /** One past the highest offset ever handed out per partition (later deliveries below it are redeliveries). */
  handedOut: number[];
  /** The running delivery window per partition, to wake it on appends. */
  windows: (OrderedWindow<number> | undefined)[];
}

interface PublishWaiter {
  run(): void;
  timer?: NodeJS.Timeout;
  /** Timed out: skipped when its turn comes. */
  cancelled?: boolean;
}

/**
 * In-process PushQueue for one process (see the file comment). Partitions by the key hash so
 * order per key holds while different keys are handled in parallel; bounded by `capacity`
 * retained messages with back-pressure on `publish`. A group keeps its position after its
 * last member leaves (like a Kafka committed offset), so its backlog keeps counting.
 */
export class MemoryPushQueue implements PushQueue {
  readonly topic: string;
  readonly partitions: number;
  private readonly capacity: number;
  private readonly publishTimeoutMs: number;
  /** @internal */ readonly retryDelays: readonly number[];
  /** @internal */ readonly drainTimeoutMs: number;
  /** @internal */ readonly logger: QueueLogger;
  private readonly logs: PartitionLog[];
  private readonly groups = new Map<string, GroupState>();
  private readonly waiters = new Fifo<PublishWaiter>();
  private readonly consumers = new Set<MemoryConsumer>();
  /** @internal */ readonly sleeper = new Sleeper();
  private retained = 0;
  private closed = false;
  private producerClosed = false;
  private readonly theProducer: PushQueueProducer;

  constructor(options: MemoryPushQueueOptions = {}) {
    const owner = 'MemoryPushQueue';
    checkName(owner, 'topic', options.topic);
    checkInt(owner, 'partitions', options.partitions, 1, 10_000);
    checkInt(owner, 'capacity', options.capacity, 1);
    checkInt(owner, 'publishTimeoutMs', options.publishTimeoutMs, 0);
    checkInt(owner, 'drainTimeoutMs', options.drainTimeoutMs, 0);
    checkDelays(owner, 'retryDelaysMs', options.retryDelaysMs);
    this.topic = options.topic ?? DEFAULT_TOPIC;
    this.partitions = options.partitions ?? DEFAULT_PARTITIONS;
    this.capacity = options.capacity ?? DEFAULT_MEMORY_CAPACITY;
    this.publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    this.retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.logs = Array.from({ length: this.partitions }, () => ({ base: 0, head: 0, entries: [] }));
    this.theProducer = {
      publish: (msg) => this.publish(msg),
      close: async () => {
        this.producerClosed = true;
      },
    };
  }

  producer(): PushQueueProducer {
    return this.theProducer;
  }

  consumer(group: string = DEFAULT_GROUP): PushQueueConsumer {
    checkName('MemoryPushQueue.consumer', 'group', group);
    if (this.closed) throw closedError('MemoryPushQueue');
    const c = new MemoryConsumer(this, group);
    this.consumers.add(c);
    return c;
  }

  /** Messages retained (published and not yet acknowledged by every group). */
  get size(): number {
    return this.retained;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    for (const w of this.waiters.drain()) if (!w.cancelled) w.run();
    this.sleeper.clear();
  }

  private publish(msg: PushMsg): Promise<void> {
    if (this.closed || this.producerClosed) return Promise.reject(closedError('MemoryPushQueue producer'));
    try {
      checkMsg(msg);
    } catch (err) {
      return Promise.reject(err);
    }
    // Snapshot now (like an engine stores bytes); each delivery hands out its own object.
    const stored = snapshot(msg);
    const entry: Entry = { key: pushMsgKey(stored), msg: stored };
    // FIFO behind earlier waiters keeps publish-call order per key under back-pressure.
    if (this.waiters.length === 0 && this.retained < this.capacity) {
      this.append(entry);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: PublishWaiter = {
        run: () => {
          if (waiter.timer) clearTimeout(waiter.timer);
          if (this.closed) return reject(closedError('MemoryPushQueue'));
          this.append(entry);
          resolve();
        },
      };
      waiter.timer = setTimeout(() => {
        waiter.cancelled = true;
        reject(new QueueError(QueueErrorCode.FULL, `MemoryPushQueue: backlog stayed at capacity ${this.capacity} for ${this.publishTimeoutMs} ms`));
        // The next waiter may fit now that this one gave up its place.
        this.admitWaiters();
      }, this.publishTimeoutMs);
      this.waiters.push(waiter);
    });
  }

  private append(entry: Entry): void {
    const p = keyPartition(entry.key, this.partitions);
    this.logs[p]!.entries.push(entry);
    this.retained++;
    for (const g of this.groups.values()) this.pump(g, p);
  }

  private admitWaiters(): void {
    while (this.waiters.length > 0 && this.retained < this.capacity) {
      const w = this.waiters.shift()!;
      if (!w.cancelled) w.run();
    }
  }

  /** @internal Adds a started consumer to its group and rebalances. */
  join(c: MemoryConsumer): void {
    let g = this.groups.get(c.group);
    if (!g) {
      // A new group starts at the oldest retained message.
      g = {
        name: c.group,
        members: [],
        next: this.logs.map((l) => l.base),
        looping: this.logs.map(() => false),
        handedOut: this.logs.map((l) => l.base),
        windows: this.logs.map(() => undefined),
      };
      this.groups.set(c.group, g);
    }
    g.members.push(c);
    for (let p = 0; p < this.partitions; p++) this.pump(g, p);
  }

  /** @internal Removes a closing consumer; its partitions move on once its in-flight handler ends. */
  leave(c: MemoryConsumer): void {
    const g = this.groups.get(c.group);
    if (!g) return;
    const i = g.members.indexOf(c);
    if (i >= 0) g.members.splice(i, 1);
    for (let p = 0; p < this.partitions; p++) this.pump(g, p);
  }

  /** Starts the delivery loop of (group, partition) unless it runs already. */
  private pump(g: GroupState, p: number): void {
    if (g.looping[p]) g.windows[p]?.poke();
    if (g.looping[p] || this.closed) return;
    g.looping[p] = true;
    void this.loop(g, p);
  }

  /**
   * Delivers partition p to the group through an {@link OrderedWindow}: in order, at most the
   * owner's `maxInFlightPerKey` messages handed out and unacknowledged (default 1: the next
   * message only after the previous one was acknowledged). A window is bound to one owner: when
   * the partition changes hands, nothing more goes out until the old owner's window drained,
   * then a new window starts at the committed offset. That keeps order per key across rebalances.
   */
  private async loop(g: GroupState, p: number): Promise<void> {
    const log = this.logs[p]!;
    // The flag is cleared in the same tick the loop finds nothing to do (finally runs
    // synchronously on return), so an append right after sees it cleared and re-pumps.
    try {
      while (!this.closed) {
        if (g.members.length === 0) return;
        const owner = g.members[p % g.members.length]!;
        let fetched = g.next[p]!;
        const window = new OrderedWindow<number>({
          max: owner.maxInFlight,
          fetch: () => {
            const end = log.base + log.entries.length - log.head;
            const out: number[] = [];
            while (fetched < end && out.length < Math.max(64, owner.maxInFlight)) out.push(fetched++);
            return out;
          },
          run: (offset, attempt) => {
            const entry = log.entries[log.head + offset - log.base]!;
            const redelivery = offset < g.handedOut[p]!;
            g.handedOut[p] = Math.max(g.handedOut[p]!, offset + 1);
            // A fresh object (own keys) per delivery and group; the bytes are shared, as a
            // decoded copy's were (a view into the stored entry).
            const msg: PushMsg = { ...entry.msg, keys: entry.msg.keys.slice() };
            const delivery: PushDelivery = { msg, key: entry.key, id: `${this.topic}/${p}/${offset}`, attempt: Math.max(attempt, redelivery ? 2 : 1) };
            return owner.run(delivery);
          },
          ack: (offsets) => {
            g.next[p] = offsets[offsets.length - 1]! + 1;
            this.trim(p);
          },
          stopped: () => this.closed,
          mayDispatch: () => g.members.length > 0 && g.members[p % g.members.length] === owner,
          retryWait: async (failures) => {
            await this.sleeper.sleep(retryDelayMs(failures, this.retryDelays));
            return !this.closed;
          },
        });
        g.windows[p] = window;
        const result = await window.run();
        g.windows[p] = undefined;
        // Checked synchronously with the return (finally clears the flag in the same tick): an
        // append during the window's last await found the flag set, so look for it here.
        if (result === 'idle' && fetched >= log.base + log.entries.length - log.head) return;
        // 'stopped' (owner changed) / 'abandoned' (owner closed mid-handling): restart at the committed offset.
      }
    } finally {
      g.looping[p] = false;
      g.windows[p] = undefined;
    }
  }

  /** Drops entries every group acknowledged, then admits waiting publishers. */
  private trim(p: number): void {
    const log = this.logs[p]!;
    let min = Infinity;
    for (const g of this.groups.values()) min = Math.min(min, g.next[p]!);
    const drop = Math.min(min, log.base + log.entries.length - log.head) - log.base;
    if (drop <= 0) return;
    for (let i = 0; i < drop; i++) log.entries[log.head + i] = undefined;
    log.head += drop;
    log.base += drop;
    if (log.head >= 1024 && log.head * 2 >= log.entries.length) {
      log.entries.splice(0, log.head);
      log.head = 0;
    }
    this.retained -= drop;
    this.admitWaiters();
  }

  /** @internal */
  forget(c: MemoryConsumer): void {
    this.consumers.delete(c);
  }

  /** @internal */
  isClosed(): boolean {
    return this.closed;
  }
}

/** A member of one group of a {@link MemoryPushQueue}. */
class MemoryConsumer implements PushQueueConsumer {
  private handler: PushHandler | undefined;
  private closing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Fires when the drain deadline passes: in-flight deliveries are then abandoned. */
  private readonly abandon = new AbandonSignal();
  /** @internal Messages of one partition handed out before earlier ones were acknowledged. */
  maxInFlight = 1;

  constructor(
    private readonly queue: MemoryPushQueue,
    readonly group: string,
  ) {}

  async start(handler: PushHandler, options?: PushConsumeOptions): Promise<void> {
    this.maxInFlight = checkStart('MemoryPushQueue consumer', { closed: !!this.closing || this.queue.isClosed(), started: !!this.handler }, options);
    this.handler = handler;
    this.queue.join(this);
  }

  /** @internal Runs the handler for one delivery. */
  async run(delivery: PushDelivery): Promise<RunResult> {
    if (this.closing || !this.handler) return 'abandoned';
    const handled = handleDelivery(this.handler, delivery, this.queue.logger, this.abandon);
    this.inFlight.add(handled);
    try {
      return await handled;
    } finally {
      this.inFlight.delete(handled);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.handler) {
      this.queue.leave(this);
      if (this.inFlight.size > 0) {
        await settleWithin(Promise.allSettled([...this.inFlight]), this.queue.drainTimeoutMs);
        if (this.inFlight.size > 0) {
          this.queue.logger.warn({ group: this.group, inFlight: this.inFlight.size }, 'push handlers outlived the drain timeout; their messages will be redelivered');
        }
      }
    }
    this.abandon.fire();
    this.queue.forget(this);
  }
}
