/**
 * What EtcdRegistry and RedisRegistry share: their error helpers (every message names the
 * class), the `env`/`keyPrefix` option checks and the best-effort cancel on close.
 * Internal: not exported from the package.
 */
import { RegistryError, RegistryErrorCode } from './errors.js';
import { checkName } from './instance.js';
import type { RegistryLogger } from './logger.js';
import { DEFAULT_ENV } from './options.js';
import type { Instance } from './registry.js';

/** Error constructors of one backend registry class; `backend` prefixes every message. */
export function backendErrors(backend: string) {
  const invalidOption = (message: string): RegistryError => new RegistryError(RegistryErrorCode.INVALID_OPTIONS, `${backend}: ${message}`);
  return {
    /** A backend call failed (`GOIM_ERR_REGISTRY_BACKEND`), the driver's error as cause. */
    fail: (what: string, err: unknown): RegistryError =>
      new RegistryError(RegistryErrorCode.BACKEND, `${backend}: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      }),
    /** A bad constructor option (`GOIM_ERR_REGISTRY_INVALID_OPTIONS`). */
    invalidOption,
    /** An optional integer option ≥ `min`, or `fallback` when absent. */
    intOption: (name: string, value: number | undefined, fallback: number, min: number): number => {
      if (value === undefined) return fallback;
      if (!Number.isInteger(value) || value < min) throw invalidOption(`\`${name}\` must be an integer ≥ ${min}, got ${String(value)}`);
      return value;
    },
    /** The registry was used after `close()` (`GOIM_ERR_REGISTRY_CLOSED`). */
    closed: (): RegistryError => new RegistryError(RegistryErrorCode.CLOSED, `${backend} is closed`),
  };
}

/** The checked `env` and key prefix of a backend registry's options. */
export function envAndPrefix(
  options: { env?: string; keyPrefix?: string },
  defaultPrefix: string,
  invalidOption: (message: string) => RegistryError,
): { env: string; prefix: string } {
  const env = options.env ?? DEFAULT_ENV;
  try {
    checkName('env', env);
  } catch (err) {
    throw invalidOption((err as Error).message);
  }
  const prefix = options.keyPrefix ?? defaultPrefix;
  if (typeof prefix !== 'string' || prefix === '') throw invalidOption('`keyPrefix` must be a non-empty string');
  return { env, prefix };
}

/**
 * Cancels every live registration on close, best effort: what cannot be cancelled is logged
 * and left to expire by TTL (`expires` names what expires: the etcd lease, the Redis key).
 */
export async function cancelOnClose(
  registrations: Iterable<{ readonly instance: Instance; cancel(): Promise<void> }>,
  logger: RegistryLogger,
  expires: 'lease' | 'key',
): Promise<void> {
  for (const reg of [...registrations]) {
    try {
      await reg.cancel();
    } catch (err) {
      logger.warn({ err, hostname: reg.instance.hostname }, `discovery cancel on close failed; the ${expires} will expire`);
    }
  }
}
