/**
 * PushQueue: how logic hands pushes to job. The payload is goim's `goim.logic.PushMsg`
 * (protobuf, spec §3.3); the Kafka adapter uses goim's topic, value and message keys, so Go
 * and TypeScript logic/job processes can share a topic.
 *
 * Guarantees every adapter gives (checked by `describePushQueueContract` in
 * `@goim/queue/testing`, run against each real engine):
 * - `publish` resolves only once the engine durably accepted the message (Kafka: acks=all;
 *   Redis: XADD replied; memory: stored in the process). It rejects with a {@link QueueError}
 *   instead of dropping: no silent loss (spec §10.23, goim job is at-most-once; we diverge).
 * - at-least-once: a message is redelivered until a handler call for it resolved; a message
 *   whose handler rejected, or whose consumer closed/died before it resolved, comes again
 *   (to the same consumer after a retry delay, or to another consumer of the group).
 *   Duplicates are therefore possible; `PushMsg.msgID` lets receivers suppress them.
 * - order per message key: deliveries with the same key reach the handler one at a time, in
 *   publish order (a redelivery keeps that order: later messages of the key wait, never skip),
 *   including across consumer-group rebalances. Different keys are handled in parallel.
 *   With {@link PushConsumeOptions.maxInFlightPerKey} > 1 (pipelined mode) handler *calls*
 *   stay in publish order, but up to that many may run at once (see there).
 * - consumers of one group share the messages; different groups each get all of them.
 * - bounded: where the engine's backlog is bounded (memory, Redis Streams), `publish` waits
 *   while it is full (back-pressure) and rejects with GOIM_ERR_QUEUE_FULL after
 *   `publishTimeoutMs`.
 */
import type { PushMsg } from '@goim/protocol/rpc';

/**
 * The message key of a PushMsg, as goim's logic sets it (spec §3.3): PUSH → keys[0],
 * ROOM → the room, BROADCAST → the decimal operation. Kept for goim compatibility (spec
 * §10.27: all broadcasts of one op share a partition; a multi-key push orders by keys[0]).
 */
export function pushMsgKey(msg: PushMsg): string {
  switch (msg.type) {
    case 0:
      return msg.keys[0] ?? '';
    case 1:
      return msg.room;
    default:
      return String(msg.operation);
  }
}

/** The sending side of a queue; safe to share between concurrent callers. */
export interface PushQueueProducer {
  /**
   * Publishes one message under {@link pushMsgKey}; resolves once the engine durably accepted
   * it. Messages with the same key published by one producer are delivered in the order their
   * `publish` calls were made. Rejects with a {@link QueueError}: GOIM_ERR_QUEUE_CLOSED after
   * close, GOIM_ERR_QUEUE_FULL when back-pressure outlasted `publishTimeoutMs`,
   * GOIM_ERR_QUEUE_PUBLISH_FAILED when the engine failed (the message may or may not be stored).
   */
  publish(msg: PushMsg): Promise<void>;
  /** Waits for pending publishes and releases the producer; safe to call twice. */
  close(): Promise<void>;
}

/** One delivered message. */
export interface PushDelivery {
  msg: PushMsg;
  /** Message key (see {@link pushMsgKey}). */
  key: string;
  /** Stable id of this queue entry: `topic/partition/offset` (Kafka, memory), `stream/entryId` (Redis). */
  id: string;
  /** 1 for the first delivery, more for redeliveries when the adapter knows. */
  attempt: number;
}

/**
 * Handles one delivery. Resolving acknowledges it (it will not come again to this group);
 * rejecting leaves it unacknowledged so it is retried after the adapter's retry delay
 * (`retryDelaysMs`) before any later message of the same key.
 */
export type PushHandler = (delivery: PushDelivery) => Promise<void>;

/** How a consumer hands messages to its handler. */
export interface PushConsumeOptions {
  /**
   * Pipelined delivery: how many messages of one ordering unit may be handed to the handler
   * before the earlier ones resolved. The unit is what the adapter serialises on: a partition
   * (Kafka, memory) or a shard stream (Redis Streams); it holds every message of a key, so at
   * most this many messages of one key are in flight. Default 1: the next message of a unit
   * only after the previous one was acknowledged (strict one-at-a-time).
   *
   * With N > 1:
   * - handler calls are still made in publish order per key (and per unit);
   * - acknowledgement stays contiguous: a message is acknowledged (Kafka offset committed,
   *   Redis XACK, memory committed) only once it and every earlier message of its unit
   *   resolved; at most N messages are handed out and unacknowledged at a time. A consumer
   *   that dies or closes redelivers from the first unacknowledged message, in order;
   * - when a handler rejects, no further message of the unit is handed out; once the
   *   in-flight handlers settled, delivery restarts (after the retry delay) at the first
   *   rejected message, in order. Messages after it whose handlers had resolved come again:
   *   at-least-once, duplicates possible (use `PushMsg.msgID`).
   *
   * The handler must therefore start its side effects in call order (e.g. enqueue
   * synchronously) if it relies on order per key. goim-ts extension, not in goim.
   */
  maxInFlightPerKey?: number;
}

/** One member of a consumer group; its group is fixed when it is created. */
export interface PushQueueConsumer {
  /**
   * Joins the consumer group and starts handing messages to `handler`; resolves once
   * subscribed. A new group starts at the oldest retained message. `options` selects the
   * pipelined mode ({@link PushConsumeOptions}). Rejects with GOIM_ERR_QUEUE_ALREADY_STARTED
   * on a second call, GOIM_ERR_QUEUE_CLOSED after close, GOIM_ERR_QUEUE_INVALID_OPTIONS for a
   * bad `maxInFlightPerKey`.
   */
  start(handler: PushHandler, options?: PushConsumeOptions): Promise<void>;
  /**
   * Stops taking new messages, waits for in-flight handlers (up to `drainTimeoutMs`; those
   * still running then are abandoned unacknowledged and redelivered to the group), commits,
   * leaves the group; safe to call twice, and before `start`.
   */
  close(): Promise<void>;
}

/** A queue (one Kafka topic, one set of Redis streams, one memory log) with its clients. */
export interface PushQueue {
  /** The queue's producer; the same instance on every call. */
  producer(): PushQueueProducer;
  /** A new consumer in `group` (default `DEFAULT_GROUP`, goim's `goim-push-group-job`). */
  consumer(group?: string): PushQueueConsumer;
  /** Closes the producer and every consumer created here; safe to call twice. */
  close(): Promise<void>;
}
