/** Small helpers shared by the adapters (not exported from the package). */
import type { PushMsg } from '@goim/protocol/rpc';
import { QueueError, QueueErrorCode } from './errors.js';

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
