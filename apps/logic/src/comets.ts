/**
 * Where logic learns the comet instances (goim: a discovery watch on `goim.comet`, §3.6).
 * Logic depends only on {@link CometSource}; a static list (config) and a discovery
 * `Registry` watch both produce one, so discovery can be wired in without touching logic.
 */
import type { Instance, Registry, Watch } from '@goim/discovery-client';

/** A live view of the comet instances. */
export interface CometSource {
  /** The instances known now. */
  current(): readonly Instance[];
  /** Calls `cb` with the full list after every change; returns an unsubscribe function. */
  onChange(cb: (instances: readonly Instance[]) => void): () => void;
}

/** A fixed comet list (config `discovery.comets`), changeable by `set` (tests, admin). */
export class StaticCometSource implements CometSource {
  private instances: readonly Instance[];
  private readonly listeners = new Set<(instances: readonly Instance[]) => void>();

  constructor(instances: readonly Instance[] = []) {
    this.instances = [...instances];
  }

  current(): readonly Instance[] {
    return this.instances;
  }

  onChange(cb: (instances: readonly Instance[]) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Replaces the list and notifies listeners. */
  set(instances: readonly Instance[]): void {
    this.instances = [...instances];
    for (const cb of this.listeners) cb(this.instances);
  }
}

/**
 * A {@link CometSource} fed by a discovery `Registry` watch of `appid` (default `goim.comet`).
 * Resolves after the first snapshot arrived; `stop()` ends the watch.
 */
export async function registryCometSource(
  registry: Registry,
  appid = 'goim.comet',
): Promise<CometSource & { stop(): Promise<void> }> {
  const source = new StaticCometSource();
  let first!: () => void;
  const ready = new Promise<void>((resolve) => (first = resolve));
  const watch: Watch = await registry.watch(appid, (snapshot) => {
    source.set(snapshot.instances);
    first();
  });
  await ready;
  return {
    current: () => source.current(),
    onChange: (cb) => source.onChange(cb),
    stop: () => watch.stop(),
  };
}

/** Parses a Go `strconv.ParseBool` value; undefined if it is not one. */
function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

function parseCount(s: string | undefined): number | undefined {
  // Missing counts read as 0 (goim skipped such a comet until its first 10-s metadata update;
  // a freshly started comet should be offered at once).
  if (s === undefined || s === '') return 0;
  return /^-?\d+$/.test(s) ? Number(s) : undefined;
}

/** A comet that may be handed out to clients, with its parsed metadata. */
export interface CometNode {
  instance: Instance;
  connCount: number;
  ipCount: number;
}

/**
 * The comets eligible for nodes/weighted and totals (§3.6): instances whose metadata says
 * `offline` false (missing = false) and whose `conn_count`/`ip_count` parse as integers.
 */
export function eligibleComets(instances: readonly Instance[]): CometNode[] {
  const out: CometNode[] = [];
  for (const instance of instances) {
    const md = instance.metadata ?? {};
    const offline = md.offline === undefined || md.offline === '' ? false : parseGoBool(md.offline);
    if (offline !== false) continue;
    const connCount = parseCount(md.conn_count);
    const ipCount = parseCount(md.ip_count);
    if (connCount === undefined || ipCount === undefined) continue;
    out.push({ instance, connCount, ipCount });
  }
  return out;
}
