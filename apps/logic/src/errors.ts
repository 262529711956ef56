/**
 * Errors of apps/logic. Codes are stable: a released code never changes meaning.
 */
import { CodedError } from '@goim/app-kit';

/** Config errors are shared by every goim-ts app (same class, same `GOIM_ERR_CONFIG_*` codes). */
export { ConfigError, ConfigErrorCode } from '@goim/app-kit';

export const AuthErrorCode = {
  /** The token is malformed (not JSON / not a JWT / wrong field types). */
  BAD_TOKEN: 'GOIM_ERR_AUTH_BAD_TOKEN',
  /** The token was checked and refused (bad signature, expired, backend said no). */
  REFUSED: 'GOIM_ERR_AUTH_REFUSED',
  /** The auth backend (webhook) could not be asked or answered nonsense. */
  BACKEND_UNAVAILABLE: 'GOIM_ERR_AUTH_BACKEND_UNAVAILABLE',
} as const;
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];

/**
 * An authenticator's refusal or failure. Logic's Connect turns BAD_TOKEN/REFUSED into gRPC
 * UNAUTHENTICATED (comet closes the client with an op-6 reason) and BACKEND_UNAVAILABLE
 * into UNAVAILABLE.
 */
export class AuthError extends CodedError<AuthErrorCode> {
  override readonly name = 'AuthError';
}

export const LogicErrorCode = {
  /** A push request is invalid (e.g. empty `keys`); HTTP code -400. */
  BAD_REQUEST: 'GOIM_ERR_LOGIC_BAD_REQUEST',
  /** The session store or queue failed; HTTP code -500. */
  BACKEND: 'GOIM_ERR_LOGIC_BACKEND',
  /** The upstream-message sink (webhook/queue) failed. */
  RECEIVE_SINK: 'GOIM_ERR_LOGIC_RECEIVE_SINK',
  /** listen() called twice or after close(). */
  BAD_STATE: 'GOIM_ERR_LOGIC_BAD_STATE',
} as const;
export type LogicErrorCode = (typeof LogicErrorCode)[keyof typeof LogicErrorCode];

/** A logic-level failure with a stable code. */
export class LogicError extends CodedError<LogicErrorCode> {
  override readonly name = 'LogicError';
}
