/**
 * Registry: service discovery for goim-ts roles. Instances keep goim's (bilibili/discovery)
 * shape (spec §5), so `nodes/instances` answers what goim operators expect.
 *
 * App ids: `goim.comet`, `goim.logic` (job registers nothing by default).
 *
 * Guarantees every adapter gives (proved by `describeRegistryContract` from
 * `@goim/discovery-client/testing`):
 * - A registry serves one deployment env (`dev`, `prod`…); instances of other envs are never
 *   returned, and two appids never see each other's instances.
 * - A registration stays visible until `cancel()`, `close()`, or — for the shared backends
 *   (etcd, Redis) — until its process stops renewing it and the adapter's TTL runs out.
 * - Watchers get whole snapshots, never deltas, so a missed intermediate state cannot corrupt
 *   what they hold. Consumers that must survive discovery flaps (logic's balancer ignores a
 *   snapshot smaller than half of the current one, spec §3.7) apply that guard themselves.
 */

/** One registered process, in goim's discovery instance shape (spec §5; JSON field names kept). */
export interface Instance {
  /** Region of the process, e.g. `sh` (goim `-region`/`REGION`). */
  region: string;
  /** Zone (a machine room) of the process, e.g. `sh001` (goim `-zone`/`ZONE`). */
  zone: string;
  /** Deployment env, e.g. `dev`, `prod` (goim `-deploy.env`/`DEPLOY_ENV`). */
  env: string;
  /** Application id: `goim.comet` or `goim.logic`. */
  appid: string;
  /** Unique id of the process in the cluster (comet: the server id stored in Redis). */
  hostname: string;
  /** Endpoints as `scheme://host:port`, e.g. `grpc://127.0.0.1:3109`. */
  addrs: string[];
  /** Free-form build version. */
  version: string;
  /**
   * Unix time in nanoseconds of the last change (goim's latest_timestamp). A JS number: exact
   * to ~256 ns at today's magnitudes, which is enough to order changes; adapters make it grow
   * strictly with every update of one registration.
   */
  latest_timestamp: number;
  /**
   * String metadata. goim's comet sets `weight`, `offline` ("true"/"false"), `addrs` (public
   * IPs, comma-joined), and every 10 s `conn_count`, `ip_count`; logic sets `weight` only.
   */
  metadata: Record<string, string>;
}

/**
 * What `register` takes: an {@link Instance} without `latest_timestamp` (the adapter stamps
 * it). `env` may be left out; it defaults to the registry's env, and a different value is
 * rejected with `GOIM_ERR_REGISTRY_ENV_MISMATCH`.
 */
export type InstanceInput = Omit<Instance, 'latest_timestamp' | 'env'> & { env?: string };

/** Every live instance of one appid, in the registry's env. */
export interface InstanceSnapshot {
  appid: string;
  /** Every instance, sorted by zone then hostname (stable, so snapshots compare cheaply). */
  instances: Instance[];
  /** The same instances grouped by zone (goim's `instances: {zone: [Instance…]}`). */
  zones: Record<string, Instance[]>;
}

/** A registration held by the registry until cancelled (kept alive by the adapter). */
export interface Registration {
  /** The instance as currently registered (its metadata and latest_timestamp follow `update`). */
  readonly instance: Instance;
  /**
   * Replaces the instance's metadata (e.g. the 10-s conn_count/ip_count update) and stamps a
   * newer `latest_timestamp`; watchers then get a snapshot carrying it. Rejects with
   * `GOIM_ERR_REGISTRY_CANCELLED` after `cancel()`.
   */
  update(metadata: Record<string, string>): Promise<void>;
  /** Removes the instance now and stops renewing it; safe to call twice. */
  cancel(): Promise<void>;
}

/** A watch; `stop()` ends it (no callback starts afterwards); safe to call twice. */
export interface Watch {
  stop(): Promise<void>;
}

/** Receives whole snapshots; a returned promise is awaited before the next call. */
export type SnapshotListener = (snapshot: InstanceSnapshot) => void | Promise<void>;

/** Service discovery backend: static (in-process), etcd or Redis. */
export interface Registry {
  /** Deployment env this registry reads and writes (default `dev`). */
  readonly env: string;

  /**
   * Registers an instance and keeps it alive (lease/TTL renewals) until `cancel()`.
   * An instance whose process dies without cancelling disappears after the adapter's TTL.
   * Registering a hostname already registered under the same appid replaces that entry (a
   * restarted process takes over its old id). Bad input rejects with
   * `GOIM_ERR_REGISTRY_INVALID_INSTANCE`; after `close()` with `GOIM_ERR_REGISTRY_CLOSED`.
   * The shared backends (etcd, Redis) wait for an unreachable backend: attempts bounded by
   * `attemptTimeoutMs`, a warning per failed attempt, a capped backoff; the promise resolves
   * once the instance is written, or rejects with `GOIM_ERR_REGISTRY_CLOSED` if the registry is
   * closed first (with `retryMaxDelayMs: 0`, the first failure rejects instead).
   */
  register(instance: InstanceInput): Promise<Registration>;

  /** Current instances of an appid (an empty snapshot when there are none). */
  fetch(appid: string): Promise<InstanceSnapshot>;

  /**
   * Calls `onChange` with a full snapshot now (before the returned promise resolves) and
   * after every change of `appid`. Identical consecutive snapshots are not repeated. The
   * callback is never invoked concurrently with itself; an exception it throws is logged and
   * does not end the watch. While the backend is unreachable at the start, the shared backends
   * retry as `register` does; an abandoned attempt leaves no watcher or subscription behind.
   */
  watch(appid: string, onChange: SnapshotListener): Promise<Watch>;

  /**
   * Cancels own registrations (best effort: an unreachable backend lets them expire by TTL),
   * stops watches, releases connections the registry created; safe to call twice.
   */
  close(): Promise<void>;
}
