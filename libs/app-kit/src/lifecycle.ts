/**
 * Process lifecycle of an app's `main.ts`: signals, bounded shutdown steps, the address
 * other processes reach us at, and the fatal-startup report. Only `main.ts` files use this;
 * everything takes the process (or its parts) as a parameter so specs can drive it.
 */
import { networkInterfaces } from 'node:os';

type WarnLogger = { warn(obj: object, msg?: string): void };
type LifecycleLogger = WarnLogger & { info(obj: object, msg?: string): void; error(obj: object, msg?: string): void };

/**
 * The address other processes reach us at: the bound host, or (wildcard) the first
 * non-loopback IPv4, as goim; `127.0.0.1` when there is none.
 */
export function advertiseHost(bound: string, interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string {
  if (bound && bound !== '0.0.0.0' && bound !== '::') return bound;
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Options of {@link within}. */
export interface WithinOptions {
  /** Log a rejection of `fn` as `<what> failed` and resolve, instead of rejecting. */
  tolerateFailure?: boolean;
}

/**
 * Runs `fn` but gives up after `ms`, logging `<what> did not finish in time` (a stuck backend
 * must not block exit forever). Rejects with `fn`'s error unless `tolerateFailure`.
 */
export async function within(ms: number, what: string, fn: () => Promise<void>, logger: WarnLogger, options: WithinOptions = {}): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = options.tolerateFailure ? fn().catch((err: unknown) => logger.warn({ err }, `${what} failed`)) : fn();
  await Promise.race([
    run,
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.warn({ ms }, `${what} did not finish in time`);
        resolve();
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Awaits `fn`, logging `still waiting for <what>` every 5 s while it is pending (an unreachable backend may hang, not fail). */
export async function whileWaiting<T>(logger: WarnLogger, what: string, fn: () => Promise<T>): Promise<T> {
  const since = Date.now();
  const timer = setInterval(() => logger.warn({ waitingMs: Date.now() - since }, `still waiting for ${what}`), 5_000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** The parts of `process` the lifecycle helpers use. */
export interface LifecycleProcess {
  on(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', listener: () => void): unknown;
  exit(code: number): void;
}

/** Options of {@link handleShutdownSignals}. */
export interface ShutdownOptions {
  logger: LifecycleLogger;
  /** Extra fields of the `shutting down` log line (e.g. the drain window). */
  fields?: object;
  /** Exit 1 with an error log if the steps have not finished after `ms`. */
  deadline?: { ms: number; fields: object; message: string };
  /** The shutdown work, in order; exit 0 when it resolves, exit 1 (logged) when it rejects. */
  steps: () => Promise<void>;
  /** Default: the real `process`. */
  process?: LifecycleProcess;
}

/** What {@link handleShutdownSignals} returns. */
export interface ShutdownHandle {
  /** True once a SIGTERM/SIGINT arrived. */
  readonly stopping: boolean;
}

/**
 * Installs the goim-ts shutdown protocol: the first SIGTERM/SIGINT logs `shutting down` and
 * runs `steps` then exits; a second one exits 1 at once. SIGHUP is ignored, as goim does.
 */
export function handleShutdownSignals(options: ShutdownOptions): ShutdownHandle {
  const proc = options.process ?? process;
  const { logger } = options;
  const handle = { stopping: false };
  const stop = (signal: string): void => {
    if (handle.stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      proc.exit(1);
      return;
    }
    handle.stopping = true;
    logger.info({ signal, ...options.fields }, 'shutting down');
    const { deadline } = options;
    if (deadline) {
      const timer = setTimeout(() => {
        logger.error(deadline.fields, deadline.message);
        proc.exit(1);
      }, deadline.ms);
      timer.unref?.();
    }
    options.steps().then(
      () => proc.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        proc.exit(1);
      },
    );
  };
  proc.on('SIGTERM', () => stop('SIGTERM'));
  proc.on('SIGINT', () => stop('SIGINT'));
  proc.on('SIGHUP', () => undefined); // goim ignores SIGHUP
  return handle;
}

/**
 * Runs an app's `main`; a startup failure is written to stderr as `<app>: <name>: <message>`
 * and the process exits 1.
 */
export function runMain(app: string, main: () => Promise<void>, proc: Pick<LifecycleProcess, 'exit'> & { stderr: { write(s: string): unknown } } = process): void {
  main().catch((err: unknown) => {
    proc.stderr.write(`${app}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    proc.exit(1);
  });
}
