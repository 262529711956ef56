/**
 * Job configuration: one zod schema owning every default (`.strict()`, every section
 * optional), filled from a TOML file with goim's key names (matched case-insensitively, as
 * BurntSushi/toml does), then environment variables, then goim-style single-dash flags.
 *
 * Durations accept Go duration strings (`"1s"`, `"15m"`) as goim's TOML does, or a number of
 * milliseconds. `main.ts` parses once at startup; the result is deep-frozen.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { registryConfigSchema } from '@goim/discovery-client';
import { ConfigError, ConfigErrorCode } from './errors.js';

/** goim's room batch size (`room.batch`): frames per BroadcastRoom. */
export const DEFAULT_ROOM_BATCH = 20;
/** goim's room window (`room.signal`): the longest a room message waits for company. */
export const DEFAULT_ROOM_SIGNAL_MS = 1_000;
/** goim's idle room reap time (`room.idle`); goim uses 1 min when configured 0. */
export const DEFAULT_ROOM_IDLE_MS = 15 * 60_000;
/** goim's per-comet worker count (`comet.routineSize`); here: RPCs in flight per comet. */
export const DEFAULT_COMET_ROUTINE_SIZE = 32;
/** goim's per-worker channel size (`comet.routineChan`); here: requests queued per comet before callers wait. */
export const DEFAULT_COMET_ROUTINE_CHAN = 1024;
/** Deadline of one comet RPC (goim set none, spec §10.14). */
export const DEFAULT_COMET_DEADLINE_MS = 5_000;
/** Retries of one comet RPC on UNAVAILABLE/DEADLINE_EXCEEDED-like errors before the message is left for redelivery. */
export const DEFAULT_COMET_RETRIES = 5;
/** How long a PUSH to a comet the directory does not know waits for it to appear. */
export const DEFAULT_UNKNOWN_SERVER_DEADLINE_MS = 30_000;
/** goim's Kafka topic and consumer group. */
export const DEFAULT_KAFKA_TOPIC = 'goim-push-topic';
export const DEFAULT_KAFKA_GROUP = 'goim-push-group-job';

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Parses a Go `time.ParseDuration` string into milliseconds; undefined if malformed. */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * GO_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === 0 ? undefined : Math.round(total);
}

/** A duration in ms: a non-negative number of ms, or a Go duration string. */
const duration = (def: number) =>
  z
    .union([z.number().nonnegative(), z.string()])
    .transform((v, ctx) => {
      if (typeof v === 'number') return v;
      const ms = parseDurationMs(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `not a duration: "${v}" (use e.g. "1s", "200ms")` });
        return z.NEVER;
      }
      return ms;
    })
    .default(def);

const cometEntry = z
  .object({
    /** The comet id (goim `-host`), as logic stores it in Redis and PushMsg.server names it. */
    hostname: z.string().min(1),
    zone: z.string().default(''),
    /** gRPC address: `host:port` or goim's discovery form `grpc://host:port`. */
    addr: z.string().min(1),
  })
  .strict();

/** The job configuration schema (TOML sections are goim's §6.3; new keys carry units in names). */
export const jobConfigSchema = z
  .object({
    /** Identity, as goim's flags/env (`-region`, `-zone`, `-deploy.env`, `-host`). */
    env: z
      .object({
        region: z.string().default(''),
        zone: z.string().default(''),
        deployEnv: z.string().default(''),
        host: z.string().default(''),
        /** Lowers the log level to debug (never per-message info logs, spec §10.16). */
        debug: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /**
     * goim's discovery `nodes` (accepted for config compatibility, unused). goim-ts: with a
     * `registry` (`{type = "etcd"|"redis"|"static", …}`, same keys as apps/logic) the job follows
     * the `goim.comet` instances instead of the static `comets` list.
     */
    discovery: z
      .object({
        nodes: z.array(z.string()).default([]),
        registry: registryConfigSchema.optional(),
        /** Longest pause between "no comet yet" checks at startup (backoff from 250 ms up to this). */
        waitMax: duration(5_000),
      })
      .strict()
      .prefault({}),
    kafka: z
      .object({
        topic: z.string().min(1).default(DEFAULT_KAFKA_TOPIC),
        group: z.string().min(1).default(DEFAULT_KAFKA_GROUP),
        brokers: z.array(z.string().min(1)).default([]),
        /** Consumer group session timeout: how soon a dead job's partitions move (the adapter's default when unset). */
        sessionTimeout: duration(0).transform((v) => v || undefined),
        /** Consumer heartbeat interval (adapter default when unset). */
        heartbeatInterval: duration(0).transform((v) => v || undefined),
        /** Consumer group rebalance timeout (adapter default when unset). */
        rebalanceTimeout: duration(0).transform((v) => v || undefined),
        /** Partitions when the job has to create the topic (adapter default 16, as goim's maintainers recommend). */
        partitions: z.number().int().positive().optional(),
      })
      .strict()
      .prefault({}),
    queue: z
      .object({
        /** Which PushQueue adapter `main.ts` builds (standalone passes its own consumer). */
        type: z.enum(['kafka', 'redis-streams', 'memory']).default('kafka'),
        /** Redis URL for `redis-streams`. */
        redisUrl: z.string().default(''),
      })
      .strict()
      .prefault({}),
    comet: z
      .object({
        routineChan: z.number().int().positive().default(DEFAULT_COMET_ROUTINE_CHAN),
        routineSize: z.number().int().positive().default(DEFAULT_COMET_ROUTINE_SIZE),
        /** Deadline of one RPC. */
        deadline: duration(DEFAULT_COMET_DEADLINE_MS),
        /** Retries per RPC after the first attempt (0 = no retry). */
        retries: z.number().int().nonnegative().default(DEFAULT_COMET_RETRIES),
        /** First retry backoff; doubles per retry, full jitter. */
        retryBase: duration(100),
        /** Largest retry backoff. */
        retryMax: duration(3_000),
      })
      .strict()
      .prefault({}),
    room: z
      .object({
        batch: z.number().int().positive().default(DEFAULT_ROOM_BATCH),
        signal: duration(DEFAULT_ROOM_SIGNAL_MS),
        /** 0 means 1 min, as goim. */
        idle: duration(DEFAULT_ROOM_IDLE_MS),
        /** Unacknowledged messages one room holds before new ones wait (0 = 2 × batch, goim's queue size). */
        maxPending: z.number().int().nonnegative().default(0),
        /**
         * goim-ts: also flush when no further room message arrived within one timer tick.
         * Needed because the queue hands the next message of a room only after this one is
         * acknowledged, and we acknowledge only after the comets accepted it (see README).
         */
        flushWhenIdle: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    job: z
      .object({
        /** goim's per-zone routing: only comets of `env.zone` (spec §4.5). Default: every zone (§10.24). */
        zoneOnly: z.boolean().default(false),
        /** How long a PUSH to an unknown comet waits for the directory to learn it before it is undeliverable. */
        unknownServerDeadline: duration(DEFAULT_UNKNOWN_SERVER_DEADLINE_MS),
      })
      .strict()
      .prefault({}),
    /** Static comet list, used until a discovery registry feeds the directory. */
    comets: z.array(cometEntry).default([]),
    /** HTTP for `/metrics`, `/healthz`, `/readyz` ('' = disabled). */
    httpServer: z
      .object({ addr: z.string().default(':3129') })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        /** Longest wait for in-flight deliveries on SIGTERM/SIGINT. */
        drain: duration(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.job.zoneOnly && !cfg.env.zone) {
      ctx.addIssue({ code: 'custom', path: ['job', 'zoneOnly'], message: 'job.zoneOnly needs env.zone (-zone / ZONE)' });
    }
    if (cfg.discovery.registry && cfg.comets.length) {
      ctx.addIssue({ code: 'custom', path: ['comets'], message: 'give either `comets` or `discovery.registry`, not both' });
    }
    const seen = new Set<string>();
    for (const [i, c] of cfg.comets.entries()) {
      if (seen.has(c.hostname)) {
        ctx.addIssue({ code: 'custom', path: ['comets', i, 'hostname'], message: `duplicate comet hostname "${c.hostname}"` });
      }
      seen.add(c.hostname);
    }
  });

/** A resolved job configuration (frozen). */
export type JobConfig = z.output<typeof jobConfigSchema>;
/** What a TOML file / caller may give (every section and key optional). */
export type JobConfigInput = z.input<typeof jobConfigSchema>;

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function objectShape(t: unknown): Record<string, z.ZodType> | undefined {
  let cur = t;
  for (let i = 0; i < 6 && cur; i++) {
    const def = (cur as { def?: { type?: string; innerType?: unknown; in?: unknown; element?: unknown; shape?: Record<string, z.ZodType> } }).def;
    if (!def) return undefined;
    if (def.type === 'object') return def.shape;
    cur = def.innerType ?? def.in;
  }
  return undefined;
}

function elementShape(t: unknown): Record<string, z.ZodType> | undefined {
  let cur = t;
  for (let i = 0; i < 6 && cur; i++) {
    const def = (cur as { def?: { type?: string; innerType?: unknown; element?: unknown } }).def;
    if (!def) return undefined;
    if (def.type === 'array') return objectShape(def.element);
    cur = def.innerType;
  }
  return undefined;
}

/** Renames keys to the schema's spelling, case-insensitively (BurntSushi/toml matches this way). */
function normaliseKeys(input: unknown, shape: Record<string, z.ZodType> | undefined): unknown {
  if (!shape || !input || typeof input !== 'object') return input;
  if (Array.isArray(input)) return input;
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

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

const BOOL = /^(1|t|true|yes|on)$/i;

/** goim's identity environment variables (REGION, ZONE, DEPLOY_ENV, DEBUG). */
function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (env.REGION !== undefined) e.region = env.REGION;
  if (env.ZONE !== undefined) e.zone = env.ZONE;
  if (env.DEPLOY_ENV !== undefined) e.deployEnv = env.DEPLOY_ENV;
  if (env.DEBUG !== undefined) e.debug = BOOL.test(env.DEBUG);
  return Object.keys(e).length ? { env: e } : {};
}

/** Result of parsing goim-style command-line flags. */
export interface JobFlags {
  /** `-conf`: the TOML file. */
  conf?: string;
  /** Identity overrides. */
  env: Record<string, unknown>;
}

const FLAG_NAMES = new Set(['conf', 'region', 'zone', 'deploy.env', 'host', 'debug']);

/** Parses goim's single-dash flags (`-zone sh001`, `-conf=job.toml`, `-debug`); double dashes work too. */
export function parseJobFlags(argv: readonly string[]): JobFlags {
  const out: JobFlags = { env: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z.]+)(?:=(.*))?$/.exec(arg);
    if (!m || !FLAG_NAMES.has(m[1]!)) throw new ConfigError(ConfigErrorCode.BAD_FLAG, `unknown flag "${arg}"`);
    const name = m[1]!;
    let value = m[2];
    if (value === undefined) {
      if (name === 'debug' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-'))) value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) throw new ConfigError(ConfigErrorCode.BAD_FLAG, `flag "-${name}" needs a value`);
      }
    }
    if (name === 'conf') out.conf = value;
    else if (name === 'deploy.env') out.env.deployEnv = value;
    else if (name === 'debug') out.env.debug = BOOL.test(value);
    else out.env[name] = value;
  }
  return out;
}

/** Sources for {@link resolveJobConfig}; later sources win: toml < object < env < flags. */
export interface JobConfigSources {
  /** TOML text (goim key names). */
  toml?: string;
  /** An already-parsed object (e.g. from apps/standalone or a test). */
  object?: JobConfigInput | Record<string, unknown>;
  env?: Record<string, string | undefined>;
  argv?: readonly string[];
}

/**
 * Builds the frozen job config. Throws {@link ConfigError} (`GOIM_ERR_CONFIG_INVALID`) naming
 * every bad key.
 */
export function resolveJobConfig(sources: JobConfigSources = {}): JobConfig {
  const shape = objectShape(jobConfigSchema);
  let raw: Record<string, unknown> = {};
  if (sources.toml !== undefined) {
    try {
      raw = normaliseKeys(parseToml(sources.toml), shape) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(ConfigErrorCode.BAD_TOML, `invalid TOML: ${(err as Error).message}`, { cause: err });
    }
  }
  if (sources.object) raw = merge(raw, normaliseKeys(sources.object, shape) as Record<string, unknown>);
  if (sources.env) raw = merge(raw, fromEnv(sources.env));
  if (sources.argv) raw = merge(raw, { env: parseJobFlags(sources.argv).env });
  return parseJobConfig(raw);
}

/** Validates an object against {@link jobConfigSchema}; throws {@link ConfigError}. */
export function parseJobConfig(input: unknown): JobConfig {
  const parsed = jobConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(ConfigErrorCode.INVALID, `invalid job config: ${detail}`, { cause: parsed.error });
  }
  return deepFreeze(parsed.data);
}

/** Reads `-conf` (if given) and resolves env + flags: what `main.ts` calls. */
export function loadJobConfig(argv: readonly string[], env: Record<string, string | undefined>): JobConfig {
  const flags = parseJobFlags(argv);
  let toml: string | undefined;
  if (flags.conf) {
    try {
      toml = readFileSync(flags.conf, 'utf8');
    } catch (err) {
      throw new ConfigError(ConfigErrorCode.BAD_FILE, `cannot read config file ${flags.conf}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return resolveJobConfig({ toml, env, argv });
}

/** Effective per-room pending bound: `room.maxPending`, or goim's queue size 2 × batch when 0. */
export function roomMaxPending(cfg: JobConfig): number {
  return cfg.room.maxPending > 0 ? cfg.room.maxPending : 2 * cfg.room.batch;
}

/** Effective idle reap time: goim uses 1 min when `room.idle` is 0. */
export function roomIdleMs(cfg: JobConfig): number {
  return cfg.room.idle > 0 ? cfg.room.idle : 60_000;
}

/** Splits `host:port`, `:port` or `grpc://host:port` into the gRPC target `host:port` (empty host → 127.0.0.1). */
export function grpcTarget(addr: string): string {
  const s = addr.trim().replace(/^grpc:\/\//, '');
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(s);
  if (!m) throw new ConfigError(ConfigErrorCode.INVALID, `bad gRPC address "${addr}" (want host:port or grpc://host:port)`);
  const host = m[1] ?? m[2];
  return `${m[1] !== undefined ? `[${host}]` : host || '127.0.0.1'}:${m[3]}`;
}

/** Splits an HTTP bind address (`":3129"`, `"127.0.0.1:0"`) into host + port. */
export function parseBind(bind: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*))?:(\d+)$/.exec(bind.trim());
  if (!m) throw new ConfigError(ConfigErrorCode.INVALID, `bad bind address "${bind}" (want host:port or :port)`);
  const host = m[1] ?? m[2];
  return { host: host ? host : undefined, port: Number(m[3]) };
}
