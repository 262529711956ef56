/**
 * Errors of apps/job. Codes are stable: a released code never changes meaning.
 */
import { CodedError } from '@goim/app-kit';

/** Config errors are shared by every goim-ts app (same class, same `GOIM_ERR_CONFIG_*` codes). */
export { ConfigError, ConfigErrorCode } from '@goim/app-kit';

export const JobErrorCode = {
  /** `start()` called twice or after `close()`. */
  BAD_STATE: 'GOIM_ERR_JOB_BAD_STATE',
  /** A comet kept failing after the retry budget; the queue message is left for redelivery. */
  DELIVERY_FAILED: 'GOIM_ERR_JOB_DELIVERY_FAILED',
  /** A message queued behind a failed one on the same comet lane; failed to keep order. */
  LANE_FAILED: 'GOIM_ERR_JOB_LANE_FAILED',
  /** The job is closing; the message is left for redelivery. */
  CLOSED: 'GOIM_ERR_JOB_CLOSED',
} as const;
export type JobErrorCode = (typeof JobErrorCode)[keyof typeof JobErrorCode];

/** A delivery error; a handler that rejects with it leaves the queue message for redelivery. */
export class JobError extends CodedError<JobErrorCode> {
  override readonly name = 'JobError';
}
