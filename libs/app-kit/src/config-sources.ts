/**
 * goim-style config sources, shared by the apps: a TOML file with goim's key names (matched
 * case-insensitively, as BurntSushi/toml does), an already-parsed object, environment
 * variables and goim's single-dash flags, layered in that order and checked by a zod schema.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { ConfigError, ConfigErrorCode } from './errors.js';

/** The fields of a zod object schema. */
export type ConfigShape = Record<string, z.ZodType>;

type Def = { type?: string; innerType?: unknown; in?: unknown; element?: unknown; shape?: ConfigShape };

/**
 * The fields of `schema` if it is an object schema, looking through default / prefault /
 * optional / pipe (transform, superRefine) wrappers; undefined otherwise.
 */
export function objectShape(schema: unknown): ConfigShape | undefined {
  let cur = schema;
  for (let i = 0; i < 6 && cur; i++) {
    const def = (cur as { def?: Def }).def;
    if (!def) return undefined;
    if (def.type === 'object') return def.shape;
    cur = def.innerType ?? def.in;
  }
  return undefined;
}

/** The fields of the element of an array-of-objects schema; undefined otherwise. */
function elementShape(schema: unknown): ConfigShape | undefined {
  let cur = schema;
  for (let i = 0; i < 6 && cur; i++) {
    const def = (cur as { def?: Def }).def;
    if (!def) return undefined;
    if (def.type === 'array') return objectShape(def.element);
    cur = def.innerType;
  }
  return undefined;
}

/**
 * Renames keys to the schema's spelling, case-insensitively (BurntSushi/toml matches this way),
 * in nested tables and in arrays of tables. Unknown keys are kept for the schema to reject.
 */
export function normaliseKeys(input: unknown, shape: ConfigShape | undefined): unknown {
  if (!shape || !input || typeof input !== 'object' || Array.isArray(input)) return input;
  const byLower = new Map(Object.keys(shape).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const name = byLower.get(k.toLowerCase()) ?? k;
    const field = shape[name];
    const items = Array.isArray(v) ? elementShape(field) : undefined;
    out[name] = items ? v.map((x: unknown) => normaliseKeys(x, items)) : normaliseKeys(v, objectShape(field));
  }
  return out;
}

/** Deep-merges plain objects; arrays and scalars of `over` replace those of `base`. */
export function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? mergeConfig(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Where an app's config comes from; later sources win: toml < object < env < argv. */
export interface ConfigSources<Input = Record<string, unknown>> {
  /** TOML text (goim key names). */
  toml?: string;
  /** An already-parsed object (e.g. from apps/standalone or a spec), merged over the TOML. */
  object?: Input | Record<string, unknown>;
  /** Environment variables (`process.env`). */
  env?: Record<string, string | undefined>;
  /** Command-line flags (`process.argv.slice(2)`). */
  argv?: readonly string[];
}

/** How an app turns its env variables and flags into partial config objects. */
export interface ConfigLayers {
  fromEnv(env: Record<string, string | undefined>): Record<string, unknown>;
  fromArgv(argv: readonly string[]): Record<string, unknown>;
}

/**
 * Layers `sources` into one raw object for `schema` (toml < object < env < argv), keys in the
 * schema's spelling; validate it with {@link parseConfig}. Throws `GOIM_ERR_CONFIG_BAD_TOML`
 * and whatever `layers` throw.
 */
export function layerConfigSources(schema: z.ZodType, sources: ConfigSources<unknown>, layers: ConfigLayers): Record<string, unknown> {
  const shape = objectShape(schema);
  let raw: Record<string, unknown> = {};
  if (sources.toml !== undefined) raw = parseTomlConfig(sources.toml, shape);
  if (sources.object) raw = mergeConfig(raw, normaliseKeys(sources.object, shape) as Record<string, unknown>);
  if (sources.env) raw = mergeConfig(raw, layers.fromEnv(sources.env));
  if (sources.argv) raw = mergeConfig(raw, layers.fromArgv(sources.argv));
  return raw;
}

/** Freezes `o` and everything reachable from it; returns `o`. */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Parses TOML text and normalises its keys to `shape`; throws `GOIM_ERR_CONFIG_BAD_TOML`. */
export function parseTomlConfig(text: string, shape: ConfigShape | undefined): Record<string, unknown> {
  try {
    return normaliseKeys(parseToml(text), shape) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(ConfigErrorCode.BAD_TOML, `invalid TOML: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads the `-conf` file; throws `GOIM_ERR_CONFIG_BAD_FILE`. */
export function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(ConfigErrorCode.BAD_FILE, `cannot read config file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Validates `raw` against `schema`; throws `GOIM_ERR_CONFIG_INVALID` with
 * `invalid <app> config: <path>: <issue>; …` naming every bad key. Not frozen: the caller
 * may fill derived values (e.g. the hostname) first, then {@link deepFreeze}.
 */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, app: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(ConfigErrorCode.INVALID, `invalid ${app} config: ${detail}`, { cause: parsed.error });
  }
  return parsed.data;
}

const TRUE = /^(1|t|true|yes|on)$/i;

/** goim's boolean env/flag spelling: `1`, `t`, `true`, `yes`, `on` (any case) are true, all else false. */
export function isTrue(value: string): boolean {
  return TRUE.test(value);
}

/** Splits a comma-separated list, trimming items and dropping empty ones. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** An integer env var or flag value; throws `GOIM_ERR_CONFIG_INVALID` naming `name`. */
export function parseIntValue(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(ConfigErrorCode.INVALID, `${name} must be an integer, got "${value}"`);
  return n;
}

/** The flags an app accepts. */
export interface GoimFlagSpec {
  /** Flag names without dashes (`conf`, `deploy.env`, …). */
  names: ReadonlySet<string> | readonly string[];
  /** Flags that may stand alone (`-debug`): true when no value follows. */
  booleans?: ReadonlySet<string> | readonly string[];
}

/**
 * Parses goim's single-dash flags (`-region sh`, `-zone=sh001`, `-deploy.env dev`, `-debug`);
 * double dashes work too. Returns `[name, value]` in command-line order; a standalone boolean
 * flag yields `'true'`. Throws `GOIM_ERR_CONFIG_BAD_FLAG` for an unknown flag or a missing value.
 */
export function parseGoimFlags(argv: readonly string[], spec: GoimFlagSpec): Array<[name: string, value: string]> {
  const names = new Set(spec.names);
  const booleans = new Set(spec.booleans ?? []);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z.]+)(?:=(.*))?$/.exec(arg);
    if (!m || !names.has(m[1]!)) throw new ConfigError(ConfigErrorCode.BAD_FLAG, `unknown flag "${arg}"`);
    const name = m[1]!;
    let value = m[2];
    if (value === undefined) {
      if (booleans.has(name) && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-'))) value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) throw new ConfigError(ConfigErrorCode.BAD_FLAG, `flag "-${name}" needs a value`);
      }
    }
    out.push([name, value]);
  }
  return out;
}

/** Splits a goim bind address (`":3101"`, `"0.0.0.0:3101"`, `"[::1]:0"`) into host + port. */
export function parseBind(bind: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*))?:(\d+)$/.exec(bind.trim());
  if (!m) throw new ConfigError(ConfigErrorCode.INVALID, `bad bind address "${bind}" (want host:port or :port)`);
  const host = m[1] ?? m[2];
  return { host: host ? host : undefined, port: Number(m[3]) };
}
