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

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(t);
        resolve();
      }, ms);
      this.pending.set(t, resolve);
    });
  }

  clear(): void {
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
