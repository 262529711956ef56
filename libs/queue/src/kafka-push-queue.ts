/**
 * KafkaPushQueue: PushQueue on Apache Kafka through kafkajs, interoperable with goim's Go
 * logic and job: same topic (`goim-push-topic`), value (protobuf goim.logic.PushMsg) and
 * message key (spec §3.3), and the same key → partition mapping as sarama's default hash
 * partitioner, so a Go logic and a TS logic put one room on the same partition.
 *
 * Diverges from goim on purpose (spec §10.23): goim's job marks offsets before handling
 * (at-most-once); here offsets are committed only after the handler resolved, a rejected
 * message is retried in place with backoff (never skipped), and on a rebalance the partition
 * restarts at the last committed offset on its new owner (at-least-once).
 */
import { Kafka, logLevel as KafkaLogLevel, type Admin, type Consumer, type EachBatchPayload, type KafkaMessage, type logCreator, type Producer } from 'kafkajs';
import { PushMsg } from '@goim/protocol/rpc';
import { QueueError, QueueErrorCode } from './errors.js';
import { AbandonSignal, checkMsg, checkStart, closedError, Fifo, handleDelivery, OrderedWindow, Sleeper, type RunResult } from './internal.js';
import { SILENT_LOGGER, type QueueLogger } from './logger.js';
import {
  checkDelays,
  checkInt,
  checkName,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_GROUP,
  DEFAULT_PARTITIONS,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_RETRY_DELAYS_MS,
  DEFAULT_TOPIC,
  retryDelayMs,
} from './options.js';
import { keyPartition } from './partitioner.js';
import { pushMsgKey, type PushConsumeOptions, type PushHandler, type PushQueue, type PushQueueConsumer, type PushQueueProducer } from './push-queue.js';

/** Publishes waiting in the producer (queued or being sent) before `publish` waits. */
export const DEFAULT_KAFKA_MAX_QUEUED = 10_000;
/** Messages per produce request. */
export const DEFAULT_KAFKA_MAX_BATCH = 500;
/** Consumer group session timeout, ms (kafkajs default; brokers allow ≥ 6000 by default). */
export const DEFAULT_KAFKA_SESSION_TIMEOUT_MS = 30_000;
/** Consumer group rebalance timeout, ms. */
export const DEFAULT_KAFKA_REBALANCE_TIMEOUT_MS = 60_000;
/** Consumer heartbeat interval, ms. */
export const DEFAULT_KAFKA_HEARTBEAT_INTERVAL_MS = 3_000;
/** Longest a fetch waits for data, ms (also bounds how fast an idle consumer stops). */
export const DEFAULT_KAFKA_MAX_WAIT_MS = 1_000;
/** Handled offsets are committed at least this often within a batch, and at its end, ms. */
export const DEFAULT_KAFKA_COMMIT_INTERVAL_MS = 200;

/** Options of {@link KafkaPushQueue}. Give `brokers` or `kafka`, not both. */
export interface KafkaPushQueueOptions {
  /** Bootstrap brokers (`host:port`); the queue creates its kafkajs client. */
  brokers?: string[];
  /** A kafkajs client to use instead of `brokers`. */
  kafka?: Kafka;
  /** kafkajs clientId when `brokers` is given. Default `goim-ts`. */
  clientId?: string;
  /** Topic. Default `goim-push-topic` (goim's `kafka.topic`). */
  topic?: string;
  /** Partitions when the topic has to be created. Default 16. */
  partitions?: number;
  /** Replication factor when the topic has to be created; -1 = the broker's default. Default -1. */
  replicationFactor?: number;
  /** Create the topic (admin API) when missing, before the first publish / subscribe. Default true. */
  ensureTopic?: boolean;
  /** Publishes held by the producer (queued or in flight) before `publish` waits. Default 10 000. */
  maxQueuedMessages?: number;
  /** Messages per produce request. Default 500. */
  maxBatchMessages?: number;
  /** How long `publish` waits for room before GOIM_ERR_QUEUE_FULL, ms. Default 10 000. */
  publishTimeoutMs?: number;
  /** Consumer group session timeout, ms. Default 30 000. */
  sessionTimeoutMs?: number;
  /** Consumer group rebalance timeout, ms. Default 60 000. */
  rebalanceTimeoutMs?: number;
  /** Consumer heartbeat interval, ms. Default 3000. */
  heartbeatIntervalMs?: number;
  /** Fetch max wait, ms. Default 1000. */
  maxWaitTimeMs?: number;
  /** Commit handled offsets at least this often inside a batch, ms (always at batch end). Default 200. */
  commitIntervalMs?: number;
  /** Delays between retries of a rejected message, ms; the last repeats. Default 100…5000. */
  retryDelaysMs?: readonly number[];
  /** How long a consumer's `close()` waits for in-flight handlers, ms. Default 10 000. */
  drainTimeoutMs?: number;
  /** pino-compatible logger; kafkajs logs go to it (WARN and up; INFO as debug). Silent by default. */
  logger?: QueueLogger;
}

/** kafkajs partitioner matching sarama's default hash partitioner (see partitioner.ts). */
export const saramaHashPartitioner = () =>
  ({ partitionMetadata, message }: { partitionMetadata: unknown[]; message: { key?: Buffer | string | null } }): number => {
    // goim always sets a key; sarama picks a random partition for a nil key.
    if (message.key === null || message.key === undefined) return Math.floor(Math.random() * partitionMetadata.length);
    return keyPartition(typeof message.key === 'string' ? message.key : new Uint8Array(message.key), partitionMetadata.length);
  };

/** A kafkajs logCreator writing to a pino-compatible logger. */
function bridgeLogs(logger: QueueLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _t, ...extra } = log;
      const fields = { component: 'kafkajs', namespace, ...extra };
      if (level === KafkaLogLevel.ERROR) logger.error(fields, message);
      else if (level === KafkaLogLevel.WARN) logger.warn(fields, message);
      else logger.debug(fields, message);
    };
}

interface Pending {
  key: string;
  value: Buffer;
  resolve(): void;
  reject(err: unknown): void;
}

interface Waiter {
  admit(): void;
  timer: NodeJS.Timeout;
  /** Timed out: skipped when its turn comes. */
  cancelled?: boolean;
}

/**
 * PushQueue on Kafka (kafkajs 2.2.4): acks=all, idempotent producer, sarama-compatible key
 * partitioning, consumer groups with commits only after handling. See the file comment.
 */
export class KafkaPushQueue implements PushQueue {
  readonly topic: string;
  /** @internal */ readonly kafka: Kafka;
  private readonly partitions: number;
  private readonly replicationFactor: number;
  private readonly ensureTopicOn: boolean;
  private readonly maxQueued: number;
  private readonly maxBatch: number;
  private readonly publishTimeoutMs: number;
  /** @internal */ readonly consumerConfig: { sessionTimeout: number; rebalanceTimeout: number; heartbeatInterval: number; maxWaitTimeInMs: number };
  /** @internal */ readonly commitIntervalMs: number;
  /** @internal */ readonly retryDelays: readonly number[];
  /** @internal */ readonly drainTimeoutMs: number;
  /** @internal */ readonly logger: QueueLogger;
  /** @internal */ readonly sleeper = new Sleeper();
  private producerReady: Promise<Producer> | undefined;
  private topicReady: Promise<void> | undefined;
  private readonly queued: Pending[] = [];
  private inFlight = 0;
  private readonly waiters = new Fifo<Waiter>();
  private sending: Promise<void> | undefined;
  private sendLoopRunning = false;
  private readonly consumers = new Set<KafkaConsumer>();
  private closed = false;
  private producerClosed = false;
  private closing: Promise<void> | undefined;
  private readonly theProducer: PushQueueProducer;

  constructor(options: KafkaPushQueueOptions) {
    const owner = 'KafkaPushQueue';
    if (!options || (!options.brokers && !options.kafka)) throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`brokers\` or \`kafka\` is required`);
    if (options.brokers && options.kafka) throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`brokers\` and \`kafka\` are mutually exclusive`);
    if (options.brokers && (!Array.isArray(options.brokers) || options.brokers.length === 0 || options.brokers.some((b) => typeof b !== 'string' || !b))) {
      throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`brokers\` must be a non-empty list of host:port strings`);
    }
    checkName(owner, 'topic', options.topic);
    checkName(owner, 'clientId', options.clientId);
    checkInt(owner, 'partitions', options.partitions, 1, 100_000);
    checkInt(owner, 'replicationFactor', options.replicationFactor, -1, 1_000);
    checkInt(owner, 'maxQueuedMessages', options.maxQueuedMessages, 1);
    checkInt(owner, 'maxBatchMessages', options.maxBatchMessages, 1);
    checkInt(owner, 'publishTimeoutMs', options.publishTimeoutMs, 0);
    checkInt(owner, 'sessionTimeoutMs', options.sessionTimeoutMs, 1);
    checkInt(owner, 'rebalanceTimeoutMs', options.rebalanceTimeoutMs, 1);
    checkInt(owner, 'heartbeatIntervalMs', options.heartbeatIntervalMs, 1);
    checkInt(owner, 'maxWaitTimeMs', options.maxWaitTimeMs, 0);
    checkInt(owner, 'commitIntervalMs', options.commitIntervalMs, 0);
    checkInt(owner, 'drainTimeoutMs', options.drainTimeoutMs, 0);
    checkDelays(owner, 'retryDelaysMs', options.retryDelaysMs);
    this.topic = options.topic ?? DEFAULT_TOPIC;
    this.partitions = options.partitions ?? DEFAULT_PARTITIONS;
    this.replicationFactor = options.replicationFactor ?? -1;
    this.ensureTopicOn = options.ensureTopic ?? true;
    this.maxQueued = options.maxQueuedMessages ?? DEFAULT_KAFKA_MAX_QUEUED;
    this.maxBatch = options.maxBatchMessages ?? DEFAULT_KAFKA_MAX_BATCH;
    this.publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    this.consumerConfig = {
      sessionTimeout: options.sessionTimeoutMs ?? DEFAULT_KAFKA_SESSION_TIMEOUT_MS,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? DEFAULT_KAFKA_REBALANCE_TIMEOUT_MS,
      heartbeatInterval: options.heartbeatIntervalMs ?? DEFAULT_KAFKA_HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? DEFAULT_KAFKA_MAX_WAIT_MS,
    };
    this.commitIntervalMs = options.commitIntervalMs ?? DEFAULT_KAFKA_COMMIT_INTERVAL_MS;
    this.retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.kafka =
      options.kafka ??
      new Kafka({
        clientId: options.clientId ?? 'goim-ts',
        brokers: options.brokers!,
        logLevel: options.logger ? KafkaLogLevel.INFO : KafkaLogLevel.NOTHING,
        logCreator: bridgeLogs(this.logger),
      });
    this.theProducer = {
      publish: (msg) => this.publish(msg),
      close: () => this.closeProducer(),
    };
  }

  producer(): PushQueueProducer {
    return this.theProducer;
  }

  consumer(group: string = DEFAULT_GROUP): PushQueueConsumer {
    checkName('KafkaPushQueue.consumer', 'group', group);
    if (this.closed) throw closedError('KafkaPushQueue');
    const c = new KafkaConsumer(this, group);
    this.consumers.add(c);
    return c;
  }

  /** @internal Partitions used when creating the topic. */
  get partitionCount(): number {
    return this.partitions;
  }

  /** Publishes held by the producer right now (queued + in flight); at most `maxQueuedMessages`. */
  get queuedMessages(): number {
    return this.queued.length + this.inFlight;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    this.producerClosed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    await this.closeProducer();
    this.sleeper.clear();
  }

  /** @internal */
  forget(c: KafkaConsumer): void {
    this.consumers.delete(c);
  }

  /** @internal */
  isClosed(): boolean {
    return this.closed;
  }

  /** @internal Creates the topic with `partitions` partitions when it does not exist (once). */
  ensureTopic(): Promise<void> {
    if (!this.ensureTopicOn) return Promise.resolve();
    this.topicReady ??= (async () => {
      const admin: Admin = this.kafka.admin();
      await admin.connect();
      try {
        const topics = await admin.listTopics();
        if (!topics.includes(this.topic)) {
          await admin.createTopics({ topics: [{ topic: this.topic, numPartitions: this.partitions, replicationFactor: this.replicationFactor }], waitForLeaders: true });
        }
      } catch (err) {
        // Another process may have created it in between.
        if (!String((err as Error)?.message).includes('already exists')) throw err;
      } finally {
        await admin.disconnect();
      }
    })().catch((err: unknown) => {
      this.topicReady = undefined;
      throw err;
    });
    return this.topicReady;
  }

  private connectProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      await this.ensureTopic();
      // Idempotent + one request in flight: broker-side dedup of retries and no reordering.
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: saramaHashPartitioner });
      await p.connect();
      return p;
    })().catch((err: unknown) => {
      this.producerReady = undefined;
      throw err;
    });
    return this.producerReady;
  }

  private publish(msg: PushMsg): Promise<void> {
    if (this.producerClosed) return Promise.reject(closedError('KafkaPushQueue'));
    try {
      checkMsg(msg);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = pushMsgKey(msg);
    const value = Buffer.from(PushMsg.encode(msg).finish());
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { key, value, resolve, reject };
      // FIFO behind earlier waiters keeps publish-call order per key under back-pressure.
      if (this.waiters.length === 0 && this.queuedMessages < this.maxQueued) {
        this.enqueue(pending);
        return;
      }
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          this.enqueue(pending);
        },
        timer: setTimeout(() => {
          waiter.cancelled = true;
          reject(new QueueError(QueueErrorCode.FULL, `KafkaPushQueue: ${this.maxQueued} publishes stayed queued for ${this.publishTimeoutMs} ms`));
        }, this.publishTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private enqueue(p: Pending): void {
    this.queued.push(p);
    if (!this.sendLoopRunning) {
      this.sendLoopRunning = true;
      this.sending = this.sendLoop();
    }
  }

  /**
   * Sends queued messages one produce request at a time (publishes that arrive meanwhile ride
   * in the next request), so call order is send order; each caller's promise settles with its
   * request.
   */
  private async sendLoop(): Promise<void> {
    // The running flag is cleared in the same tick the loop finds the queue empty (finally runs
    // synchronously on return), so a publish right after starts a new loop instead of stranding.
    try {
      while (this.queued.length > 0) {
        const batch = this.queued.splice(0, this.maxBatch);
        this.inFlight = batch.length;
        try {
          const producer = await this.connectProducer();
          await producer.send({ topic: this.topic, acks: -1, messages: batch.map((m) => ({ key: m.key, value: m.value })) });
          for (const m of batch) m.resolve();
        } catch (err) {
          const e = new QueueError(QueueErrorCode.PUBLISH_FAILED, `KafkaPushQueue: producing ${batch.length} message(s) to ${this.topic} failed`, { cause: err });
          for (const m of batch) m.reject(e);
        } finally {
          this.inFlight = 0;
        }
        while (this.waiters.length > 0 && this.queuedMessages < this.maxQueued) {
          const w = this.waiters.shift()!;
          if (!w.cancelled) w.admit();
        }
      }
    } finally {
      this.sendLoopRunning = false;
    }
  }

  private async closeProducer(): Promise<void> {
    this.producerClosed = true;
    for (const w of this.waiters.drain()) {
      if (w.cancelled) continue;
      clearTimeout(w.timer);
      w.admit(); // accepted before close: still sent, never dropped
    }
    await this.sending;
    const ready = this.producerReady;
    this.producerReady = undefined;
    if (ready) {
      const p = await ready.catch(() => undefined);
      await p?.disconnect();
    }
  }
}

/** Heartbeat error types after which kafkajs 2.2.4 rejoins the group (its `isRebalancing`). */
const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION']);

/** One member of a consumer group; one kafkajs consumer. */
class KafkaConsumer implements PushQueueConsumer {
  private handler: PushHandler | undefined;
  private client: Consumer | undefined;
  private closing: Promise<void> | undefined;
  private stopping = false;
  /**
   * Set when a heartbeat of any of this member's partitions failed (the group is rebalancing),
   * cleared on the next join: the other partitions' batches stop at their next message too, so
   * the member rejoins promptly instead of finishing whole batches first (kafkajs waits for all
   * of them), and never holds a partition past the rebalance timeout.
   */
  private rebalancing = false;
  private readonly abandon = new AbandonSignal();
  /** Messages of one partition handed out before earlier ones were committed-resolved. */
  private maxInFlight = 1;

  constructor(
    private readonly queue: KafkaPushQueue,
    readonly group: string,
  ) {}

  async start(handler: PushHandler, options?: PushConsumeOptions): Promise<void> {
    this.maxInFlight = checkStart('KafkaPushQueue consumer', { closed: !!this.closing || this.queue.isClosed(), started: !!this.handler }, options);
    this.handler = handler;
    const q = this.queue;
    const consumer = q.kafka.consumer({ groupId: this.group, allowAutoTopicCreation: false, ...q.consumerConfig });
    this.client = consumer;
    try {
      await q.ensureTopic();
      await consumer.connect();
      // A new group starts at the oldest retained message (goim's job starts at the newest and
      // loses what was published while no job ran).
      await consumer.subscribe({ topics: [q.topic], fromBeginning: true });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        this.rebalancing = false;
      });
      const joined = new Promise<void>((resolve, reject) => {
        const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
          offJoin();
          offCrash();
          resolve();
        });
        const offCrash = consumer.on(consumer.events.CRASH, (e) => {
          offJoin();
          offCrash();
          reject(e.payload.error);
        });
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // One lane per partition this member may own (a topic with more partitions still works,
        // with fewer partitions handled at once).
        partitionsConsumedConcurrently: Math.max(q.partitionCount, DEFAULT_PARTITIONS),
        eachBatch: (payload) => this.eachBatch(payload),
      });
      await joined;
      // kafkajs restarts the consumer on retriable failures by itself; anything else stops it.
      consumer.on(consumer.events.CRASH, (e) => {
        q.logger.error({ err: e.payload.error, restart: e.payload.restart, group: this.group, topic: q.topic }, 'kafka consumer crashed');
      });
    } catch (err) {
      await consumer.disconnect().catch(() => {});
      throw new QueueError(QueueErrorCode.SUBSCRIBE_FAILED, `KafkaPushQueue: joining group ${this.group} on ${q.topic} failed`, { cause: err });
    }
  }

  /**
   * Handles one partition's batch in order through an {@link OrderedWindow}: at most
   * `maxInFlightPerKey` messages handed out and unresolved (default 1). An offset is resolved
   * (and committed, at least every commitIntervalMs and at the end) only for the contiguous
   * prefix of resolved handlers, so the committed offset never passes an unresolved message;
   * a rejected message is retried in place (with what followed it), so nothing after it moves.
   * Stopping, a rebalance (stale batch) or an abandoned handler ends the batch early once the
   * in-flight handlers settled; the unhandled rest is fetched again from the resolved offset,
   * or by the next owner from the committed one.
   */
  private async eachBatch({ batch, resolveOffset, heartbeat: kafkaHeartbeat, isRunning, isStale: kafkaIsStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const q = this.queue;
    const heartbeat = async () => {
      try {
        await kafkaHeartbeat();
      } catch (err) {
        // Only the errors after which kafkajs rejoins (and GROUP_JOIN clears the flag).
        if (REBALANCE_ERRORS.has((err as { type?: string })?.type ?? '')) this.rebalancing = true;
        throw err;
      }
    };
    const isStale = () => this.rebalancing || kafkaIsStale();
    const stopped = () => !isRunning() || isStale() || this.stopping;
    let handled: string | undefined;
    let lastCommit = Date.now();
    const commit = async () => {
      if (handled === undefined) return;
      const offset = (BigInt(handled) + 1n).toString();
      handled = undefined;
      lastCommit = Date.now();
      await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] });
    };
    let fetched = false;
    const window = new OrderedWindow<KafkaMessage>({
      max: this.maxInFlight,
      fetch: () => {
        if (fetched) return [];
        fetched = true;
        return batch.messages;
      },
      run: (message, attempt) => this.handleMessage(topic, partition, message, attempt),
      ack: async (messages) => {
        const last = messages[messages.length - 1]!;
        resolveOffset(last.offset);
        handled = last.offset;
        if (Date.now() - lastCommit >= q.commitIntervalMs) await commit();
        // Handlers may still be running: a failed heartbeat must not end the batch under them.
        // A rebalance sets `rebalancing` (stale), and the window then drains before returning.
        await heartbeat().catch((err: unknown) => q.logger.debug({ err, topic, partition }, 'heartbeat failed'));
      },
      stopped,
      retryWait: async (failures) => {
        // Wait before retrying, but keep the group session alive and notice rebalances/stops.
        const until = Date.now() + retryDelayMs(failures, q.retryDelays);
        while (Date.now() < until) {
          if (stopped()) return false;
          await heartbeat();
          await q.sleeper.sleep(Math.min(100, until - Date.now()));
        }
        return !stopped();
      },
    });
    try {
      await window.run();
    } finally {
      // If this commit fails (the group is rebalancing), the handled messages come again to
      // the next owner: duplicates, never loss.
      await commit().catch((err: unknown) => q.logger.debug({ err, topic, partition }, 'offset commit failed; messages will be redelivered'));
    }
  }

  /** Runs the handler for one message (never rejects); a message that is not a PushMsg is reported and skipped. */
  private handleMessage(topic: string, partition: number, message: KafkaMessage, attempt: number): Promise<RunResult> {
    const q = this.queue;
    const id = `${topic}/${partition}/${message.offset}`;
    if (!message.value) {
      q.logger.error({ id }, 'kafka message has no value; skipped');
      return Promise.resolve('ok');
    }
    let msg: PushMsg;
    try {
      msg = PushMsg.decode(message.value);
    } catch (err) {
      // A value that is not a PushMsg would block the partition forever: report and skip it.
      q.logger.error({ err, id }, 'kafka message is not a goim.logic.PushMsg; skipped');
      return Promise.resolve('ok');
    }
    const handler = this.handler;
    if (!handler) return Promise.resolve('abandoned');
    const key = message.key ? message.key.toString() : pushMsgKey(msg);
    return handleDelivery(handler, { msg, key, id, attempt }, q.logger, this.abandon);
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.stopping = true;
    if (this.client) {
      // disconnect() stops fetching, waits for the running batches (each ends after its
      // in-flight handler), commits, and leaves the group. Handlers outliving the drain
      // timeout are abandoned uncommitted: the next owner gets their messages.
      const timer = setTimeout(() => {
        this.queue.logger.warn({ group: this.group }, 'push handlers outlived the drain timeout; their messages will be redelivered');
        this.abandon.fire();
      }, this.queue.drainTimeoutMs);
      try {
        await this.client.disconnect();
      } finally {
        clearTimeout(timer);
      }
    }
    this.abandon.fire();
    this.queue.forget(this);
  }
}
