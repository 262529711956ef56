/**
 * Registry: service discovery for goim-ts roles. Instances keep goim's (bilibili/discovery)
 * shape (spec §5), so `nodes/instances` answers what goim operators expect.
 *
 * App ids: `goim.comet`, `goim.logic` (job registers nothing by default).
 */

/** One registered process, in goim's discovery instance shape. */
export interface Instance {
  region: string;
  zone: string;
  env: string;
  appid: string;
  /** Unique id of the process in the cluster (comet: the server id stored in Redis). */
  hostname: string;
  /** e.g. `grpc://127.0.0.1:3109`. */
  addrs: string[];
  version: string;
  /** Unix time in nanoseconds of the last change (goim's latest_timestamp). */
  latest_timestamp: number;
  /** String metadata: weight, offline, addrs, conn_count, ip_count … */
  metadata: Record<string, string>;
}

/** Every live instance of one appid. */
export interface InstanceSnapshot {
  appid: string;
  instances: Instance[];
  /** Instances grouped by zone. */
  zones: Record<string, Instance[]>;
}

/** A registration held by the registry until cancelled (kept alive by the adapter). */
export interface Registration {
  /** Replaces the instance's metadata (e.g. the 10-s conn_count/ip_count update). */
  update(metadata: Record<string, string>): Promise<void>;
  /** Removes the instance now; safe to call twice. */
  cancel(): Promise<void>;
}

/** A watch; `stop()` ends it. */
export interface Watch {
  stop(): Promise<void>;
}

export interface Registry {
  /**
   * Registers an instance and keeps it alive (lease/TTL renewals) until `cancel()`.
   * An instance whose process dies without cancelling disappears after the adapter's TTL.
   */
  register(instance: Omit<Instance, 'latest_timestamp'>): Promise<Registration>;

  /** Current instances of an appid. */
  fetch(appid: string): Promise<InstanceSnapshot>;

  /**
   * Calls `onChange` with a full snapshot now and after every change of `appid`.
   * The callback is never invoked concurrently with itself.
   */
  watch(appid: string, onChange: (snapshot: InstanceSnapshot) => void): Promise<Watch>;

  /** Cancels own registrations, stops watches, releases connections; safe to call twice. */
  close(): Promise<void>;
}
