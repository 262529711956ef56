/**
 * Job configuration: one zod schema owning every default (`.strict()`, every section
 * optional), filled from a TOML file with goim's key names (matched case-insensitively, as
 * BurntSushi/toml does), then environment variables, then goim-style single-dash flags.
 *
 * Durations accept Go duration strings (`"1s"`, `"15m"`) as goim's TOML does, or a number of
 * milliseconds. `main.ts` parses once at startup; the result is deep-frozen.
 */
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
  readConfigFile,
} from '@goim/app-kit';
import { registryConfigSchema } from '@goim/discovery-client';

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

/** Parses a Go `time.ParseDuration` string into whole milliseconds; undefined if malformed. */
export { parseGoDurationMs as parseDurationMs, parseBind } from '@goim/app-kit';

/** A duration in ms: a non-negative number of ms, or a Go duration string. */
const duration = (def: number) => goDuration(def, { examples: '"1s", "200ms"' });

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
        /**
         * goim-ts: messages of one queue partition/shard handed to the job before earlier ones
         * were acknowledged (the queue's pipelined mode), so a room batch can fill while its
         * messages wait for the comets. 0 = the room pending bound (`room.maxPending`, default
         * 2 × `room.batch` = 40). 1 = strict one-at-a-time.
         */
        maxInFlightPerKey: z.number().int().nonnegative().max(10_000).default(0),
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
         * Kept on by default: the queue's pipelined window of a partition holds several rooms'
         * messages, and a batch that cannot fill inside it would otherwise wait the whole
         * `signal` window with the partition stalled (measured in the README).
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

/** goim's identity environment variables (REGION, ZONE, DEPLOY_ENV, DEBUG). */
function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (env.REGION !== undefined) e.region = env.REGION;
  if (env.ZONE !== undefined) e.zone = env.ZONE;
  if (env.DEPLOY_ENV !== undefined) e.deployEnv = env.DEPLOY_ENV;
  if (env.DEBUG !== undefined) e.debug = isTrue(env.DEBUG);
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
  for (const [name, value] of parseGoimFlags(argv, { names: FLAG_NAMES, booleans: ['debug'] })) {
    if (name === 'conf') out.conf = value;
    else if (name === 'deploy.env') out.env.deployEnv = value;
    else if (name === 'debug') out.env.debug = isTrue(value);
    else out.env[name] = value;
  }
  return out;
}

/** Sources for {@link resolveJobConfig}; later sources win: toml < object < env < flags. */
export type JobConfigSources = ConfigSources<JobConfigInput>;

/**
 * Builds the frozen job config. Throws {@link ConfigError} (`GOIM_ERR_CONFIG_INVALID`) naming
 * every bad key.
 */
export function resolveJobConfig(sources: JobConfigSources = {}): JobConfig {
  const raw = layerConfigSources(jobConfigSchema, sources, { fromEnv, fromArgv: (argv) => ({ env: parseJobFlags(argv).env }) });
  return parseJobConfig(raw);
}

/** Validates an object against {@link jobConfigSchema}; throws {@link ConfigError}. */
export function parseJobConfig(input: unknown): JobConfig {
  return deepFreeze(parseConfig(jobConfigSchema, input ?? {}, 'job'));
}

/** Reads `-conf` (if given) and resolves env + flags: what `main.ts` calls. */
export function loadJobConfig(argv: readonly string[], env: Record<string, string | undefined>): JobConfig {
  const flags = parseJobFlags(argv);
  const toml = flags.conf ? readConfigFile(flags.conf) : undefined;
  return resolveJobConfig({ toml, env, argv });
}

/** Effective per-room pending bound: `room.maxPending`, or goim's queue size 2 × batch when 0. */
export function roomMaxPending(cfg: JobConfig): number {
  return cfg.room.maxPending > 0 ? cfg.room.maxPending : 2 * cfg.room.batch;
}

/**
 * Effective pipelined window of the queue consumer: `queue.maxInFlightPerKey`, or when 0 the
 * room pending bound (2 × batch): one batch of a room can be in flight while the next fills.
 */
export function queueMaxInFlight(cfg: JobConfig): number {
  return cfg.queue.maxInFlightPerKey > 0 ? cfg.queue.maxInFlightPerKey : roomMaxPending(cfg);
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
