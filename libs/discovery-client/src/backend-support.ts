/**
 * What EtcdRegistry and RedisRegistry share: their error helpers (every message names the
 * class), the `env`/`keyPrefix` option checks, the best-effort cancel on close, and the
 * attempt/retry loop that establishes watches and registrations while the backend is down.
 * Internal: not exported from the package.
 */
import { RegistryError, RegistryErrorCode } from './errors.js';
import { checkName } from './instance.js';
import type { RegistryLogger } from './logger.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_ENV, DEFAULT_RETRY_MAX_DELAY_MS, RETRY_MIN_DELAY_MS } from './options.js';
import type { Instance } from './registry.js';

/** Error constructors of one backend registry class; `backend` prefixes every message. */
export function backendErrors(backend: string) {
  const invalidOption = (message: string): RegistryError => new RegistryError(RegistryErrorCode.INVALID_OPTIONS, `${backend}: ${message}`);
  const fail = (what: string, err: unknown): RegistryError =>
    new RegistryError(RegistryErrorCode.BACKEND, `${backend}: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  const intOption = (name: string, value: number | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) throw invalidOption(`\`${name}\` must be an integer ≥ ${min}, got ${String(value)}`);
    return value;
  };
  const closed = (): RegistryError => new RegistryError(RegistryErrorCode.CLOSED, `${backend} is closed`);
  return {
    /** A backend call failed (`GOIM_ERR_REGISTRY_BACKEND`), the driver's error as cause. */
    fail,
    /** A bad constructor option (`GOIM_ERR_REGISTRY_INVALID_OPTIONS`). */
    invalidOption,
    /** An optional integer option ≥ `min`, or `fallback` when absent. */
    intOption,
    /** The registry was used after `close()` (`GOIM_ERR_REGISTRY_CLOSED`). */
    closed,
    /**
     * Checks the `attemptTimeoutMs` / `retryMaxDelayMs` options now (before the constructor
     * creates a client it would have to close) and returns the builder of the {@link Reach}.
     */
    reach: (options: { attemptTimeoutMs?: number; retryMaxDelayMs?: number }): ((context: ReachContext) => Reach) => {
      const attemptTimeoutMs = intOption('attemptTimeoutMs', options.attemptTimeoutMs, DEFAULT_ATTEMPT_TIMEOUT_MS, 1);
      const retryMaxDelayMs = intOption('retryMaxDelayMs', options.retryMaxDelayMs, DEFAULT_RETRY_MAX_DELAY_MS, 0);
      return (context) => ({ attemptTimeoutMs, retryMaxDelayMs, ...context, closed, fail });
    },
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

/** How a backend registry retries `watch`/`register` (see {@link establish}). */
export interface Reach {
  /** Deadline of one attempt, ms. */
  readonly attemptTimeoutMs: number;
  /** Cap of the doubling pause between attempts, ms; 0 = no retry. */
  readonly retryMaxDelayMs: number;
  /** Where the backend is, for log lines (`etcd http://10.0.0.5:2379`); never a password. */
  readonly target: string;
  readonly logger: RegistryLogger;
  /** Aborted by the registry's close(): a pending attempt or pause ends with `closed()`. */
  readonly closeSignal: AbortSignal;
  readonly closed: () => RegistryError;
  readonly fail: (what: string, err: unknown) => RegistryError;
}

/** What a backend registry knows when it builds its {@link Reach}. */
export interface ReachContext {
  readonly target: string;
  readonly logger: RegistryLogger;
  readonly closeSignal: AbortSignal;
}

// Input errors and a closed registry do not get better by trying again.
const FINAL: ReadonlySet<string> = new Set([
  RegistryErrorCode.CLOSED,
  RegistryErrorCode.CANCELLED,
  RegistryErrorCode.INVALID_OPTIONS,
  RegistryErrorCode.INVALID_INSTANCE,
  RegistryErrorCode.ENV_MISMATCH,
]);

/**
 * Runs `attempt` until it succeeds. Each attempt gets its own AbortSignal and at most
 * `attemptTimeoutMs`: when the deadline passes, the attempt fails, or the registry closes, the
 * signal aborts, and the attempt must release what it created (an etcd watcher, a lease, a
 * Redis key) even if its backend calls complete later — so an abandoned attempt leaks nothing.
 * Between attempts: a warn line naming the backend, then a pause of 250 ms doubling up to
 * `retryMaxDelayMs`. With `retryMaxDelayMs` 0 the first failure rejects (BACKEND or TIMEOUT).
 */
export async function establish<T>(
  reach: Reach,
  what: string,
  attempt: (signal: AbortSignal) => Promise<T>,
  fields: object = {},
): Promise<T> {
  let delay = Math.min(RETRY_MIN_DELAY_MS, reach.retryMaxDelayMs);
  for (let n = 1; ; n++) {
    if (reach.closeSignal.aborted) throw reach.closed();
    const ac = new AbortController();
    const onClose = () => ac.abort(reach.closed());
    reach.closeSignal.addEventListener('abort', onClose, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<never>((_, reject) => {
      ac.signal.addEventListener('abort', () => reject(ac.signal.reason as Error), { once: true });
      timer = setTimeout(
        () => ac.abort(new RegistryError(RegistryErrorCode.TIMEOUT, `${what}: no answer from ${reach.target} within ${reach.attemptTimeoutMs} ms`)),
        reach.attemptTimeoutMs,
      );
    });
    const run = attempt(ac.signal);
    run.catch(() => undefined); // a late failure of an abandoned attempt is nobody's business
    let failure: unknown;
    try {
      const value = await Promise.race([run, stop]);
      if (n > 1) reach.logger.info({ backend: reach.target, attempts: n, ...fields }, `discovery ${what} established`);
      return value;
    } catch (err) {
      failure = err;
      // A failed attempt releases what it created, like an abandoned one.
      if (!ac.signal.aborted) ac.abort(err);
    } finally {
      clearTimeout(timer);
      reach.closeSignal.removeEventListener('abort', onClose);
    }
    if (reach.closeSignal.aborted) throw reach.closed();
    if (failure instanceof RegistryError && FINAL.has(failure.code)) throw failure;
    const error = failure instanceof RegistryError ? failure : reach.fail(what, failure);
    if (reach.retryMaxDelayMs === 0) throw error;
    reach.logger.warn({ err: error, backend: reach.target, attempt: n, retryInMs: delay, ...fields }, `discovery ${what} failed; retrying`);
    await pause(delay, reach.closeSignal, reach.closed);
    delay = Math.min(delay * 2, reach.retryMaxDelayMs);
  }
}

/** Resolves with `work`, or rejects with `onTimeout()` after `ms` (the work itself runs on). */
export async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => undefined);
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `ms` (global timers, so fake timers drive it), or rejects with `closed()` on abort. */
function pause(ms: number, signal: AbortSignal, closed: () => RegistryError): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(closed());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
