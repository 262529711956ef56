/**
 * Logic configuration: one zod schema owning every default (`.strict()`, every section
 * optional), filled from a TOML file (goim's key names of spec §6.2, matched
 * case-insensitively like BurntSushi/toml), then environment variables, then goim-style
 * single-dash flags.
 *
 * Durations accept Go duration strings (`"4m"`, `"200ms"`) as goim's TOML does, or a number
 * of milliseconds; after parsing every duration is a number of milliseconds.
 * goim had no code defaults for `[node]`, `[redis]`, `[kafka]` and panicked without them
 * (§10.15); here every section has a safe default (goim's example values, addresses with
 * their colon).
 */
import { hostname } from 'node:os';
import {
  ConfigError,
  ConfigErrorCode,
  deepFreeze,
  goDuration,
  type ConfigSources,
  layerConfigSources,
  parseConfig,
  parseGoimFlags,
  parseIntValue,
  readConfigFile,
  splitList,
} from '@goim/app-kit';
import { registryConfigSchema } from '@goim/discovery-client';
import { z } from 'zod';

/** Logic reloads online counts every 10 s (goim constant). */
export const DEFAULT_ONLINE_REFRESH_MS = 10_000;
/** A comet whose newest `ol_` report is older than this is dropped (goim: 5 min). */
export const DEFAULT_ONLINE_STALE_MS = 5 * 60_000;
/** Largest accepted push body by default. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Parses a Go `time.ParseDuration` string into milliseconds (exact, not rounded); undefined if malformed. */
export { parseGoDuration } from '@goim/app-kit';

/** A duration in ms: a non-negative number of ms, or a Go duration string (a negative number gets the same message). */
const duration = (def: number) =>
  goDuration(def, { examples: '"4m", "200ms", or milliseconds ≥ 0', round: false, negative: 'message' });

/** A comet instance in goim's discovery shape; only `hostname` is required in a static list. */
const instanceSchema = z
  .object({
    region: z.string().default(''),
    zone: z.string().default(''),
    env: z.string().default(''),
    appid: z.string().default('goim.comet'),
    hostname: z.string().min(1),
    addrs: z.array(z.string()).default([]),
    version: z.string().default(''),
    latest_timestamp: z.number().int().nonnegative().default(0),
    metadata: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const jwtAlgorithms = z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256']);

/** The logic configuration schema (TOML sections are goim's; new keys carry units in their names). */
export const logicConfigSchema = z
  .object({
    /** Identity, as goim's flags/env (`-region`, `-zone`, `-deploy.env`, `-host`, `-weight`). */
    env: z
      .object({
        region: z.string().default(''),
        zone: z.string().default(''),
        /** `dev`/`development`/`test` count as development (goim-json auth warns elsewhere). */
        deployEnv: z.string().default('dev'),
        /** Logic id in discovery; '' = the machine's hostname. */
        host: z.string().default(''),
        weight: z.number().int().nonnegative().default(10),
      })
      .strict()
      .prefault({}),
    /**
     * goim's `discovery.nodes` (kept so goim files load). `comets` (goim-ts) is a static comet
     * list, used when no `registry` is configured.
     */
    discovery: z
      .object({
        nodes: z.array(z.string()).default([]),
        comets: z.array(instanceSchema).default([]),
        /**
         * goim-ts: a discovery registry (`{type = "etcd"|"redis"|"static", …}`, see
         * @goim/discovery-client). When set, comets come from its `goim.comet` watch and logic
         * registers itself as `goim.logic`.
         */
        registry: registryConfigSchema.optional(),
      })
      .strict()
      .prefault({}),
    /** goim's province → region table. goim never matched it (location() is a stub, §10.22); kept for file compatibility. */
    regions: z.record(z.string(), z.array(z.string())).default({}),
    node: z
      .object({
        defaultDomain: z.string().default('conn.goim.io'),
        hostDomain: z.string().default('.goim.io'),
        /** Comet server heartbeat; clients are cut after heartbeat × heartbeatMax without a heartbeat. */
        heartbeat: duration(4 * 60_000),
        heartbeatMax: z.number().int().positive().default(2),
        tcpPort: z.number().int().min(0).max(65535).default(3101),
        wsPort: z.number().int().min(0).max(65535).default(3102),
        wssPort: z.number().int().min(0).max(65535).default(3103),
        regionWeight: z.number().positive().default(1.6),
      })
      .strict()
      .prefault({}),
    /** Client reconnect backoff handed out in nodes/weighted (goim's code default jitter 1.3 was a typo; 0.3 as its example). */
    backoff: z
      .object({
        maxDelay: z.number().int().nonnegative().default(300),
        baseDelay: z.number().int().nonnegative().default(3),
        factor: z.number().nonnegative().default(1.8),
        jitter: z.number().nonnegative().default(0.3),
      })
      .strict()
      .prefault({}),
    /** gRPC server `goim.logic.Logic`; the keepalive keys map to grpc-js server options (goim's defaults). */
    rpcServer: z
      .object({
        network: z.literal('tcp').default('tcp'),
        addr: z.string().default(':3119'),
        timeout: duration(1_000),
        idleTimeout: duration(60_000),
        maxLifeTime: duration(2 * 3600_000),
        forceCloseWait: duration(20_000),
        keepAliveInterval: duration(60_000),
        keepAliveTimeout: duration(20_000),
      })
      .strict()
      .prefault({}),
    /** Accepted for goim files; logic makes no gRPC calls. */
    rpcClient: z
      .object({ dial: duration(1_000), timeout: duration(1_000) })
      .strict()
      .prefault({}),
    httpServer: z
      .object({
        network: z.literal('tcp').default('tcp'),
        addr: z.string().default(':3111'),
        /** Time to receive a whole request (goim never applied it, §10.17). */
        readTimeout: duration(5_000),
        /** Accepted for goim files; responses are small. */
        writeTimeout: duration(5_000),
      })
      .strict()
      .prefault({}),
    /** Push queue. Empty `brokers` = the in-process memory queue (one process only). */
    kafka: z
      .object({
        topic: z.string().min(1).default('goim-push-topic'),
        brokers: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * goim-ts: which push-queue engine main.ts builds (same keys as apps/job). Unset = `kafka`
     * when `kafka.brokers` is set, else `memory` (one process only).
     */
    queue: z
      .object({
        type: z.enum(['kafka', 'redis-streams', 'memory']).optional(),
        /** Redis URL for `redis-streams` (streams are named after `kafka.topic`). */
        redisUrl: z.string().default(''),
      })
      .strict()
      .prefault({}),
    /** Session store (goim's Redis schema). Empty `addr` and `clusterNodes` = the in-process memory store (one process only). */
    redis: z
      .object({
        network: z.literal('tcp').default('tcp'),
        addr: z.string().default(''),
        /** goim-ts: Redis Cluster seed nodes (`host:port`); used instead of `addr` when non-empty. */
        clusterNodes: z.array(z.string()).default([]),
        auth: z.string().default(''),
        active: z.number().int().nonnegative().default(60000),
        idle: z.number().int().nonnegative().default(1024),
        dialTimeout: duration(200),
        readTimeout: duration(500),
        writeTimeout: duration(500),
        idleTimeout: duration(120_000),
        /** TTL of `mid_`, `key_`, `ol_` keys. */
        expire: duration(30 * 60_000),
      })
      .strict()
      .prefault({}),
    /** How Connect authenticates the op-7 token. */
    auth: z
      .object({
        /** `goim-json` trusts the client (goim behaviour, development only); `jwt`; `webhook`. */
        type: z.enum(['goim-json', 'jwt', 'webhook']).default('goim-json'),
        jwt: z
          .object({
            /** HMAC secret (HS*). */
            secret: z.string().default(''),
            /** PEM public key (SPKI) for the RS, ES and PS algorithms; or `publicKeyFile`. */
            publicKey: z.string().default(''),
            publicKeyFile: z.string().default(''),
            /** Allowed algorithms; [] = HS256 with a secret, RS256+ES256 with a public key. */
            algorithms: z.array(jwtAlgorithms).default([]),
            issuer: z.string().default(''),
            audience: z.string().default(''),
            /** Allowed clock skew when checking exp/nbf, in seconds. */
            clockToleranceSec: z.number().nonnegative().default(0),
            /** Claim names mapped to the session fields (`sub` is used for mid when the mid claim is absent). */
            claims: z
              .object({
                mid: z.string().default('mid'),
                key: z.string().default('key'),
                roomID: z.string().default('room_id'),
                accepts: z.string().default('accepts'),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        webhook: z
          .object({
            /** The backend URL Connect POSTs `{"token","server","cookie"}` to. */
            url: z.string().default(''),
            timeout: duration(2_000),
            /** Extra request headers (e.g. a shared secret). */
            headers: z.record(z.string(), z.string()).default({}),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The HTTP push API. */
    push: z
      .object({
        /** If non-empty, `/goim/push/*` requires `Authorization: Bearer <one of these>`. */
        bearerTokens: z.array(z.string().min(1)).default([]),
        /** Largest accepted push body in bytes (goim: unlimited). */
        maxBodyBytes: z.number().int().positive().default(DEFAULT_MAX_BODY_BYTES),
      })
      .strict()
      .prefault({}),
    /** Where upstream client messages (gRPC Receive) go; goim only logged them. */
    receive: z
      .object({
        /** `log` (debug level + a counter), `webhook` (POST), `queue` (a topic of the push queue's engine). */
        sink: z.enum(['log', 'webhook', 'queue']).default('log'),
        webhook: z
          .object({ url: z.string().default(''), timeout: duration(2_000), headers: z.record(z.string(), z.string()).default({}) })
          .strict()
          .prefault({}),
        queue: z
          .object({ topic: z.string().min(1).default('goim-receive-topic') })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** goim-ts: the admin API (`/goim/admin/*`, used by apps/admin). */
    admin: z
      .object({
        /** `Authorization: Bearer <token>` for the admin API; '' = admin API disabled (404). */
        token: z.string().default(''),
        /** Prometheus `/metrics` URLs of comets/jobs whose counters the admin metrics snapshot sums. */
        metricsUrls: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    /** goim-ts: online aggregation timing (goim's constants by default, §3.5). */
    online: z
      .object({
        /** How often `ol_` of every known comet is re-read. */
        refresh: duration(DEFAULT_ONLINE_REFRESH_MS),
        /** A comet whose newest report is older than this is dropped (its `ol_` key deleted). */
        stale: duration(DEFAULT_ONLINE_STALE_MS),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.discovery.registry && c.discovery.comets.length) {
      ctx.addIssue({ code: 'custom', path: ['discovery', 'comets'], message: 'give either `discovery.comets` or `discovery.registry`, not both' });
    }
    if (c.auth.type === 'jwt' && !c.auth.jwt.secret && !c.auth.jwt.publicKey && !c.auth.jwt.publicKeyFile) {
      ctx.addIssue({ code: 'custom', path: ['auth', 'jwt'], message: 'auth.type "jwt" needs `secret`, `publicKey` or `publicKeyFile`' });
    }
    if (c.auth.type === 'webhook' && !isHttpUrl(c.auth.webhook.url)) {
      ctx.addIssue({ code: 'custom', path: ['auth', 'webhook', 'url'], message: 'auth.type "webhook" needs an http(s) `url`' });
    }
    if (c.queue.type === 'kafka' && c.kafka.brokers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['kafka', 'brokers'], message: 'queue.type "kafka" needs kafka.brokers (e.g. ["127.0.0.1:9092"])' });
    }
    if (c.queue.type === 'redis-streams' && !/^rediss?:\/\/.+/.test(c.queue.redisUrl)) {
      ctx.addIssue({ code: 'custom', path: ['queue', 'redisUrl'], message: 'queue.type "redis-streams" needs queue.redisUrl (e.g. "redis://127.0.0.1:6379")' });
    }
    if (c.receive.sink === 'webhook' && !isHttpUrl(c.receive.webhook.url)) {
      ctx.addIssue({ code: 'custom', path: ['receive', 'webhook', 'url'], message: 'receive.sink "webhook" needs an http(s) `url`' });
    }
  });

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A resolved logic configuration (frozen). Durations are in milliseconds. */
export type LogicConfig = z.output<typeof logicConfigSchema>;
/** What a TOML file / caller may give (every section and key optional). */
export type LogicConfigInput = z.input<typeof logicConfigSchema>;
/** A comet instance as configured (goim discovery shape). */
export type ConfiguredInstance = z.output<typeof instanceSchema>;

/**
 * Environment variables: goim's identity ones (REGION, ZONE, DEPLOY_ENV, WEIGHT) and
 * goim-ts deployment ones (GOIM_LOGIC_HTTP_ADDR, GOIM_LOGIC_RPC_ADDR, GOIM_REDIS_ADDR,
 * GOIM_KAFKA_BROKERS comma-separated, GOIM_PUSH_BEARER_TOKENS comma-separated, GOIM_ADMIN_TOKEN, LOG_LEVEL).
 */
function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>> = {};
  const set = (section: string, key: string, value: unknown) => {
    (out[section] ??= {})[key] = value;
  };
  if (env.REGION !== undefined) set('env', 'region', env.REGION);
  if (env.ZONE !== undefined) set('env', 'zone', env.ZONE);
  if (env.DEPLOY_ENV !== undefined) set('env', 'deployEnv', env.DEPLOY_ENV);
  if (env.WEIGHT !== undefined) set('env', 'weight', parseIntValue('WEIGHT', env.WEIGHT));
  if (env.GOIM_LOGIC_HTTP_ADDR) set('httpServer', 'addr', env.GOIM_LOGIC_HTTP_ADDR);
  if (env.GOIM_LOGIC_RPC_ADDR) set('rpcServer', 'addr', env.GOIM_LOGIC_RPC_ADDR);
  if (env.GOIM_REDIS_ADDR !== undefined) set('redis', 'addr', env.GOIM_REDIS_ADDR);
  if (env.GOIM_KAFKA_BROKERS !== undefined) set('kafka', 'brokers', splitList(env.GOIM_KAFKA_BROKERS));
  if (env.GOIM_PUSH_BEARER_TOKENS !== undefined) set('push', 'bearerTokens', splitList(env.GOIM_PUSH_BEARER_TOKENS));
  if (env.GOIM_ADMIN_TOKEN !== undefined) set('admin', 'token', env.GOIM_ADMIN_TOKEN);
  if (env.LOG_LEVEL) set('log', 'level', env.LOG_LEVEL);
  return out;
}

/** Result of parsing goim-style command-line flags. */
export interface LogicFlags {
  /** `-conf`: the TOML file. */
  conf?: string;
  /** Identity overrides (`env` section). */
  env: Record<string, unknown>;
}

const FLAG_NAMES = new Set(['conf', 'region', 'zone', 'deploy.env', 'host', 'weight']);

/** Parses goim's single-dash flags (`-region sh`, `-zone=sh001`, `-deploy.env dev`); double dashes work too. */
export function parseLogicFlags(argv: readonly string[]): LogicFlags {
  const out: LogicFlags = { env: {} };
  for (const [name, value] of parseGoimFlags(argv, { names: FLAG_NAMES })) {
    if (name === 'conf') out.conf = value;
    else if (name === 'deploy.env') out.env.deployEnv = value;
    else if (name === 'weight') out.env.weight = parseIntValue('-weight', value);
    else out.env[name] = value;
  }
  return out;
}

/** Sources for {@link resolveLogicConfig}; later sources win: toml < object < env < flags. */
export interface LogicConfigSources extends ConfigSources<LogicConfigInput> {
  /** Fallback for `env.host` when empty; default `os.hostname()`. */
  hostname?: string;
}

/**
 * Builds the frozen logic config from its sources. Throws {@link ConfigError}
 * (`GOIM_ERR_CONFIG_INVALID`) naming every bad key.
 */
export function resolveLogicConfig(sources: LogicConfigSources = {}): LogicConfig {
  const raw = layerConfigSources(logicConfigSchema, sources, { fromEnv, fromArgv: (argv) => ({ env: parseLogicFlags(argv).env }) });
  const cfg = parseConfig(logicConfigSchema, raw, 'logic');
  if (!cfg.env.host) cfg.env.host = sources.hostname ?? hostname();
  return deepFreeze(cfg);
}

/**
 * Reads `-conf` (if given) and resolves env + flags: what `main.ts` calls with
 * `process.argv.slice(2)` and `process.env`.
 */
export function loadLogicConfig(argv: readonly string[], env: Record<string, string | undefined>): LogicConfig {
  const flags = parseLogicFlags(argv);
  const toml = flags.conf ? readConfigFile(flags.conf) : undefined;
  return resolveLogicConfig({ toml, env, argv });
}

/** Splits a goim listen address (`":3111"`, `"0.0.0.0:3111"`, `"[::1]:0"`) into host + port. */
export function parseListenAddr(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*))?:(\d+)$/.exec(addr.trim());
  if (!m) throw new ConfigError(ConfigErrorCode.INVALID, `bad listen address "${addr}" (want host:port or :port)`);
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(ConfigErrorCode.INVALID, `bad port in listen address "${addr}"`);
  return { host: host ? host : undefined, port };
}

/** True for deploy environments where the trusting goim-json authenticator is expected. */
export function isDevelopmentEnv(deployEnv: string): boolean {
  return ['', 'dev', 'development', 'test', 'local'].includes(deployEnv.toLowerCase());
}
