/**
 * Builds the PushQueue consumer `main.ts` hands to createJob, from `queue.type`.
 * (apps/standalone does not use this: it passes its own in-process consumer.)
 */
import { KafkaPushQueue, MemoryPushQueue, RedisStreamsPushQueue, type PushQueue, type PushQueueConsumer } from '@goim/queue';
import type { JobConfig } from './config.js';
import { ConfigError, ConfigErrorCode } from './errors.js';
import type { JobLogger } from './timers.js';

/** The consumer plus what must be closed after it. */
export interface QueueConsumerHandle {
  consumer: PushQueueConsumer;
  close(): Promise<void>;
}

export function createQueueConsumer(config: JobConfig, logger: JobLogger): QueueConsumerHandle {
  let queue: PushQueue;
  switch (config.queue.type) {
    case 'memory':
      // One process only: useful for a smoke run; logic must share the same process to publish.
      logger.warn({}, 'queue.type "memory": this job only sees messages published in its own process');
      queue = new MemoryPushQueue({ topic: config.kafka.topic });
      break;
    case 'kafka':
      if (config.kafka.brokers.length === 0) {
        // goim panicked here (#260); we say what is missing.
        throw new ConfigError(ConfigErrorCode.INVALID, 'queue.type "kafka" needs kafka.brokers (e.g. ["127.0.0.1:9092"])');
      }
      queue = new KafkaPushQueue({
        brokers: [...config.kafka.brokers],
        clientId: `goim-job-${config.env.host || 'ts'}`,
        topic: config.kafka.topic,
        partitions: config.kafka.partitions,
        sessionTimeoutMs: config.kafka.sessionTimeout,
        heartbeatIntervalMs: config.kafka.heartbeatInterval,
        rebalanceTimeoutMs: config.kafka.rebalanceTimeout,
        drainTimeoutMs: config.shutdown.drain,
        logger,
      });
      break;
    case 'redis-streams':
      if (!config.queue.redisUrl) {
        throw new ConfigError(ConfigErrorCode.INVALID, 'queue.type "redis-streams" needs queue.redisUrl (e.g. "redis://127.0.0.1:6379")');
      }
      queue = new RedisStreamsPushQueue({
        redis: config.queue.redisUrl,
        stream: config.kafka.topic,
        drainTimeoutMs: config.shutdown.drain,
        logger,
      });
      break;
  }
  return { consumer: queue.consumer(config.kafka.group), close: () => queue.close() };
}
