/**
 * Errors of @goim/session-store. Codes are stable: a released code never changes meaning.
 * Every rejection of a {@link SessionStore} method is a {@link SessionStoreError}; a backend
 * failure keeps the driver's error as `cause`.
 */
export const SessionStoreErrorCode = {
  /** Constructor options are invalid (the message names the property). */
  INVALID_OPTIONS: 'GOIM_ERR_SESSION_STORE_INVALID_OPTIONS',
  /** A method argument is invalid: mid not a non-negative safe integer, empty key/server, bad room count. */
  INVALID_ARGUMENT: 'GOIM_ERR_SESSION_STORE_INVALID_ARGUMENT',
  /** The backend (Redis) failed or timed out; `cause` holds the driver error. */
  BACKEND: 'GOIM_ERR_SESSION_STORE_BACKEND',
  /** An `ol_<server>` shard holds something that is not goim's online JSON. */
  BAD_ONLINE_DATA: 'GOIM_ERR_SESSION_STORE_BAD_ONLINE_DATA',
  /** The store was closed. */
  CLOSED: 'GOIM_ERR_SESSION_STORE_CLOSED',
} as const;
export type SessionStoreErrorCode = (typeof SessionStoreErrorCode)[keyof typeof SessionStoreErrorCode];

/** The one error type of @goim/session-store; match on `code`, never on the message. */
export class SessionStoreError extends Error {
  override readonly name = 'SessionStoreError';
  constructor(
    readonly code: SessionStoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
