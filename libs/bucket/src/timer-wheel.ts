import { BucketError, BucketErrorCode } from './errors.js';
import { DEFAULT_TIMER_RESOLUTION_MS } from './options.js';
import type { BucketLogger } from './types.js';

/** Options of a {@link TimerWheel}. */
export interface TimerWheelOptions<T> {
  /** Called once for each entry whose deadline passed (the entry is removed first). */
  onExpire: (entry: T) => void;
  /** Tick length in ms; deadlines fire up to one tick late. Integer ≥ 1. Default 1000. */
  resolutionMs?: number;
  /** Number of slots of the wheel (longer delays take several turns). Integer ≥ 1. Default 512. */
  slots?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** pino-compatible logger for errors thrown by `onExpire`; silent when absent. */
  logger?: BucketLogger;
}

/**
 * One shared structure for per-connection deadlines (handshake timeout, heartbeat idle
 * timeout): a hashed timing wheel driven by a single interval timer, instead of one
 * `setTimeout` per connection. An entry is any object (e.g. the connection); it has at most
 * one deadline. The interval runs only while entries exist and never keeps the process alive.
 */
export class TimerWheel<T extends object> {
  /** Tick length in ms. */
  readonly resolutionMs: number;
  private readonly slots: Set<T>[];
  private readonly due = new Map<T, number>();
  private readonly onExpire: (entry: T) => void;
  private readonly now: () => number;
  private readonly logger: BucketLogger | undefined;
  private tick: number;
  private timer: ReturnType<typeof setInterval> | undefined = undefined;
  private closed = false;

  /** @throws BucketError GOIM_ERR_BUCKET_INVALID_OPTION */
  constructor(options: TimerWheelOptions<T>) {
    if (typeof options.onExpire !== 'function') {
      throw new BucketError(BucketErrorCode.INVALID_OPTION, '`onExpire` must be a function');
    }
    const res = options.resolutionMs ?? DEFAULT_TIMER_RESOLUTION_MS;
    const slots = options.slots ?? 512;
    if (!Number.isInteger(res) || res < 1) throw new BucketError(BucketErrorCode.INVALID_OPTION, '`resolutionMs` must be an integer ≥ 1');
    if (!Number.isInteger(slots) || slots < 1) throw new BucketError(BucketErrorCode.INVALID_OPTION, '`slots` must be an integer ≥ 1');
    this.resolutionMs = res;
    this.onExpire = options.onExpire;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.slots = Array.from({ length: slots }, () => new Set<T>());
    this.tick = Math.floor(this.now() / res);
  }

  /** Entries with a pending deadline. */
  get size(): number {
    return this.due.size;
  }

  /** Whether `entry` has a pending deadline. */
  has(entry: T): boolean {
    return this.due.has(entry);
  }

  /**
   * Arms `entry` to expire after `delayMs` (≥ 0; fires on the first tick at or after the
   * deadline). An entry that is already armed is re-armed.
   * @throws BucketError TIMER_CLOSED after `close()`, INVALID_ARGUMENT on a bad delay
   */
  add(entry: T, delayMs: number): void {
    if (this.closed) throw new BucketError(BucketErrorCode.TIMER_CLOSED, 'TimerWheel is closed');
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) {
      throw new BucketError(BucketErrorCode.INVALID_ARGUMENT, '`delayMs` must be a finite number ≥ 0');
    }
    this.remove(entry);
    if (this.timer === undefined) this.start();
    // Never in the tick being processed or earlier: at least the next one.
    const at = Math.max(Math.ceil((this.now() + delayMs) / this.resolutionMs), this.tick + 1);
    this.due.set(entry, at);
    this.slots[at % this.slots.length]!.add(entry);
  }

  /** Re-arms `entry` with a new delay (heartbeat received). Same as `add`. */
  reset(entry: T, delayMs: number): void {
    this.add(entry, delayMs);
  }

  /** Disarms `entry`. @returns whether it was armed. */
  remove(entry: T): boolean {
    const at = this.due.get(entry);
    if (at === undefined) return false;
    this.due.delete(entry);
    this.slots[at % this.slots.length]!.delete(entry);
    if (this.due.size === 0) this.stop();
    return true;
  }

  /** Disarms everything and stops the timer; `add` then throws. Idempotent. */
  close(): void {
    this.closed = true;
    this.due.clear();
    for (const s of this.slots) s.clear();
    this.stop();
  }

  /** Processes every tick up to now (what the interval calls; tests may call it too). */
  advance(): void {
    const target = Math.floor(this.now() / this.resolutionMs);
    while (this.tick < target && this.due.size > 0) {
      this.tick++;
      const slot = this.slots[this.tick % this.slots.length]!;
      for (const entry of slot) {
        // Entries of later turns share the slot; only those due now expire.
        if (this.due.get(entry)! > this.tick) continue;
        slot.delete(entry);
        this.due.delete(entry);
        try {
          this.onExpire(entry);
        } catch (err) {
          this.logger?.error({ err }, 'timer wheel onExpire threw');
        }
      }
    }
    this.tick = Math.max(this.tick, target);
    if (this.due.size === 0) this.stop();
  }

  private start(): void {
    // Ticks skipped while the wheel was idle hold nothing; jump to now.
    this.tick = Math.floor(this.now() / this.resolutionMs);
    const timer = setInterval(() => this.advance(), this.resolutionMs);
    if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
    this.timer = timer;
  }

  private stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
