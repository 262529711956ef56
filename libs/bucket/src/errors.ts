/**
 * Errors thrown by @goim/bucket. Every error carries a stable string `code`; a released code
 * never changes meaning.
 */
export const BucketErrorCode = {
  /** A constructor option is out of range (the message names the property). */
  INVALID_OPTION: 'GOIM_ERR_BUCKET_INVALID_OPTION',
  /** A method argument has the wrong type or range (e.g. a non-string room id, n ≤ 0). */
  INVALID_ARGUMENT: 'GOIM_ERR_BUCKET_INVALID_ARGUMENT',
  /** `put` of a channel that is already closed. */
  CHANNEL_CLOSED: 'GOIM_ERR_BUCKET_CHANNEL_CLOSED',
  /** `put` of a channel that is already registered (in this or another Buckets). */
  CHANNEL_REGISTERED: 'GOIM_ERR_BUCKET_CHANNEL_REGISTERED',
  /** `add`/`reset` on a TimerWheel after `close()`. */
  TIMER_CLOSED: 'GOIM_ERR_BUCKET_TIMER_CLOSED',
} as const;
export type BucketErrorCode = (typeof BucketErrorCode)[keyof typeof BucketErrorCode];

/** Base error of @goim/bucket; `code` is one of {@link BucketErrorCode}. */
export class BucketError extends Error {
  readonly code: BucketErrorCode;
  constructor(code: BucketErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BucketError';
    this.code = code;
  }
}
