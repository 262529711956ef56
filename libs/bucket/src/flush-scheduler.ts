/**
 * One deferred flush for all connections with pending output: pushes and replies queued in
 * the same event-loop turn coalesce into one `Sink.flush` call per connection, and the
 * process arms one `setImmediate` per turn instead of one per connection.
 */

/** Something with pending output (a {@link Channel}). */
export interface Flushable {
  /** @internal Writes the pending output to the sink; a no-op if there is none. */
  _flush(): void;
}

/** Options of a {@link FlushScheduler}. */
export interface FlushSchedulerOptions {
  /**
   * Runs `fn` once, later in this process (after the current synchronous work). Default:
   * `setImmediate`, looked up at call time so fake timers apply.
   */
  defer?: (fn: () => void) => void;
}

/** Batches flushes of dirty channels into one deferred pass. */
export class FlushScheduler {
  private dirty: Flushable[] = [];
  private armed = false;
  private readonly defer: (fn: () => void) => void;
  private readonly run = (): void => this.flush();

  constructor(options: FlushSchedulerOptions = {}) {
    this.defer = options.defer ?? ((fn) => void setImmediate(fn));
  }

  /** Queues `item` for the next pass; the caller makes sure it is queued once per pass. */
  schedule(item: Flushable): void {
    this.dirty.push(item);
    if (!this.armed) {
      this.armed = true;
      this.defer(this.run);
    }
  }

  /** Number of channels waiting for the next pass. */
  get pending(): number {
    return this.dirty.length;
  }

  /**
   * Flushes every queued channel now (also what the deferred pass calls). Channels that
   * become dirty during the pass (a sink reacting synchronously) go to the next pass.
   */
  flush(): void {
    this.armed = false;
    const list = this.dirty;
    if (list.length === 0) return;
    this.dirty = [];
    for (let i = 0; i < list.length; i++) list[i]!._flush();
  }
}
