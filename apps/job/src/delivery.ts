/**
 * Per-comet delivery: ordered lanes, bounded concurrency, deadlines (in the client),
 * bounded retries with backoff.
 *
 * goim spread requests to one comet over 32 workers round-robin, so two pushes to one room or
 * key could overtake each other (spec §10.10). Here every request names a lane (the room, or
 * the queue key) and requests of one lane to one comet run one after another; different
 * lanes run in parallel, at most `maxInFlight` RPCs per comet.
 */
import { RpcError, RpcStatus } from '@goim/protocol/rpc';
import { JobError, JobErrorCode } from './errors.js';
import { sleep, type Timers } from './timers.js';

/** gRPC statuses that will not succeed on retry: the request itself is refused. */
const PERMANENT: ReadonlySet<number> = new Set([
  RpcStatus.INVALID_ARGUMENT,
  RpcStatus.NOT_FOUND,
  RpcStatus.PERMISSION_DENIED,
  RpcStatus.FAILED_PRECONDITION,
  RpcStatus.UNIMPLEMENTED,
  RpcStatus.UNAUTHENTICATED,
  11, // OUT_OF_RANGE
]);

/** True when a comet refused the request for good (retrying cannot help). */
export function isPermanent(err: unknown): err is RpcError {
  return err instanceof RpcError && PERMANENT.has(err.code);
}

/** Thrown by an attempt when the target comet left the directory. */
export class CometGoneError extends Error {
  override readonly name = 'CometGoneError';
  constructor(readonly hostname: string) {
    super(`comet ${hostname} left the directory`);
  }
}

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff in ms; doubles per retry. */
  baseMs: number;
  /** Largest backoff in ms. */
  maxMs: number;
  timers: Timers;
  /** In [0, 1); default Math.random. */
  random?: () => number;
  /** Called before each retry. */
  onRetry?: (attempt: number, err: unknown) => void;
  /** Stop retrying (e.g. the job is closing). */
  aborted?: () => boolean;
}

/** Backoff before retry `n` (1-based): exponential, capped, with "equal jitter" (half fixed, half random). */
export function backoffMs(n: number, baseMs: number, maxMs: number, random: () => number): number {
  const d = Math.min(maxMs, baseMs * 2 ** (n - 1));
  return Math.round(d / 2 + random() * (d / 2));
}

/**
 * Runs `attempt` until it resolves, a permanent error ({@link isPermanent}) or
 * {@link CometGoneError} is thrown (rethrown at once), or the retry budget is spent (then
 * rejects with GOIM_ERR_JOB_DELIVERY_FAILED carrying the last error as cause).
 */
export async function withRetry<T>(attempt: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const random = opts.random ?? Math.random;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (isPermanent(err) || err instanceof CometGoneError) throw err;
      if (n >= opts.retries || opts.aborted?.()) {
        throw new JobError(JobErrorCode.DELIVERY_FAILED, `comet call failed after ${n + 1} attempt(s): ${errText(err)}`, {
          cause: err,
        });
      }
      opts.onRetry?.(n + 1, err);
      await sleep(opts.timers, backoffMs(n + 1, opts.baseMs, opts.maxMs, random));
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Task {
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Lane {
  queue: Task[];
  running: boolean;
}

interface CometLanesState {
  lanes: Map<string, Lane>;
  inFlight: number;
  /** Lanes whose head task waits for a concurrency slot, in arrival order. */
  waiting: Array<() => void>;
}

/**
 * Ordered lanes per comet. `run(comet, lane, task)` starts `task` after every earlier task of
 * the same (comet, lane) settled, with at most `maxInFlight` tasks of one comet running.
 *
 * When a task fails, the tasks already queued behind it in its lane fail too
 * (GOIM_ERR_JOB_LANE_FAILED) without running: sending them would overtake the failed one,
 * which the queue redelivers. Tasks queued later run normally.
 */
export class CometLanes {
  private readonly comets = new Map<string, CometLanesState>();

  constructor(private readonly maxInFlight: number) {}

  run<T>(comet: string, lane: string, run: () => Promise<T>): Promise<T> {
    let c = this.comets.get(comet);
    if (!c) {
      c = { lanes: new Map(), inFlight: 0, waiting: [] };
      this.comets.set(comet, c);
    }
    let l = c.lanes.get(lane);
    if (!l) {
      l = { queue: [], running: false };
      c.lanes.set(lane, l);
    }
    const p = new Promise<T>((resolve, reject) => {
      l.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
    });
    if (!l.running) this.next(comet, c, lane, l);
    return p;
  }

  /** Requests running or queued, over every comet (for metrics and drain). */
  get pending(): number {
    let n = 0;
    for (const c of this.comets.values()) for (const l of c.lanes.values()) n += l.queue.length;
    return n;
  }

  private next(comet: string, c: CometLanesState, name: string, l: Lane): void {
    const task = l.queue[0];
    if (!task) {
      l.running = false;
      c.lanes.delete(name);
      if (c.lanes.size === 0 && c.inFlight === 0) this.comets.delete(comet);
      return;
    }
    l.running = true;
    const start = () => {
      c.inFlight++;
      let p: Promise<unknown>;
      try {
        p = task.run();
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (v) => {
          l.queue.shift();
          this.release(c);
          task.resolve(v);
          this.next(comet, c, name, l);
        },
        (err: unknown) => {
          const behind = l.queue.splice(0);
          this.release(c);
          task.reject(err);
          for (const t of behind.slice(1)) {
            t.reject(new JobError(JobErrorCode.LANE_FAILED, `an earlier request of lane ${name} to comet ${comet} failed`, { cause: err }));
          }
          this.next(comet, c, name, l);
        },
      );
    };
    if (c.inFlight < this.maxInFlight) start();
    else c.waiting.push(start);
  }

  private release(c: CometLanesState): void {
    c.inFlight--;
    const w = c.waiting.shift();
    if (w) w();
  }
}
