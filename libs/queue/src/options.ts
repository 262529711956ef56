/**
 * Defaults shared by every PushQueue adapter and by the apps' config schemas.
 */
import { QueueError, QueueErrorCode } from './errors.js';

/** goim's Kafka topic (`kafka.topic`); also the Redis stream prefix. Kept for goim compatibility. */
export const DEFAULT_TOPIC = 'goim-push-topic';
/** goim job's consumer group (`kafka.group`). Kept for goim compatibility. */
export const DEFAULT_GROUP = 'goim-push-group-job';
/** Partitions (Kafka) / stream shards (Redis) / memory partitions: goim maintainers recommend 16. */
export const DEFAULT_PARTITIONS = 16;
/** Delays between handler retries of one message, in ms; the last one repeats. Never skipped. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [100, 250, 500, 1_000, 2_000, 5_000];
/** How long `close()` waits for in-flight handlers before abandoning them (left unacknowledged), ms. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** How long `publish` waits for room in a full backlog before rejecting with GOIM_ERR_QUEUE_FULL, ms. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
/** Memory adapter: messages retained (not yet acknowledged by every group) before `publish` waits. */
export const DEFAULT_MEMORY_CAPACITY = 100_000;
/** Redis Streams: approximate `MAXLEN ~` of each shard stream. */
export const DEFAULT_STREAM_MAX_LEN = 100_000;
/** Redis Streams: consumer lease (shard ownership and membership) lifetime, ms. */
export const DEFAULT_LEASE_MS = 10_000;
/** Redis Streams: XREADGROUP BLOCK time, ms. */
export const DEFAULT_BLOCK_MS = 1_000;
/** Entries read per XREADGROUP / XAUTOCLAIM call. */
export const DEFAULT_READ_COUNT = 100;

/** Delay before retry number `attempt` (1 = first retry) with the given delay table. */
export function retryDelayMs(attempt: number, delays: readonly number[] = DEFAULT_RETRY_DELAYS_MS): number {
  if (delays.length === 0) return 0;
  return delays[Math.min(Math.max(attempt, 1), delays.length) - 1]!;
}

/** Throws GOIM_ERR_QUEUE_INVALID_OPTIONS unless `value` is an integer in [min, max]. */
export function checkInt(owner: string, name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`${name}\` must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Throws GOIM_ERR_QUEUE_INVALID_OPTIONS unless `delays` is a list of non-negative integers. */
export function checkDelays(owner: string, name: string, delays: readonly number[] | undefined): void {
  if (delays === undefined) return;
  if (!Array.isArray(delays) || delays.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`${name}\` must be a list of non-negative integer milliseconds`);
  }
}

/** Throws GOIM_ERR_QUEUE_INVALID_OPTIONS unless `value` is a non-empty string. */
export function checkName(owner: string, name: string, value: string | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.length === 0) {
    throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`${name}\` must be a non-empty string`);
  }
}
