/**
 * PushQueue: how logic hands pushes to job. The payload is goim's `goim.logic.PushMsg`
 * (protobuf, spec §3.3); the Kafka adapter uses goim's topic, value and message keys, so Go
 * and TypeScript logic/job processes can share a topic.
 *
 * Guarantees every adapter gives (checked by the contract suite in `./testing`):
 * - `publish` resolves only once the engine durably accepted the message.
 * - at-least-once: a message is redelivered until a handler call for it resolved; a message
 *   whose handler rejected, or whose consumer died before it resolved, comes again.
 * - order per message key: deliveries with the same key reach the handler one at a time, in
 *   publish order (a redelivery keeps that order: later messages of the key wait).
 * - consumers of one group share the messages; different groups each get all of them.
 */
import type { PushMsg } from '@goim/protocol/rpc';

/**
 * The message key of a PushMsg, as goim's logic sets it (spec §3.3): PUSH → keys[0],
 * ROOM → the room, BROADCAST → the decimal operation.
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

export interface PushQueueProducer {
  /** Publishes one message; resolves once the engine durably accepted it. */
  publish(msg: PushMsg): Promise<void>;
  /** Flushes and releases the producer; safe to call twice. */
  close(): Promise<void>;
}

/** One delivered message. */
export interface PushDelivery {
  msg: PushMsg;
  /** Message key (see {@link pushMsgKey}). */
  key: string;
  /** Stable id of this queue entry (e.g. `topic/partition/offset`, a stream entry id). */
  id: string;
  /** 1 for the first delivery, more for redeliveries when the adapter knows. */
  attempt: number;
}

/**
 * Handles one delivery. Resolving acknowledges it (it will not come again); rejecting leaves
 * it unacknowledged so it is redelivered after the adapter's retry delay.
 */
export type PushHandler = (delivery: PushDelivery) => Promise<void>;

export interface PushQueueConsumer {
  /** Starts consuming for `group`; resolves once subscribed. */
  start(handler: PushHandler): Promise<void>;
  /** Stops taking new messages, waits for in-flight handlers, commits, leaves the group; safe twice. */
  close(): Promise<void>;
}
