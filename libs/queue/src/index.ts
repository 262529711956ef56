/**
 * `@goim/queue`: the PushQueue contract (logic → job) and its adapters: memory (one
 * process), Redis Streams and Kafka.
 */
export { version } from './version.js';
export { pushMsgKey } from './push-queue.js';
export { QueueError, QueueErrorCode } from './errors.js';
export {
  DEFAULT_TOPIC,
  DEFAULT_GROUP,
  DEFAULT_PARTITIONS,
  DEFAULT_RETRY_DELAYS_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_MEMORY_CAPACITY,
  DEFAULT_STREAM_MAX_LEN,
  DEFAULT_LEASE_MS,
  DEFAULT_BLOCK_MS,
  DEFAULT_READ_COUNT,
  retryDelayMs,
} from './options.js';
export { fnv1a32, keyPartition } from './partitioner.js';
export {
  KafkaPushQueue,
  saramaHashPartitioner,
  DEFAULT_KAFKA_MAX_QUEUED,
  DEFAULT_KAFKA_MAX_BATCH,
  DEFAULT_KAFKA_SESSION_TIMEOUT_MS,
  DEFAULT_KAFKA_REBALANCE_TIMEOUT_MS,
  DEFAULT_KAFKA_HEARTBEAT_INTERVAL_MS,
  DEFAULT_KAFKA_MAX_WAIT_MS,
  DEFAULT_KAFKA_COMMIT_INTERVAL_MS,
} from './kafka-push-queue.js';
export { MemoryPushQueue } from './memory-push-queue.js';
export { RedisStreamsPushQueue, DEFAULT_BACKLOG_CHECK_MS } from './redis-streams-push-queue.js';
export type { PushQueue, PushQueueProducer, PushQueueConsumer, PushDelivery, PushHandler, PushConsumeOptions } from './push-queue.js';
export type { MemoryPushQueueOptions } from './memory-push-queue.js';
export type { RedisStreamsPushQueueOptions } from './redis-streams-push-queue.js';
export type { KafkaPushQueueOptions } from './kafka-push-queue.js';
export type { QueueLogger } from './logger.js';
