/**
 * Errors of apps/job. Codes are stable: a released code never changes meaning.
 */
export const ConfigErrorCode = {
  /** A config value fails the schema (the message names every bad key). */
  INVALID: 'GOIM_ERR_CONFIG_INVALID',
  /** The TOML file does not parse. */
  BAD_TOML: 'GOIM_ERR_CONFIG_BAD_TOML',
  /** The `-conf` file cannot be read. */
  BAD_FILE: 'GOIM_ERR_CONFIG_BAD_FILE',
  /** An unknown or incomplete command-line flag. */
  BAD_FLAG: 'GOIM_ERR_CONFIG_BAD_FLAG',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** Bad job configuration; thrown once at startup. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

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
export class JobError extends Error {
  override readonly name = 'JobError';
  constructor(
    readonly code: JobErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
