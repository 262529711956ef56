/**
 * The watch machinery every adapter shares: reload a snapshot when told something changed,
 * coalesce bursts, skip identical snapshots, and never run the listener concurrently.
 */
import type { RegistryLogger } from './logger.js';
import type { InstanceSnapshot, SnapshotListener, Watch } from './registry.js';

export class SnapshotWatch implements Watch {
  private last: string | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  private started = false;

  constructor(
    readonly appid: string,
    private readonly load: () => Promise<InstanceSnapshot>,
    private readonly listener: SnapshotListener,
    private readonly logger: RegistryLogger,
    private readonly onStop: (w: SnapshotWatch) => void | Promise<void>,
  ) {}

  /**
   * Loads (through `first`, default the reload function: adapters pass their connect-and-load
   * retry loop) and delivers the first snapshot; rejects when the backend cannot answer.
   */
  async start(first: () => Promise<InstanceSnapshot> = this.load): Promise<void> {
    this.started = true;
    let failure: { err: unknown } | undefined;
    // Registered as the running reload, so change notices arriving meanwhile only mark it
    // dirty instead of delivering concurrently with the first snapshot.
    const initial = (async () => {
      try {
        await this.deliver(await first());
      } catch (err) {
        failure = { err };
      }
    })();
    this.running = initial;
    await initial;
    this.running = undefined;
    if (failure) {
      this.stopped = true;
      throw failure.err;
    }
    if (this.dirty) this.refresh();
  }

  /**
   * Something of this appid may have changed: reload (now, or right after the reload in
   * progress, so no change is missed and a burst costs at most two loads).
   */
  refresh(): void {
    if (this.stopped) return;
    if (this.running || !this.started) {
      this.dirty = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // A notice that arrived after the loop's last dirty check but before this callback
      // only set `dirty`: reload for it now, or that change would be missed.
      if (this.dirty) this.refresh();
    });
  }

  /** Resolves when no reload is in progress (tests, close). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.onStop(this);
    await this.idle();
  }

  private async loop(): Promise<void> {
    do {
      this.dirty = false;
      let snapshot: InstanceSnapshot;
      try {
        snapshot = await this.load();
      } catch (err) {
        // Keep the last snapshot: the next change notice or poll retries.
        this.logger.warn({ err, appid: this.appid }, 'discovery reload failed');
        return;
      }
      await this.deliver(snapshot);
    } while (this.dirty && !this.stopped);
  }

  private async deliver(snapshot: InstanceSnapshot): Promise<void> {
    if (this.stopped) return;
    const key = JSON.stringify(snapshot.instances);
    if (key === this.last) return;
    this.last = key;
    try {
      await this.listener(snapshot);
    } catch (err) {
      this.logger.error({ err, appid: this.appid }, 'discovery watch listener threw');
    }
  }
}
