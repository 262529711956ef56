/**
 * Instance helpers shared by the adapters: validation, timestamps, snapshots, addresses.
 */
import { RegistryError, RegistryErrorCode } from './errors.js';
import type { Instance, InstanceInput, InstanceSnapshot } from './registry.js';

// Names end up inside etcd/Redis keys (`/` and `:` separate segments there) and Redis MATCH
// patterns, so separators, whitespace and glob characters are refused.
const NAME = /^[^\s/:*?[\]{}]+$/;
const ADDR = /^[a-z][a-z0-9+.-]*:\/\/\S+$/;

function invalid(what: string): RegistryError {
  return new RegistryError(RegistryErrorCode.INVALID_INSTANCE, what);
}

/** Throws GOIM_ERR_REGISTRY_INVALID_INSTANCE unless `value` can be an env, appid or hostname. */
export function checkName(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw invalid(`\`${field}\` must be a non-empty string without whitespace, "/", ":" or glob characters, got ${JSON.stringify(value)}`);
  }
}

/** Throws GOIM_ERR_REGISTRY_INVALID_INSTANCE unless `metadata` maps strings to strings. */
export function checkMetadata(metadata: unknown): asserts metadata is Record<string, string> {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw invalid('`metadata` must be an object of string values');
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw invalid(`\`metadata.${k}\` must be a string (goim metadata is string-valued), got ${typeof v}`);
  }
}

/**
 * Validates a registration input and fills `env` from the registry's env. Returns a copy, so
 * later mutation of the caller's object changes nothing.
 */
export function normalizeInput(input: InstanceInput, env: string): Omit<Instance, 'latest_timestamp'> {
  if (typeof input !== 'object' || input === null) throw invalid('instance must be an object');
  if (input.env !== undefined && input.env !== env) {
    throw new RegistryError(
      RegistryErrorCode.ENV_MISMATCH,
      `instance env ${JSON.stringify(input.env)} differs from the registry env ${JSON.stringify(env)}`,
    );
  }
  checkName('appid', input.appid);
  checkName('hostname', input.hostname);
  for (const f of ['region', 'zone', 'version'] as const) {
    if (typeof input[f] !== 'string') throw invalid(`\`${f}\` must be a string`);
  }
  if (!Array.isArray(input.addrs) || input.addrs.some((a) => typeof a !== 'string' || !ADDR.test(a))) {
    throw invalid('`addrs` must be an array of "scheme://host:port" strings');
  }
  checkMetadata(input.metadata);
  return {
    region: input.region,
    zone: input.zone,
    env,
    appid: input.appid,
    hostname: input.hostname,
    addrs: [...input.addrs],
    version: input.version,
    metadata: { ...input.metadata },
  };
}

/**
 * A latest_timestamp (ns) for a change made at `nowMs`, strictly above `previous`. The step
 * of 1 µs survives double rounding (doubles near 1.7e18 are 256 ns apart).
 */
export function nextTimestamp(nowMs: number, previous = 0): number {
  const ns = Math.floor(nowMs) * 1_000_000;
  return ns > previous ? ns : previous + 1_000;
}

function byZoneHost(a: Instance, b: Instance): number {
  if (a.zone !== b.zone) return a.zone < b.zone ? -1 : 1;
  return a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0;
}

/** A snapshot of `instances` (sorted by zone then hostname, grouped by zone). */
export function buildSnapshot(appid: string, instances: Iterable<Instance>): InstanceSnapshot {
  const list = [...instances].sort(byZoneHost);
  const zones: Record<string, Instance[]> = {};
  for (const ins of list) (zones[ins.zone] ??= []).push(ins);
  return { appid, instances: list, zones };
}

/** Parses a stored instance JSON; undefined (never a throw) when it is not one. */
export function parseStoredInstance(json: string): Instance | undefined {
  try {
    const v = JSON.parse(json) as Instance;
    if (typeof v !== 'object' || v === null || typeof v.appid !== 'string' || typeof v.hostname !== 'string') return undefined;
    if (!Array.isArray(v.addrs) || typeof v.metadata !== 'object' || v.metadata === null) return undefined;
    return v;
  } catch {
    return undefined;
  }
}

/**
 * `host:port` of the instance's first address with `scheme` (default `grpc`, as goim dials
 * comets from their `grpc://host:port` entry), or undefined when it has none.
 */
export function instanceAddr(instance: Pick<Instance, 'addrs'>, scheme = 'grpc'): string | undefined {
  const prefix = `${scheme}://`;
  for (const a of instance.addrs) {
    if (a.startsWith(prefix)) {
      const rest = a.slice(prefix.length);
      return rest.length > 0 ? rest : undefined;
    }
  }
  return undefined;
}
