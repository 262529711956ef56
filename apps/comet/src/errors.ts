/**
 * Errors of apps/comet. Codes are stable: a released code never changes meaning.
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

/** Bad comet configuration; thrown once at startup. */
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

export const CometErrorCode = {
  /** listen() called twice or after close(). */
  BAD_STATE: 'GOIM_ERR_COMET_BAD_STATE',
  /** A TLS certificate/key file cannot be read. */
  TLS_FILE: 'GOIM_ERR_COMET_TLS_FILE',
} as const;
export type CometErrorCode = (typeof CometErrorCode)[keyof typeof CometErrorCode];

/** A comet lifecycle error. */
export class CometError extends Error {
  override readonly name = 'CometError';
  constructor(
    readonly code: CometErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
