import type { Logger } from '@goim/app-kit';

/**
 * Injected time: job code never calls the globals directly, so specs drive batching windows,
 * backoff and deadlines with fake timers or a hand-made clock.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The process timers; looked up at call time so jest's fake timers apply. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending batch window or backoff must not keep a closing process alive.
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Resolves after `ms` on `timers`. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}

/** The structural logger type job accepts (pino fits): the levels job logs at. */
export type JobLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Silent logger, the default of every factory. */
export { silentLogger } from '@goim/app-kit';
