/**
 * @goim/bucket — CityHash32, buckets, rooms, channels and fan-out for a goim v2 comet.
 * Transport-agnostic: connections are reached through a {@link Sink}, so a custom gateway
 * can embed it without the rest of goim-ts.
 *
 * Changes to the shared API contract (recorded here and in the TSDoc):
 * - `Buckets.broadcast` resolves with the {@link PushCounts}; its pacing clock is the
 *   `sleep` option (instead of `now`).
 * - `Buckets.put(ch, roomId?)` joins the auth room; `newChannel(init)` builds a channel bound
 *   to the buckets' scheduler/limits (or `new Channel(init, buckets)`).
 * - Room operations return booleans instead of throwing when the channel is not registered.
 */
export { cityHash32, bucketIndex } from './cityhash.js';
export { BucketError, BucketErrorCode } from './errors.js';
export {
  DEFAULT_BUCKET_COUNT,
  DEFAULT_MAX_OUTBOUND_BYTES,
  DEFAULT_MAX_ROOMS_PER_CHANNEL,
  DEFAULT_TIMER_RESOLUTION_MS,
} from './options.js';
export { Channel, PushResult } from './channel.js';
export { Room } from './room.js';
export { Bucket } from './bucket.js';
export { Buckets } from './buckets.js';
export { FlushScheduler } from './flush-scheduler.js';
export { TimerWheel } from './timer-wheel.js';
export { version } from './version.js';
export type { Outbound, Sink, BucketLogger, PushCounts, BucketStats, BucketCounters, ChannelInit } from './types.js';
export type { ChannelContext } from './channel.js';
export type { BucketsOptions } from './buckets.js';
export type { FlushSchedulerOptions, Flushable } from './flush-scheduler.js';
export type { TimerWheelOptions } from './timer-wheel.js';
