/**
 * EtcdRegistry: discovery on etcd v3. Each instance is the key
 * `<prefix><env>/<appid>/<hostname>` holding the instance JSON, attached to a lease of `ttlSec`
 * kept alive every ttl/3 by etcd3's keep-alive stream. A process that dies without cancelling
 * stops keeping its lease alive, and etcd deletes the key when the lease expires (≤ ttlSec);
 * watchers see the delete event at once. If this process loses its lease (a long pause, an
 * etcd outage longer than the TTL) it grants a new one and writes the instance again.
 *
 * Watches are an initial prefix read plus a prefix watcher; every event, and every watcher
 * (re)connect, reloads the whole prefix, so a reconnect never leaves a stale snapshot. While a
 * watcher is disconnected the prefix is polled every `disconnectedPollMs`.
 */
import { Etcd3, type Lease, type Watcher } from 'etcd3';
import { BackendRegistry, type BackendRegistration } from './backend-registry.js';
import { backendErrors, envAndPrefix, withDeadline, type Reach } from './backend-support.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { buildSnapshot, checkMetadata, parseStoredInstance } from './instance.js';
import { SILENT_LOGGER, type RegistryLogger } from './logger.js';
import {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_DISCONNECTED_POLL_MS,
  DEFAULT_ETCD_PREFIX,
  DEFAULT_REGRANT_DELAY_MS,
  DEFAULT_TTL_SEC,
} from './options.js';
import type { Instance, InstanceSnapshot } from './registry.js';
import type { SnapshotWatch } from './snapshot-watch.js';

/** Options of {@link EtcdRegistry}: exactly one of `hosts` and `client`. */
export interface EtcdRegistryOptions {
  /** Deployment env served (default `dev`). */
  env?: string;
  /** etcd endpoints `http://host:port` (array or comma-separated): the registry creates and closes its client. */
  hosts?: string | string[];
  /** etcd auth, with `hosts`. */
  auth?: { username: string; password: string };
  /** An etcd3 `Etcd3` client; the registry never closes it. */
  client?: Etcd3;
  /** Key prefix (default `/goim/discovery/`). */
  keyPrefix?: string;
  /** Lease TTL, seconds (default 10, integer ≥ 2; etcd rounds shorter TTLs up). */
  ttlSec?: number;
  /** Deadline of one etcd call, ms (default 3000). */
  callTimeoutMs?: number;
  /** Deadline of one attempt to establish a watch or registration, ms (default 5000). */
  attemptTimeoutMs?: number;
  /** Cap of the doubling pause between attempts, ms (default 5000); 0 = reject on the first failure. */
  retryMaxDelayMs?: number;
  /** Pause before granting a new lease after one was lost, ms (default 1000). */
  regrantDelayMs?: number;
  /**
   * While a watcher is disconnected, reload its snapshot this often, ms (default 1000). etcd3
   * reconnects watch streams with a jittered backoff of up to 30 s; polling bridges the gap.
   */
  disconnectedPollMs?: number;
  /** Clock in ms (default `Date.now`), for latest_timestamp. */
  now?: () => number;
  logger?: RegistryLogger;
}

const WATCH_BACKOFF_MIN_MS = 50;
const WATCH_BACKOFF_MAX_MS = 5_000;

/** A doubling backoff capped at `maxMs`, in the shape etcd3 (cockatiel's IBackoff) expects. */
interface Backoff {
  readonly duration: number;
  next(): Backoff;
}
function cappedBackoff(ms: number, maxMs: number): Backoff {
  return { duration: ms, next: () => cappedBackoff(Math.min(ms * 2, maxMs), maxMs) };
}

const { fail, invalidOption, intOption, closed, reach } = backendErrors('EtcdRegistry');

/** {@link Registry} on etcd v3: leased keys with keep-alive, prefix watches. */
export class EtcdRegistry extends BackendRegistry<EtcdRegistration> {
  readonly env: string;
  readonly ttlSec: number;
  private readonly prefix: string;
  private readonly client: Etcd3;
  private readonly ownsClient: boolean;
  private readonly callTimeoutMs: number;
  private readonly regrantDelayMs: number;
  private readonly disconnectedPollMs: number;
  protected readonly reach: Reach;
  private readonly polls = new Map<SnapshotWatch, NodeJS.Timeout>();
  protected readonly now: () => number;
  protected readonly logger: RegistryLogger;
  private readonly watchers = new Map<SnapshotWatch, Watcher>();

  constructor(options: EtcdRegistryOptions) {
    super({ fail, closed }, 'lease');
    if ((options.hosts === undefined) === (options.client === undefined)) {
      throw invalidOption('exactly one of `hosts` and `client` is required');
    }
    ({ env: this.env, prefix: this.prefix } = envAndPrefix(options, DEFAULT_ETCD_PREFIX, invalidOption));
    this.ttlSec = intOption('ttlSec', options.ttlSec, DEFAULT_TTL_SEC, 2);
    this.callTimeoutMs = intOption('callTimeoutMs', options.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS, 1);
    this.regrantDelayMs = intOption('regrantDelayMs', options.regrantDelayMs, DEFAULT_REGRANT_DELAY_MS, 0);
    this.disconnectedPollMs = intOption('disconnectedPollMs', options.disconnectedPollMs, DEFAULT_DISCONNECTED_POLL_MS, 10);
    const withReach = reach(options);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? SILENT_LOGGER;
    let target = 'etcd (injected client)';
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const hosts = (typeof options.hosts === 'string' ? options.hosts.split(',') : options.hosts!).map((h) => h.trim()).filter((h) => h);
      if (hosts.length === 0 || hosts.some((h) => !/^https?:\/\/\S+$/.test(h))) throw invalidOption('`hosts` must be http://host:port endpoints');
      target = `etcd ${hosts.join(',')}`;
      this.client = new Etcd3({
        hosts,
        dialTimeout: this.callTimeoutMs,
        // etcd3's default watch backoff grows to 30 s; discovery wants watches back sooner.
        faultHandling: { watchBackoff: cappedBackoff(WATCH_BACKOFF_MIN_MS, WATCH_BACKOFF_MAX_MS) },
        ...(options.auth ? { auth: options.auth } : {}),
      });
      this.ownsClient = true;
    }
    this.reach = withReach({ target, logger: this.logger, closeSignal: this.closeController.signal });
  }

  /** `<prefix><env>/<appid>/` */
  private appPrefix(appid: string): string {
    return `${this.prefix}${this.env}/${appid}/`;
  }

  protected newRegistration(instance: Instance): EtcdRegistration {
    return new EtcdRegistration(this, instance, `${this.appPrefix(instance.appid)}${instance.hostname}`);
  }

  protected registerAttempt(reg: EtcdRegistration, signal: AbortSignal): Promise<void> {
    return reg.start(signal);
  }

  /**
   * One attempt to start watch `w`: a prefix watcher, connected, then the first read. When the
   * attempt is abandoned (deadline, failure, close) its watcher is cancelled, also if etcd
   * answers only later.
   */
  protected async watchAttempt(w: SnapshotWatch, signal: AbortSignal): Promise<InstanceSnapshot> {
    const appid = w.appid;
    // `watcher()` attaches at once without waiting for the stream (unlike `create()`), so the
    // attempt holds the Watcher and can cancel it while it still waits to connect.
    const watcher = this.client.watch().prefix(this.appPrefix(appid)).watcher();
    this.watchers.set(w, watcher);
    // An 'error' listener stays for the watcher's whole life: an emitter without one throws.
    watcher.on('error', (err) => this.logger.warn({ err, appid }, 'discovery etcd watcher error'));
    const drop = () => void this.dropWatcher(w, watcher);
    signal.addEventListener('abort', drop, { once: true });
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      watcher.once('connected', () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    const refresh = () => w.refresh();
    watcher.on('put', refresh);
    watcher.on('delete', refresh);
    // Fires again after every reconnect: events missed while disconnected are re-read.
    watcher.on('connected', () => {
      this.stopPolling(w);
      w.refresh();
    });
    watcher.on('disconnected', (err) => {
      this.logger.warn({ err, appid }, 'discovery etcd watcher disconnected');
      if (this.watches.has(w) && this.watchers.get(w) === watcher && !this.polls.has(w)) this.polls.set(w, setInterval(refresh, this.disconnectedPollMs));
    });
    const snapshot = await this.load(appid);
    signal.removeEventListener('abort', drop);
    return snapshot;
  }

  protected async releaseBackend(): Promise<void> {
    if (this.ownsClient) this.client.close();
  }

  // ---- used by EtcdRegistration ----

  /** @internal */
  deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.callTimeoutMs) };
  }

  /** @internal */
  lease(): Lease {
    return this.client.lease(this.ttlSec, this.deadline());
  }

  /** @internal */
  get regrantDelay(): number {
    return this.regrantDelayMs;
  }

  // ---- watches ----

  protected async load(appid: string): Promise<InstanceSnapshot> {
    let kvs: Record<string, string>;
    try {
      kvs = await this.client.getAll().prefix(this.appPrefix(appid)).options(this.deadline()).strings();
    } catch (err) {
      throw fail(`fetch of ${appid}`, err);
    }
    const list: Instance[] = [];
    for (const v of Object.values(kvs)) {
      const ins = parseStoredInstance(v);
      if (ins && ins.appid === appid && ins.env === this.env) list.push(ins);
      else this.logger.warn({ appid }, 'discovery: skipped an unreadable instance value');
    }
    return buildSnapshot(appid, list);
  }

  private stopPolling(w: SnapshotWatch): void {
    const timer = this.polls.get(w);
    if (timer) clearInterval(timer);
    this.polls.delete(w);
  }

  protected async releaseWatch(w: SnapshotWatch): Promise<void> {
    const watcher = this.watchers.get(w);
    if (watcher) await this.dropWatcher(w, watcher);
  }

  /**
   * Stops polling for `w` and cancels `watcher`. Bounded by the call deadline: etcd3's cancel
   * of a watcher whose creation is in flight waits for the stream, which may never come.
   */
  private async dropWatcher(w: SnapshotWatch, watcher: Watcher): Promise<void> {
    if (this.watchers.get(w) === watcher) {
      this.watchers.delete(w);
      this.stopPolling(w);
    }
    watcher.removeAllListeners('put');
    watcher.removeAllListeners('delete');
    watcher.removeAllListeners('connected');
    watcher.removeAllListeners('disconnected');
    await withDeadline(watcher.cancel(), this.callTimeoutMs, () => new Error(`no reply within ${this.callTimeoutMs} ms`)).catch((err: unknown) =>
      this.logger.warn({ err }, 'discovery etcd watcher cancel failed'),
    );
  }
}

class EtcdRegistration implements BackendRegistration {
  private json: string;
  private current: Lease | undefined;
  private cancelled = false;
  private regrantTimer: NodeJS.Timeout | undefined;
  /** Serialises this registration's writes (update, re-grant, cancel). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly owner: EtcdRegistry,
    public instance: Instance,
    private readonly key: string,
  ) {
    this.json = JSON.stringify(instance);
  }

  /**
   * Grants a lease and writes the instance under it. When `signal` aborts (the attempt was
   * abandoned) the lease is revoked, also if its grant or put completes only later.
   */
  start(signal?: AbortSignal): Promise<void> {
    return this.serial(() => this.grantAndPut(signal));
  }

  async update(metadata: Record<string, string>): Promise<void> {
    if (this.cancelled) throw new RegistryError(RegistryErrorCode.CANCELLED, `registration of ${this.instance.hostname} was cancelled`);
    checkMetadata(metadata);
    await this.serial(async () => {
      if (this.cancelled) throw new RegistryError(RegistryErrorCode.CANCELLED, `registration of ${this.instance.hostname} was cancelled`);
      const next: Instance = { ...this.instance, metadata: { ...metadata }, latest_timestamp: this.owner.stamp(this.instance.latest_timestamp) };
      const json = JSON.stringify(next);
      // A new value always: if the lease is gone meanwhile, the re-grant writes this one.
      this.instance = next;
      this.json = json;
      const lease = this.current;
      if (!lease) return; // a re-grant is pending and will write the new value
      try {
        await lease.put(this.key).value(json).options(this.owner.deadline());
      } catch (err) {
        throw fail(`update of ${next.hostname}`, err);
      }
    });
  }

  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.stop();
    this.owner.forget(this);
    await this.serial(async () => {
      const lease = this.current;
      this.current = undefined;
      if (!lease) return;
      try {
        // Revoking deletes exactly the keys attached to this lease (not a newer registration's).
        await lease.revoke(this.owner.deadline());
      } catch (err) {
        throw fail(`cancel of ${this.instance.hostname}`, err);
      }
    });
  }

  /** A newer registration of the hostname owns the key: give the lease back, delete nothing. */
  supersede(): void {
    this.stop();
    const lease = this.current;
    this.current = undefined;
    lease?.revoke(this.owner.deadline()).catch((err: unknown) => this.owner.log.debug({ err }, 'discovery: revoking a superseded lease failed'));
  }

  private async grantAndPut(signal?: AbortSignal): Promise<void> {
    const lease = this.owner.lease();
    // Registered before the first await, so a loss during the put is not missed.
    lease.on('lost', (err) => this.onLost(lease, err));
    // revoke() waits for the grant: a lease granted after the attempt was given up is revoked
    // then, with whatever key its put wrote; one never granted needs nothing.
    const abandon = () => {
      if (this.current === lease) this.current = undefined;
      lease.revoke(this.owner.deadline()).catch((err: unknown) => this.owner.log.debug({ err }, 'discovery: revoking an abandoned lease failed; it expires by TTL'));
    };
    signal?.addEventListener('abort', abandon, { once: true });
    try {
      await lease.put(this.key).value(this.json).options(this.owner.deadline());
    } catch (err) {
      signal?.removeEventListener('abort', abandon);
      lease.release();
      throw fail(`register of ${this.instance.hostname}`, err);
    }
    if (signal?.aborted) throw signal.reason as Error;
    signal?.removeEventListener('abort', abandon);
    this.current = lease;
  }

  private onLost(lease: Lease, err: unknown): void {
    // Only the lease currently holding the key matters; one lost during its first put makes
    // that put fail, and the caller (register or a re-grant) handles the failure.
    if (this.cancelled || this.current !== lease) return;
    this.current = undefined;
    this.owner.log.warn({ err, hostname: this.instance.hostname }, 'discovery lease lost; granting a new one');
    this.scheduleRegrant();
  }

  private scheduleRegrant(): void {
    if (this.cancelled || this.regrantTimer) return;
    this.regrantTimer = setTimeout(() => {
      this.regrantTimer = undefined;
      void this.serial(async () => {
        if (this.cancelled || this.current) return;
        await this.grantAndPut();
      }).catch((err: unknown) => {
        this.owner.log.warn({ err, hostname: this.instance.hostname }, 'discovery lease re-grant failed; retrying');
        this.scheduleRegrant();
      });
    }, this.owner.regrantDelay);
  }

  private stop(): void {
    this.cancelled = true;
    if (this.regrantTimer) clearTimeout(this.regrantTimer);
    this.regrantTimer = undefined;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
