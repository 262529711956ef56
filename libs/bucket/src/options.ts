/** Number of buckets of a comet (goim `bucket.size`, default 32). */
export const DEFAULT_BUCKET_COUNT = 32;
/**
 * Default bound of one connection's outbound data, in bytes (queued in the channel plus the
 * transport's `bufferedBytes`). Exceeding it closes the connection as a slow consumer.
 * goim instead drops pushes silently once 10 are queued (spec §10.5).
 */
export const DEFAULT_MAX_OUTBOUND_BYTES = 1024 * 1024;
/** Default resolution of a {@link TimerWheel} tick, in milliseconds. */
export const DEFAULT_TIMER_RESOLUTION_MS = 1000;
/** Rooms one connection may be in at once (ops 12/18); goim allowed exactly one. */
export const DEFAULT_MAX_ROOMS_PER_CHANNEL = 64;
