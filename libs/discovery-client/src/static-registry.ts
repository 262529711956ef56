/**
 * StaticRegistry: instances from config plus those registered by this process. It serves one
 * process (standalone mode, tests, fixed deployments); nothing expires because nothing is
 * shared. For many processes use {@link EtcdRegistry} or {@link RedisRegistry}.
 */
import { RegistryError, RegistryErrorCode } from './errors.js';
import { buildSnapshot, checkName, normalizeInput, checkMetadata, nextTimestamp } from './instance.js';
import { SILENT_LOGGER, type RegistryLogger } from './logger.js';
import { DEFAULT_ENV, instanceConfigSchema, type InstanceConfig } from './options.js';
import type { Instance, InstanceInput, InstanceSnapshot, Registration, Registry, SnapshotListener, Watch } from './registry.js';
import { SnapshotWatch } from './snapshot-watch.js';

/** Options of {@link StaticRegistry}. */
export interface StaticRegistryOptions {
  /** Deployment env served (default `dev`). */
  env?: string;
  /**
   * Fixed instances (goim's shape; `env` defaults to the registry's, `latest_timestamp` to the
   * construction time). Entries of another env are ignored, so one list can serve every env.
   */
  instances?: ReadonlyArray<Partial<InstanceConfig> & Pick<InstanceConfig, 'appid' | 'hostname'>>;
  /** Clock in ms (default `Date.now`), for latest_timestamp. */
  now?: () => number;
  logger?: RegistryLogger;
}

/** In-process {@link Registry}: config instances + own registrations; watchers notified on change. */
export class StaticRegistry implements Registry {
  readonly env: string;
  private readonly now: () => number;
  private readonly logger: RegistryLogger;
  /** appid → hostname → instance. */
  private readonly apps = new Map<string, Map<string, Instance>>();
  private readonly watches = new Set<SnapshotWatch>();
  private readonly registrations = new Set<StaticRegistration>();
  private closed = false;

  constructor(options: StaticRegistryOptions = {}) {
    this.env = options.env ?? DEFAULT_ENV;
    try {
      checkName('env', this.env);
    } catch (err) {
      throw new RegistryError(RegistryErrorCode.INVALID_OPTIONS, `StaticRegistry: ${(err as Error).message}`);
    }
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? SILENT_LOGGER;
    const stamp = nextTimestamp(this.now());
    for (const [i, raw] of (options.instances ?? []).entries()) {
      const parsed = instanceConfigSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new RegistryError(
          RegistryErrorCode.INVALID_OPTIONS,
          `StaticRegistry: \`instances[${i}].${issue.path.join('.')}\`: ${issue.message}`,
        );
      }
      const c = parsed.data;
      if ((c.env ?? this.env) !== this.env) continue;
      this.put({ ...c, env: this.env, latest_timestamp: c.latest_timestamp ?? stamp });
    }
  }

  async register(input: InstanceInput): Promise<Registration> {
    this.checkOpen();
    const base = normalizeInput(input, this.env);
    const previous = this.apps.get(base.appid)?.get(base.hostname)?.latest_timestamp;
    const instance: Instance = { ...base, latest_timestamp: nextTimestamp(this.now(), previous) };
    const reg = new StaticRegistration(this, instance);
    this.registrations.add(reg);
    this.put(instance);
    this.changed(instance.appid);
    return reg;
  }

  async fetch(appid: string): Promise<InstanceSnapshot> {
    this.checkOpen();
    checkName('appid', appid);
    return this.snapshot(appid);
  }

  async watch(appid: string, onChange: SnapshotListener): Promise<Watch> {
    this.checkOpen();
    checkName('appid', appid);
    const w = new SnapshotWatch(appid, async () => this.snapshot(appid), onChange, this.logger, (x) => {
      this.watches.delete(x);
    });
    this.watches.add(w);
    await w.start();
    return w;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const reg of [...this.registrations]) await reg.cancel();
    for (const w of [...this.watches]) await w.stop();
  }

  /** @internal */
  updateOwn(reg: StaticRegistration, metadata: Record<string, string>): Instance {
    checkMetadata(metadata);
    const current = reg.instance;
    const next: Instance = { ...current, metadata: { ...metadata }, latest_timestamp: nextTimestamp(this.now(), current.latest_timestamp) };
    this.put(next);
    this.changed(next.appid);
    return next;
  }

  /** @internal */
  removeOwn(reg: StaticRegistration): void {
    this.registrations.delete(reg);
    const app = this.apps.get(reg.instance.appid);
    // Only remove the entry if it is still ours (a later register of the same hostname replaced it).
    if (app?.get(reg.instance.hostname) === reg.instance) {
      app.delete(reg.instance.hostname);
      this.changed(reg.instance.appid);
    }
  }

  private put(instance: Instance): void {
    let app = this.apps.get(instance.appid);
    if (!app) this.apps.set(instance.appid, (app = new Map()));
    app.set(instance.hostname, instance);
  }

  private snapshot(appid: string): InstanceSnapshot {
    // Copies, so a listener mutating its snapshot cannot alter the registry.
    const list = [...(this.apps.get(appid)?.values() ?? [])].map((i) => ({ ...i, addrs: [...i.addrs], metadata: { ...i.metadata } }));
    return buildSnapshot(appid, list);
  }

  private changed(appid: string): void {
    for (const w of this.watches) if (w.appid === appid) w.refresh();
  }

  private checkOpen(): void {
    if (this.closed) throw new RegistryError(RegistryErrorCode.CLOSED, 'StaticRegistry is closed');
  }
}

class StaticRegistration implements Registration {
  private cancelled = false;
  constructor(
    private readonly owner: StaticRegistry,
    public instance: Instance,
  ) {}

  async update(metadata: Record<string, string>): Promise<void> {
    if (this.cancelled) throw new RegistryError(RegistryErrorCode.CANCELLED, `registration of ${this.instance.hostname} was cancelled`);
    this.instance = this.owner.updateOwn(this, metadata);
  }

  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    this.owner.removeOwn(this);
  }
}
