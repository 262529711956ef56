/**
 * The config errors every goim-ts app throws at startup. One class for comet, logic and job,
 * so a caller composing several roles (apps/standalone) matches one `code` set.
 * Codes are stable: a released code never changes meaning.
 */
export const ConfigErrorCode = {
  /** A config value fails the schema (the message names every bad key). */
  INVALID: 'GOIM_ERR_CONFIG_INVALID',
  /** The TOML file does not parse. */
  BAD_TOML: 'GOIM_ERR_CONFIG_BAD_TOML',
  /** The `-conf` file (or a file it names, e.g. a key file) cannot be read. */
  BAD_FILE: 'GOIM_ERR_CONFIG_BAD_FILE',
  /** An unknown or incomplete command-line flag. */
  BAD_FLAG: 'GOIM_ERR_CONFIG_BAD_FLAG',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/**
 * Base of the apps' error classes: an Error with a stable string `code`
 * (`GOIM_ERR_<AREA>_<WHAT>`); subclasses set `name`.
 */
export abstract class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Bad app configuration; thrown once at startup. */
export class ConfigError extends CodedError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
}
