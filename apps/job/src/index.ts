/**
 * apps/job: consumes goim PushMsgs from the queue, batches room messages, delivers to comets.
 * `createJob(config, deps)` is what `main.ts` and `apps/standalone` call.
 */
export { createJob, splitSpeed } from './job.js';
export {
  jobConfigSchema,
  parseJobConfig,
  resolveJobConfig,
  loadJobConfig,
  parseJobFlags,
  parseDurationMs,
  grpcTarget,
  roomMaxPending,
  roomIdleMs,
  queueMaxInFlight,
  DEFAULT_ROOM_BATCH,
  DEFAULT_ROOM_SIGNAL_MS,
  DEFAULT_ROOM_IDLE_MS,
  DEFAULT_COMET_ROUTINE_SIZE,
  DEFAULT_COMET_ROUTINE_CHAN,
  DEFAULT_COMET_DEADLINE_MS,
  DEFAULT_COMET_RETRIES,
  DEFAULT_UNKNOWN_SERVER_DEADLINE_MS,
  DEFAULT_KAFKA_TOPIC,
  DEFAULT_KAFKA_GROUP,
} from './config.js';
export { MemoryCometDirectory, followRegistry, instanceGrpcAddr } from './comet-directory.js';
export { RoomBatcher, roomBatchId } from './room-batcher.js';
export { CometLanes, withRetry, backoffMs, isPermanent, CometGoneError } from './delivery.js';
export { listenJobHttp } from './http.js';
export { ConfigError, ConfigErrorCode, JobError, JobErrorCode } from './errors.js';
export { realTimers, silentLogger } from './timers.js';
export type { Job, JobDeps } from './job.js';
export type { JobConfig, JobConfigInput, JobConfigSources, JobFlags } from './config.js';
export type { CometDirectory, CometEntry, CometAddress } from './comet-directory.js';
export type { RoomBatch, RoomFlush, RoomBatcherOptions } from './room-batcher.js';
export type { RetryOptions } from './delivery.js';
export type { JobHttpServer } from './http.js';
export type { JobMetrics, MessageType } from './metrics.js';
export type { Timers, JobLogger } from './timers.js';
