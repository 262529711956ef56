/**
 * Comet configuration: one zod schema owning every default (`.strict()`, every section
 * optional), filled from a TOML file (goim's key names, matched case-insensitively like
 * BurntSushi/toml), then environment variables, then goim-style single-dash flags.
 *
 * Durations accept Go duration strings (`"5s"`, `"200ms"`, `"4m"`) as goim's TOML does, or a
 * number of milliseconds. Parsing happens once in `main.ts`; the result is deep-frozen.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { DEFAULT_BUCKET_COUNT, DEFAULT_MAX_OUTBOUND_BYTES, DEFAULT_TIMER_RESOLUTION_MS } from '@goim/bucket';
import { registryConfigSchema } from '@goim/discovery-client';
import { ConfigError, ConfigErrorCode } from './errors.js';

/** goim's code default for `protocol.handshakeTimeout` (the example file uses 8 s). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
/** Idle timeout when logic returns heartbeat 0: goim's example 4 min × 2. */
export const DEFAULT_IDLE_TIMEOUT_MS = 8 * 60_000;
/** A socket that accepted no written bytes for this long is closed (goim had no write deadline, §10.4). */
export const DEFAULT_WRITE_TIMEOUT_MS = 10_000;
/** Online report to logic, as goim (10 s). */
export const DEFAULT_ONLINE_REPORT_MS = 10_000;
/** conn_count / ip_count refresh in the discovery registration, as goim (10 s). */
export const DEFAULT_METADATA_INTERVAL_MS = 10_000;
/** Graceful-shutdown window over which connections are closed in batches. */
export const DEFAULT_DRAIN_MS = 5_000;

const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Parses a Go `time.ParseDuration` string into milliseconds; undefined if malformed. */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * GO_DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === 0 ? undefined : Math.round(total);
}

/** A duration in ms: a non-negative number of ms, or a Go duration string. */
const duration = (def: number) =>
  z
    .union([
      z.number().nonnegative(),
      z.string().transform((s, ctx) => {
        const ms = parseGoDuration(s);
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: `not a duration: "${s}" (use e.g. "5s", "200ms")` });
          return z.NEVER;
        }
        return ms;
      }),
    ])
    .default(def);

const bindList = (def: string[]) => z.array(z.string()).default(def);

/** goim keys with no meaning here (buffer pools, ring sizes…): accepted so a goim TOML loads, ignored. */
const ignored = (...keys: string[]) => Object.fromEntries(keys.map((k) => [k, z.unknown().optional()]));

/** The comet configuration schema (TOML sections are goim's; new keys carry units in their names). */
export const cometConfigSchema = z
  .object({
    /** Identity, as goim's flags/env (`-region`, `-zone`, `-deploy.env`, `-host`, `-weight`, `-addrs`, `-offline`, `-debug`). */
    env: z
      .object({
        region: z.string().default(''),
        zone: z.string().default(''),
        deployEnv: z.string().default(''),
        /** Comet id stored by logic in Redis and used by job to route; '' = the machine's hostname. */
        host: z.string().default(''),
        weight: z.number().int().nonnegative().default(10),
        /** Public client-facing addresses (goim `-addrs`, comma-separated on the command line). */
        addrs: z.array(z.string()).default([]),
        offline: z.boolean().default(false),
        /** goim's debug logged every message (§10.16); here it only lowers the log level to debug. */
        debug: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** gRPC server `goim.comet.Comet`. */
    rpcServer: z
      .object({
        network: z.literal('tcp').default('tcp'),
        addr: z.string().default(':3109'),
        ...ignored('timeout', 'idleTimeout', 'maxLifeTime', 'forceCloseWait', 'keepAliveInterval', 'keepAliveTimeout'),
      })
      .strict()
      .prefault({}),
    /** The logic link (static address until discovery lands). */
    rpcClient: z
      .object({
        /** `host:port` of logic's gRPC server. */
        logicAddr: z.string().default('127.0.0.1:3119'),
        dial: duration(1_000),
        /** Deadline of every call (goim's `timeout` was dead config, §10.14). */
        timeout: duration(5_000),
      })
      .strict()
      .prefault({}),
    tcp: z
      .object({
        bind: bindList([':3101']),
        sndbuf: z.number().int().nonnegative().default(4096),
        rcvbuf: z.number().int().nonnegative().default(4096),
        keepalive: z.boolean().default(false),
        ...ignored('reader', 'readBuf', 'readBufSize', 'writer', 'writeBuf', 'writeBufSize'),
      })
      .strict()
      .prefault({}),
    websocket: z
      .object({
        bind: bindList([':3102']),
        tlsOpen: z.boolean().default(false),
        tlsBind: bindList([':3103']),
        /** Comma-separated list (goim) or array, parallel to `privateFile`. */
        certFile: z.union([z.string(), z.array(z.string())]).default([]),
        privateFile: z.union([z.string(), z.array(z.string())]).default([]),
        /** Largest accepted WebSocket message in bytes (goim's read buffer was 8192). */
        maxPayloadBytes: z.number().int().min(16).default(8192),
      })
      .strict()
      .prefault({}),
    protocol: z
      .object({
        handshakeTimeout: duration(DEFAULT_HANDSHAKE_TIMEOUT_MS),
        /** Idle timeout used when logic's ConnectReply carries heartbeat 0. */
        defaultIdleTimeout: duration(DEFAULT_IDLE_TIMEOUT_MS),
        maxOutboundBytes: z.number().int().positive().default(DEFAULT_MAX_OUTBOUND_BYTES),
        writeTimeout: duration(DEFAULT_WRITE_TIMEOUT_MS),
        /** Resolution of the shared timer wheel (handshake/idle/write deadlines). */
        timerResolution: duration(DEFAULT_TIMER_RESOLUTION_MS),
        /** Frames a client may send while its auth is being checked before it is closed. */
        maxPendingFrames: z.number().int().positive().default(64),
        ...ignored('timer', 'timerSize', 'svrProto', 'cliProto'),
      })
      .strict()
      .prefault({}),
    bucket: z
      .object({
        size: z.number().int().positive().default(DEFAULT_BUCKET_COUNT),
        /** Recent push msgIDs remembered for duplicate suppression (0 = off). */
        dedupeSize: z.number().int().nonnegative().default(4096),
        ...ignored('channel', 'room', 'routineAmount', 'routineSize'),
      })
      .strict()
      .prefault({}),
    online: z
      .object({
        /** RenewOnline period (goim: 10 s); retry after `retry` on error. */
        interval: duration(DEFAULT_ONLINE_REPORT_MS),
        retry: duration(1_000),
      })
      .strict()
      .prefault({}),
    /**
     * Discovery. goim's `nodes` is accepted (a goim TOML loads) and unused. goim-ts: with a
     * `registry` (`{type = "etcd"|"redis"|"static", …}`, same keys as apps/logic, see
     * @goim/discovery-client) the comet registers as `goim.comet` and follows `goim.logic`
     * instances instead of the static `rpcClient.logicAddr`.
     */
    discovery: z
      .object({
        nodes: z.array(z.string()).default([]),
        registry: registryConfigSchema.optional(),
        /** How often `conn_count`/`ip_count` are written into the registration (goim: 10 s). */
        metadataInterval: duration(DEFAULT_METADATA_INTERVAL_MS),
      })
      .loose()
      .prefault({}),
    /** goim's whitelist section: accepted (a goim TOML loads), not used. */
    whitelist: z.object({}).loose().optional(),
    /** HTTP admin: /metrics, /healthz, /readyz ('' = disabled). */
    admin: z
      .object({ addr: z.string().default(':3105') })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        /** Window over which live connections are closed in batches on SIGTERM/SIGINT. */
        drain: duration(DEFAULT_DRAIN_MS),
        /** Connections closed per batch. */
        batchSize: z.number().int().positive().default(500),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** A resolved comet configuration (frozen). */
export type CometConfig = z.output<typeof cometConfigSchema>;
/** What a TOML file / caller may give (every section and key optional). */
export type CometConfigInput = z.input<typeof cometConfigSchema>;

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Renames keys to the schema's spelling, case-insensitively (BurntSushi/toml matches this way). */
function normaliseKeys(input: unknown, shape: Record<string, z.ZodType> | undefined): unknown {
  if (!shape || !input || typeof input !== 'object' || Array.isArray(input)) return input;
  const byLower = new Map(Object.keys(shape).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const name = byLower.get(k.toLowerCase()) ?? k;
    out[name] = normaliseKeys(v, objectShape(shape[name]));
  }
  return out;
}

function objectShape(t: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  let cur: unknown = t;
  // unwrap default/prefault/optional wrappers down to the object
  for (let i = 0; i < 5 && cur; i++) {
    const def = (cur as { def?: { type?: string; innerType?: unknown; shape?: Record<string, z.ZodType> } }).def;
    if (!def) return undefined;
    if (def.type === 'object') return def.shape;
    cur = def.innerType;
  }
  return undefined;
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
const csv = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** goim's identity environment variables (REGION, ZONE, DEPLOY_ENV, ADDRS, WEIGHT, OFFLINE, DEBUG). */
function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (env.REGION !== undefined) e.region = env.REGION;
  if (env.ZONE !== undefined) e.zone = env.ZONE;
  if (env.DEPLOY_ENV !== undefined) e.deployEnv = env.DEPLOY_ENV;
  if (env.ADDRS !== undefined) e.addrs = csv(env.ADDRS);
  if (env.WEIGHT !== undefined) e.weight = toInt('WEIGHT', env.WEIGHT);
  if (env.OFFLINE !== undefined) e.offline = BOOL.test(env.OFFLINE);
  if (env.DEBUG !== undefined) e.debug = BOOL.test(env.DEBUG);
  return Object.keys(e).length ? { env: e } : {};
}

function toInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(ConfigErrorCode.INVALID, `${name} must be an integer, got "${v}"`);
  return n;
}

/** Result of parsing goim-style command-line flags. */
export interface CometFlags {
  /** `-conf`: the TOML file. */
  conf?: string;
  /** Identity overrides. */
  env: Record<string, unknown>;
}

const FLAG_NAMES = new Set(['conf', 'region', 'zone', 'deploy.env', 'host', 'weight', 'addrs', 'offline', 'debug', 'logic']);
const BOOL_FLAGS = new Set(['offline', 'debug']);

/**
 * Parses goim's single-dash flags (`-region sh`, `-zone=sh001`, `-offline`, `-deploy.env dev`);
 * double dashes are accepted too. `-logic host:port` (goim-ts) sets the logic address.
 */
export function parseCometFlags(argv: readonly string[]): CometFlags & { logic?: string } {
  const out: CometFlags & { logic?: string } = { env: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z.]+)(?:=(.*))?$/.exec(arg);
    if (!m || !FLAG_NAMES.has(m[1]!)) throw new ConfigError(ConfigErrorCode.BAD_FLAG, `unknown flag "${arg}"`);
    const name = m[1]!;
    let value = m[2];
    if (value === undefined) {
      if (BOOL_FLAGS.has(name) && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-'))) value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) throw new ConfigError(ConfigErrorCode.BAD_FLAG, `flag "-${name}" needs a value`);
      }
    }
    switch (name) {
      case 'conf':
        out.conf = value;
        break;
      case 'logic':
        out.logic = value;
        break;
      case 'deploy.env':
        out.env.deployEnv = value;
        break;
      case 'addrs':
        out.env.addrs = csv(value);
        break;
      case 'weight':
        out.env.weight = toInt('-weight', value);
        break;
      case 'offline':
      case 'debug':
        out.env[name] = BOOL.test(value);
        break;
      default:
        out.env[name] = value;
    }
  }
  return out;
}

/** Sources for {@link resolveCometConfig}; later sources win: toml < env < flags. */
export interface CometConfigSources {
  /** TOML text (goim key names). */
  toml?: string;
  /** An already-parsed object (e.g. from apps/standalone), merged over the TOML. */
  object?: CometConfigInput | Record<string, unknown>;
  env?: Record<string, string | undefined>;
  argv?: readonly string[];
  /** Fallback for `env.host` when empty; default `os.hostname()`. */
  hostname?: string;
}

/**
 * Builds the frozen comet config from its sources. Throws {@link ConfigError}
 * (`GOIM_ERR_CONFIG_INVALID`) naming every bad key.
 */
export function resolveCometConfig(sources: CometConfigSources = {}): CometConfig {
  const shape = objectShape(cometConfigSchema);
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
  if (sources.argv) {
    const flags = parseCometFlags(sources.argv);
    raw = merge(raw, { env: flags.env });
    if (flags.logic) raw = merge(raw, { rpcClient: { logicAddr: flags.logic } });
  }
  const parsed = cometConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(ConfigErrorCode.INVALID, `invalid comet config: ${detail}`, { cause: parsed.error });
  }
  const cfg = parsed.data;
  if (!cfg.env.host) cfg.env.host = sources.hostname ?? hostname();
  if (cfg.discovery.registry && !cfg.rpcServer.addr) {
    // Job reaches a discovered comet through the gRPC address it registers.
    throw new ConfigError(ConfigErrorCode.INVALID, 'discovery.registry needs rpcServer.addr (job calls the comet over gRPC)');
  }
  const certs = listOf(cfg.websocket.certFile);
  const keys = listOf(cfg.websocket.privateFile);
  if (cfg.websocket.tlsOpen && (certs.length === 0 || certs.length !== keys.length)) {
    throw new ConfigError(
      ConfigErrorCode.INVALID,
      'websocket.tlsOpen needs `certFile` and `privateFile` lists of the same, non-zero length',
    );
  }
  cfg.websocket.certFile = certs;
  cfg.websocket.privateFile = keys;
  return deepFreeze(cfg);
}

function listOf(v: string | string[]): string[] {
  return Array.isArray(v) ? v : csv(v);
}

/**
 * Reads `-conf` (if given) and resolves env + flags: what `main.ts` calls with
 * `process.argv.slice(2)` and `process.env`.
 */
export function loadCometConfig(argv: readonly string[], env: Record<string, string | undefined>): CometConfig {
  const flags = parseCometFlags(argv);
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
  return resolveCometConfig({ toml, env, argv });
}

/** Splits a goim bind address (`":3101"`, `"0.0.0.0:3101"`, `"[::1]:0"`) into host + port. */
export function parseBind(bind: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*))?:(\d+)$/.exec(bind.trim());
  if (!m) throw new ConfigError(ConfigErrorCode.INVALID, `bad bind address "${bind}" (want host:port or :port)`);
  const host = m[1] ?? m[2];
  return { host: host ? host : undefined, port: Number(m[3]) };
}
