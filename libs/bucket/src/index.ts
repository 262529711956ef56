/**
 * @goim/bucket — CityHash32, buckets, rooms, channels and fan-out for a goim v2 comet.
 * Transport-agnostic: connections are reached through a {@link Sink}.
 */
export { cityHash32, bucketIndex } from './cityhash.js';
export { BucketError, BucketErrorCode } from './errors.js';
export { DEFAULT_BUCKET_COUNT, DEFAULT_MAX_OUTBOUND_BYTES, DEFAULT_TIMER_RESOLUTION_MS } from './options.js';
export type { Outbound, Sink, BucketLogger, PushCounts, BucketStats, BucketCounters, ChannelInit } from './types.js';
