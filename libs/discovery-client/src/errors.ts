/**
 * Errors of @goim/discovery-client. Codes are stable: a released code never changes meaning.
 */
export const RegistryErrorCode = {
  /** `register`, `fetch` or `watch` was called after `close()`. */
  CLOSED: 'GOIM_ERR_REGISTRY_CLOSED',
  /** `update` was called on a registration after `cancel()` (or after the registry closed). */
  CANCELLED: 'GOIM_ERR_REGISTRY_CANCELLED',
  /** An option is missing, out of range, or two options conflict; the message names the property. */
  INVALID_OPTIONS: 'GOIM_ERR_REGISTRY_INVALID_OPTIONS',
  /** `register`/`update` got an instance or metadata that does not fit goim's instance shape; the message names the field. */
  INVALID_INSTANCE: 'GOIM_ERR_REGISTRY_INVALID_INSTANCE',
  /** `register` got an instance whose `env` differs from the registry's `env` (dev and prod never mix). */
  ENV_MISMATCH: 'GOIM_ERR_REGISTRY_ENV_MISMATCH',
  /** The backend (etcd, Redis) refused or failed a call; the cause is attached. */
  BACKEND: 'GOIM_ERR_REGISTRY_BACKEND',
  /**
   * One attempt to establish a watch or a registration did not finish within `attemptTimeoutMs`
   * (e.g. etcd unreachable: its watch creation waits for a connection). The attempt was abandoned
   * and what it had created released; with retries on (the default) the next attempt follows.
   */
  TIMEOUT: 'GOIM_ERR_REGISTRY_TIMEOUT',
} as const;
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

/** The one error type thrown or rejected by @goim/discovery-client public APIs; match on `code`. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
