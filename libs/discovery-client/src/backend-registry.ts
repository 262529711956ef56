/**
 * What EtcdRegistry and RedisRegistry share: the registration book (one live registration per
 * `appid/hostname`, superseded on re-register), watches as {@link SnapshotWatch}es started
 * through {@link establish}, and the close protocol (cancel registrations, stop watches, then
 * release the backend). A backend supplies the attempts and the reads.
 *
 * Internal: not exported from the package.
 */
import { cancelOnClose, establish, type Reach } from './backend-support.js';
import { RegistryError } from './errors.js';
import { checkName, nextTimestamp, normalizeInput } from './instance.js';
import type { RegistryLogger } from './logger.js';
import type { Instance, InstanceInput, InstanceSnapshot, Registration, Registry, SnapshotListener, Watch } from './registry.js';
import { SnapshotWatch } from './snapshot-watch.js';

/** A backend's registration, as the shared book keeps it. */
export interface BackendRegistration extends Registration {
  readonly instance: Instance;
  /** A newer registration of the same hostname took over: stop renewing, never delete its value. */
  supersede(): void;
}

export abstract class BackendRegistry<R extends BackendRegistration> implements Registry {
  abstract readonly env: string;
  protected abstract readonly logger: RegistryLogger;
  protected abstract readonly now: () => number;
  protected abstract readonly reach: Reach;
  protected readonly closeController = new AbortController();
  protected readonly watches = new Set<SnapshotWatch>();
  /** `appid/hostname` → the live registration this registry holds for it. */
  protected readonly registrations = new Map<string, R>();
  protected closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly errors: { fail(what: string, cause: unknown): RegistryError; closed(): RegistryError },
    /** What a registration holds that expires when cancelling fails (for the close log). */
    private readonly expires: 'lease' | 'key',
  ) {}

  /** A registration object for `instance` (nothing written yet). */
  protected abstract newRegistration(instance: Instance): R;
  /** One attempt (`n` from 0) to write `reg`; `signal` aborts when the attempt is abandoned. */
  protected abstract registerAttempt(reg: R, signal: AbortSignal, n: number): Promise<void>;
  /** Called once `reg` is written and booked (e.g. to start renewing it). */
  protected registered(_reg: R): void {}
  /** One attempt to start watch `w` (subscribe first, then read); returns the first snapshot. */
  protected abstract watchAttempt(w: SnapshotWatch, signal: AbortSignal): Promise<InstanceSnapshot>;
  /** Reads the instances of `appid`. */
  protected abstract load(appid: string): Promise<InstanceSnapshot>;
  /** Releases what watch `w` holds in the backend (it is already out of `watches`). */
  protected abstract releaseWatch(w: SnapshotWatch): Promise<void>;
  /** Last step of close(): timers, subscriptions, an owned client. */
  protected abstract releaseBackend(): Promise<void>;

  async register(input: InstanceInput): Promise<Registration> {
    this.checkOpen();
    const base = normalizeInput(input, this.env);
    const id = `${base.appid}/${base.hostname}`;
    const previous = this.registrations.get(id);
    const instance: Instance = { ...base, latest_timestamp: nextTimestamp(this.now(), previous?.instance.latest_timestamp) };
    const reg = this.newRegistration(instance);
    let n = 0;
    await establish(this.reach, `register of ${id}`, (signal) => this.registerAttempt(reg, signal, n++), { appid: base.appid, hostname: base.hostname });
    if (this.closed) {
      // close() ran while the write was in flight and could not see this registration.
      await reg.cancel().catch(() => undefined);
      throw this.errors.closed();
    }
    // Re-registering a hostname this registry holds supersedes the old registration: it stops
    // renewing and will not delete the new value on cancel.
    previous?.supersede();
    this.registrations.set(id, reg);
    this.registered(reg);
    return reg;
  }

  async fetch(appid: string): Promise<InstanceSnapshot> {
    this.checkOpen();
    checkName('appid', appid);
    return this.load(appid);
  }

  async watch(appid: string, onChange: SnapshotListener): Promise<Watch> {
    this.checkOpen();
    checkName('appid', appid);
    const w = new SnapshotWatch(appid, () => this.load(appid), onChange, this.logger, (x) => this.unwatch(x));
    this.watches.add(w);
    try {
      // Subscribe first, then read: a change between the two is then seen twice, never missed.
      await w.start(() => establish(this.reach, `watch of ${appid}`, (signal) => this.watchAttempt(w, signal), { appid }));
    } catch (err) {
      await this.unwatch(w);
      throw err instanceof RegistryError ? err : this.errors.fail(`watch of ${appid}`, err);
    }
    return w;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.closeController.abort();
    await cancelOnClose(this.registrations.values(), this.logger, this.expires);
    for (const w of [...this.watches]) await w.stop();
    await this.releaseBackend();
  }

  // ---- used by the registrations ----

  /** @internal */
  stamp(previous: number): number {
    return nextTimestamp(this.now(), previous);
  }

  /** @internal */
  forget(reg: R): void {
    const id = `${reg.instance.appid}/${reg.instance.hostname}`;
    if (this.registrations.get(id) === reg) this.registrations.delete(id);
  }

  /** @internal */
  get log(): RegistryLogger {
    return this.logger;
  }

  private async unwatch(w: SnapshotWatch): Promise<void> {
    this.watches.delete(w);
    await this.releaseWatch(w);
  }

  protected checkOpen(): void {
    if (this.closed) throw this.errors.closed();
  }
}
