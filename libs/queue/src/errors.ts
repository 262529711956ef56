/**
 * Errors of @goim/queue. Codes are stable: a released code never changes meaning.
 */
export const QueueErrorCode = {
  /** `publish`, `start` or `consumer()` was called after `close()`. */
  CLOSED: 'GOIM_ERR_QUEUE_CLOSED',
  /** The backlog stayed at its bound for longer than `publishTimeoutMs`: consumers are not keeping up. */
  FULL: 'GOIM_ERR_QUEUE_FULL',
  /** An option is out of range or two options conflict; the message names the property. */
  INVALID_OPTIONS: 'GOIM_ERR_QUEUE_INVALID_OPTIONS',
  /** `publish` got something that is not a goim.logic.PushMsg (missing `keys` array or `msg` bytes). */
  INVALID_MESSAGE: 'GOIM_ERR_QUEUE_INVALID_MESSAGE',
  /** `start()` was called twice on one consumer. */
  ALREADY_STARTED: 'GOIM_ERR_QUEUE_ALREADY_STARTED',
  /** The engine refused or failed to store a message (the cause is attached). */
  PUBLISH_FAILED: 'GOIM_ERR_QUEUE_PUBLISH_FAILED',
  /** A consumer could not subscribe (group creation, topic creation, connection); cause attached. */
  SUBSCRIBE_FAILED: 'GOIM_ERR_QUEUE_SUBSCRIBE_FAILED',
} as const;
export type QueueErrorCode = (typeof QueueErrorCode)[keyof typeof QueueErrorCode];

/** The one error type thrown or rejected by @goim/queue public APIs; match on `code`. */
export class QueueError extends Error {
  override readonly name = 'QueueError';
  constructor(
    readonly code: QueueErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
