/**
 * Errors of apps/comet. Codes are stable: a released code never changes meaning.
 */
import { CodedError } from '@goim/app-kit';

/** Config errors are shared by every goim-ts app (same class, same `GOIM_ERR_CONFIG_*` codes). */
export { ConfigError, ConfigErrorCode } from '@goim/app-kit';

export const CometErrorCode = {
  /** listen() called twice or after close(). */
  BAD_STATE: 'GOIM_ERR_COMET_BAD_STATE',
  /** A TLS certificate/key file cannot be read. */
  TLS_FILE: 'GOIM_ERR_COMET_TLS_FILE',
} as const;
export type CometErrorCode = (typeof CometErrorCode)[keyof typeof CometErrorCode];

/** A comet lifecycle error. */
export class CometError extends CodedError<CometErrorCode> {
  override readonly name = 'CometError';
}
