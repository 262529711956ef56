/** Small helpers shared by the adapters (not exported from the package). */
import type { PushMsg } from '@goim/protocol/rpc';
import { QueueError, QueueErrorCode } from './errors.js';
import type { QueueLogger } from './logger.js';
import type { PushConsumeOptions, PushDelivery, PushHandler } from './push-queue.js';

/** A promise with its resolve function exposed. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Timers that `clear()` cancels at once (resolving their sleeps), so closing a queue never
 * leaves a retry delay keeping the process alive.
 */
export class Sleeper {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();
  private cleared = false;

  /** Resolves after `ms`, at once after `clear()` (callers re-check their stop flags). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.cleared) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(t);
        resolve();
      }, ms);
      this.pending.set(t, resolve);
    });
  }

  clear(): void {
    this.cleared = true;
    for (const [t, resolve] of this.pending) {
      clearTimeout(t);
      resolve();
    }
    this.pending.clear();
  }
}

/** Calls the handler, turning a synchronous throw into a rejection. */
export function callHandler<A>(handler: (a: A) => Promise<void>, arg: A): Promise<void> {
  try {
    return Promise.resolve(handler(arg));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Runs the handler for one delivery as every adapter does: a rejection is logged at debug and
 * reported as `'failed'` (the adapter retries in place), and the run loses to `abandon` once
 * the drain timeout fired (`'abandoned'`: the message stays unacknowledged).
 */
export function handleDelivery(handler: PushHandler, delivery: PushDelivery, logger: QueueLogger, abandon: AbandonSignal): Promise<RunResult> {
  const handled = callHandler(handler, delivery).then(
    () => 'ok' as const,
    (err: unknown) => {
      logger.debug({ err, id: delivery.id, attempt: delivery.attempt }, 'push handler rejected; will retry');
      return 'failed' as const;
    },
  );
  return abandon.race(handled);
}

/**
 * The checks every consumer's `start()` begins with; returns the in-flight window size.
 * @throws QueueError CLOSED, ALREADY_STARTED, or INVALID_OPTIONS (maxInFlightPerKey).
 */
export function checkStart(owner: string, state: { closed: boolean; started: boolean }, options: PushConsumeOptions | undefined): number {
  if (state.closed) throw closedError(owner);
  if (state.started) throw new QueueError(QueueErrorCode.ALREADY_STARTED, `${owner}: start() was already called`);
  return windowSize(owner, options);
}

/** Waits for `p` to settle (ignoring its outcome), at most `ms`. */
export async function settleWithin(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export function closedError(what: string): QueueError {
  return new QueueError(QueueErrorCode.CLOSED, `${what} is closed`);
}

/** Validates the fields a message needs before it is encoded (ts-proto would encode garbage). */
export function checkMsg(msg: PushMsg): void {
  if (msg === null || typeof msg !== 'object' || !(msg.msg instanceof Uint8Array) || !Array.isArray(msg.keys)) {
    throw new QueueError(QueueErrorCode.INVALID_MESSAGE, 'publish: `msg` must be a goim.logic.PushMsg (`keys` array and `msg` bytes required)');
  }
}

/**
 * One "abandon now" signal raced against many handler promises. Unlike
 * `Promise.race([p, forever])`, it leaves no reaction behind on a long-lived promise per call
 * (that would leak one closure per delivered message).
 */
export class AbandonSignal {
  private fired = false;
  private readonly waiting = new Set<() => void>();

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    for (const f of this.waiting) f();
    this.waiting.clear();
  }

  /** `p`'s outcome, or 'abandoned' if the signal fires first. */
  race<T>(p: Promise<T>): Promise<T | 'abandoned'> {
    if (this.fired) return Promise.resolve('abandoned');
    return new Promise<T | 'abandoned'>((resolve, reject) => {
      const onAbandon = () => resolve('abandoned');
      this.waiting.add(onAbandon);
      p.then(
        (v) => {
          this.waiting.delete(onAbandon);
          resolve(v);
        },
        (err: unknown) => {
          this.waiting.delete(onAbandon);
          reject(err);
        },
      );
    });
  }
}

/** A FIFO with O(1) push/shift (Array#shift is O(n): quadratic with 100 000 waiting publishers). */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }
}

/** Outcome of one handler call as the adapters see it. */
export type RunResult = 'ok' | 'failed' | 'abandoned';

/** Throws GOIM_ERR_QUEUE_INVALID_OPTIONS unless the consume options are valid; returns the window size. */
export function windowSize(owner: string, options: { maxInFlightPerKey?: number } | undefined): number {
  const n = options?.maxInFlightPerKey;
  if (n === undefined) return 1;
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new QueueError(QueueErrorCode.INVALID_OPTIONS, `${owner}: \`maxInFlightPerKey\` must be an integer in [1, 10000], got ${String(n)}`);
  }
  return n;
}

/** What {@link OrderedWindow} needs from an adapter for one ordering unit (partition / shard). */
export interface WindowHooks<T> {
  /** Handed-out-and-unacknowledged items at most (1 = strictly one at a time). */
  max: number;
  /**
   * New items of the unit, in order, after those returned before. `[]` = nothing now. May be
   * a promise (a blocking read): the window keeps at most one pending and goes on settling
   * handlers meanwhile.
   */
  fetch(windowEmpty: boolean): T[] | Promise<T[]>;
  /** Calls the handler for one item (never rejects). */
  run(item: T, attempt: number): Promise<RunResult>;
  /** Acknowledges items whose handlers resolved and all before which resolved too, in order. */
  ack(items: T[]): void | Promise<void>;
  /** True once no further item may be handed out (closing, lost the unit, rebalance). */
  stopped(): boolean;
  /** Waits before redelivering after a rejection (`failures` = consecutive failed rounds); false = stop instead. */
  retryWait(failures: number): Promise<boolean>;
  /** Whether an item may be handed out now (e.g. still the same owner); default yes. */
  mayDispatch?(windowEmpty: boolean): boolean;
}

interface Slot<T> {
  item: T;
  attempt: number;
  result: RunResult | undefined;
  done: Promise<void>;
}

/**
 * Pipelined, ordered delivery of one ordering unit. Hands items to the handler in order with
 * at most `max` handed out and not yet acknowledged; acknowledges only the contiguous prefix
 * of resolved items (so a crash redelivers from the first unresolved one). When a handler
 * rejects, nothing more is handed out; once every in-flight handler settled, the resolved
 * prefix is acknowledged and delivery restarts at the first rejected item, in order, after
 * the retry delay — items after it come again even if their handlers had resolved
 * (at-least-once). With `max` 1 this is exactly "one at a time, next after acknowledgement".
 */
export class OrderedWindow<T> {
  private window: Slot<T>[] = [];
  /** Items to hand out next with their attempt numbers (redeliveries first). */
  private queue: Array<{ item: T; attempt: number }> = [];
  private changed: Deferred | undefined;
  private failures = 0;

  constructor(private readonly hooks: WindowHooks<T>) {}

  /** Wakes a waiting `run()` (e.g. new items were appended). */
  poke(): void {
    this.changed?.resolve();
  }

  /**
   * Runs until the unit is idle (nothing handed out, nothing queued, `fetch` returned nothing
   * right now or after its wait) → 'idle'; until `stopped()` (in-flight handlers settle and the
   * resolved prefix is acknowledged first) → 'stopped'; or until a handler was abandoned
   * → 'abandoned' (nothing at or after it is acknowledged).
   */
  async run(firstAttempt = 1): Promise<'idle' | 'stopped' | 'abandoned'> {
    const h = this.hooks;
    let fetching: Promise<void> | undefined;
    let fetchedNothing = false;
    const take = (items: T[]) => {
      fetchedNothing = items.length === 0;
      for (const item of items) this.queue.push({ item, attempt: firstAttempt });
    };
    for (;;) {
      await this.ackPrefix();
      if (this.window.some((s) => s.result === 'abandoned')) return 'abandoned';
      if (this.window.some((s) => s.result === 'failed')) {
        await Promise.all(this.window.map((s) => s.done));
        await this.ackPrefix();
        if (this.window.some((s) => s.result === 'abandoned')) return 'abandoned';
        // The window now starts at the first rejected item: hand it and everything after it out again.
        const again = this.window.map((s) => ({ item: s.item, attempt: s.attempt + 1 }));
        this.window = [];
        this.queue = again.concat(this.queue);
        this.failures++;
        if (h.stopped() || !(await h.retryWait(this.failures)) || h.stopped()) return 'stopped';
        continue;
      }
      if (h.stopped()) {
        await Promise.all(this.window.map((s) => s.done));
        await this.ackPrefix();
        return this.window.some((s) => s.result === 'abandoned') ? 'abandoned' : 'stopped';
      }
      if (this.queue.length === 0 && !fetching && this.window.length < h.max) {
        let got: T[] | Promise<T[]>;
        try {
          got = h.fetch(this.window.length === 0);
        } catch (err) {
          got = Promise.reject(err);
        }
        if (Array.isArray(got)) take(got);
        else {
          fetching = got.then(take, () => take([])).finally(() => {
            fetching = undefined;
            this.poke();
          });
        }
      }
      while (this.queue.length > 0 && this.window.length < h.max && !h.stopped() && (h.mayDispatch?.(this.window.length === 0) ?? true)) {
        const { item, attempt } = this.queue.shift()!;
        const slot: Slot<T> = { item, attempt, result: undefined, done: Promise.resolve() };
        slot.done = h.run(item, attempt).then(
          (r) => {
            slot.result = r;
            this.poke();
          },
          () => {
            slot.result = 'failed';
            this.poke();
          },
        );
        this.window.push(slot);
      }
      if (this.window.length === 0) {
        // Queued items that may not go out now (the unit changed hands): the caller restarts later.
        if (this.queue.length > 0) return 'stopped';
        if (fetching) {
          await fetching;
          if (fetchedNothing && this.queue.length === 0) return 'idle';
          continue;
        }
        return 'idle';
      }
      const head = this.window[0]!;
      if (head.result !== undefined || this.window.some((s) => s.result === 'failed' || s.result === 'abandoned')) continue;
      if (this.queue.length > 0 && this.window.length < h.max && (h.mayDispatch?.(false) ?? true)) continue;
      if (this.queue.length === 0 && !fetching && this.window.length < h.max && fetchedNothing === false) continue;
      // Wait for a handler to settle, a pending fetch to return, or a poke.
      this.changed = deferred();
      await this.changed.promise;
      this.changed = undefined;
    }
  }

  /** Acknowledges and drops the resolved prefix of the window. */
  private async ackPrefix(): Promise<void> {
    let n = 0;
    while (n < this.window.length && this.window[n]!.result === 'ok') n++;
    if (n === 0) return;
    const items = this.window.splice(0, n).map((s) => s.item);
    this.failures = 0;
    await this.hooks.ack(items);
  }
}
