/**
 * Comet configuration: one zod schema owning every default (`.strict()`, every section
 * optional), filled from a TOML file (goim's key names, matched case-insensitively like
 * BurntSushi/toml), then environment variables, then goim-style single-dash flags.
 *
 * Durations accept Go duration strings (`"5s"`, `"200ms"`, `"4m"`) as goim's TOML does, or a
 * number of milliseconds. Parsing happens once in `main.ts`; the result is deep-frozen.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import {
  ConfigError,
  ConfigErrorCode,
  deepFreeze,
  goDuration,
  type ConfigSources,
  isTrue,
  layerConfigSources,
  parseConfig,
  parseGoimFlags,
  parseIntValue,
  readConfigFile,
  splitList,
} from '@goim/app-kit';
import { DEFAULT_BUCKET_COUNT, DEFAULT_MAX_OUTBOUND_BYTES, DEFAULT_TIMER_RESOLUTION_MS } from '@goim/bucket';
import { registryConfigSchema } from '@goim/discovery-client';

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

/** Parses a Go `time.ParseDuration` string into whole milliseconds; undefined if malformed. */
export { parseGoDurationMs as parseGoDuration, parseBind } from '@goim/app-kit';

/** A duration in ms: a non-negative number of ms, or a Go duration string. */
const duration = (def: number) => goDuration(def, { examples: '"5s", "200ms"' });

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

/** goim's identity environment variables (REGION, ZONE, DEPLOY_ENV, ADDRS, WEIGHT, OFFLINE, DEBUG). */
function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (env.REGION !== undefined) e.region = env.REGION;
  if (env.ZONE !== undefined) e.zone = env.ZONE;
  if (env.DEPLOY_ENV !== undefined) e.deployEnv = env.DEPLOY_ENV;
  if (env.ADDRS !== undefined) e.addrs = splitList(env.ADDRS);
  if (env.WEIGHT !== undefined) e.weight = parseIntValue('WEIGHT', env.WEIGHT);
  if (env.OFFLINE !== undefined) e.offline = isTrue(env.OFFLINE);
  if (env.DEBUG !== undefined) e.debug = isTrue(env.DEBUG);
  return Object.keys(e).length ? { env: e } : {};
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
  for (const [name, value] of parseGoimFlags(argv, { names: FLAG_NAMES, booleans: BOOL_FLAGS })) {
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
        out.env.addrs = splitList(value);
        break;
      case 'weight':
        out.env.weight = parseIntValue('-weight', value);
        break;
      case 'offline':
      case 'debug':
        out.env[name] = isTrue(value);
        break;
      default:
        out.env[name] = value;
    }
  }
  return out;
}

/** Sources for {@link resolveCometConfig}; later sources win: toml < object < env < flags. */
export interface CometConfigSources extends ConfigSources<CometConfigInput> {
  /** Fallback for `env.host` when empty; default `os.hostname()`. */
  hostname?: string;
}

/** The flags as a partial config (`-logic` sets `rpcClient.logicAddr`). */
function fromArgv(argv: readonly string[]): Record<string, unknown> {
  const flags = parseCometFlags(argv);
  return { env: flags.env, ...(flags.logic ? { rpcClient: { logicAddr: flags.logic } } : {}) };
}

/**
 * Builds the frozen comet config from its sources. Throws {@link ConfigError}
 * (`GOIM_ERR_CONFIG_INVALID`) naming every bad key.
 */
export function resolveCometConfig(sources: CometConfigSources = {}): CometConfig {
  const raw = layerConfigSources(cometConfigSchema, sources, { fromEnv, fromArgv });
  const cfg = parseConfig(cometConfigSchema, raw, 'comet');
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
  return Array.isArray(v) ? v : splitList(v);
}

/**
 * Reads `-conf` (if given) and resolves env + flags: what `main.ts` calls with
 * `process.argv.slice(2)` and `process.env`.
 */
export function loadCometConfig(argv: readonly string[], env: Record<string, string | undefined>): CometConfig {
  const flags = parseCometFlags(argv);
  const toml = flags.conf ? readConfigFile(flags.conf) : undefined;
  return resolveCometConfig({ toml, env, argv });
}
