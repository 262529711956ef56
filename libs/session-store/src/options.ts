/**
 * Defaults and option schemas of @goim/session-store. Apps compose the exported zod schemas
 * into their own config; the constructors parse with the same schemas.
 */
import { z } from 'zod';

/** TTL of `mid_`, `key_` and `ol_` keys, seconds: goim's example `redis.expire = "30m"` (spec §3.4). */
export const DEFAULT_SESSION_TTL_SEC = 1800;

/** Number of `ol_<server>` hash fields; a room lives in field `CityHash32(room) % 64` (goim layout). */
export const OL_SHARDS = 64;

/** Per-command deadline of the Redis adapter when it creates the client, ms (goim: 500 ms r/w timeouts). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;

/** Connect deadline of the Redis adapter when it creates the client, ms. */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 2000;

/**
 * How often ioredis re-sends a command across reconnects before rejecting it. Small, so a
 * Redis outage turns into prompt errors instead of a growing queue of waiting callers.
 */
export const DEFAULT_REDIS_MAX_RETRIES_PER_REQUEST = 2;

/** A pino-compatible logger (a pino instance fits). Libraries are silent without one. */
export interface SessionStoreLogger {
  trace(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  fatal(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): SessionStoreLogger;
}

/** `sessionTtlSec`: seconds, integer ≥ 1, default {@link DEFAULT_SESSION_TTL_SEC}. */
export const sessionTtlSecSchema = z.number().int().min(1).max(2_147_483_647).default(DEFAULT_SESSION_TTL_SEC);

/** Data options of {@link MemorySessionStore} (besides the injected `now` and `logger`). */
export const memorySessionStoreOptionsSchema = z
  .object({
    /** TTL of every mapping and online report, seconds (default 1800). */
    sessionTtlSec: sessionTtlSecSchema,
  })
  .strict();

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected "host:port"');

/**
 * Data options of {@link RedisSessionStore} when it creates its own ioredis client: exactly
 * one of `url` (a single Redis) or `clusterNodes` (Redis Cluster seed nodes).
 */
export const redisSessionStoreOptionsSchema = z
  .object({
    /** `redis://[[user]:password@]host:port[/db]` or `rediss://…` of a single Redis. */
    url: z
      .string()
      .regex(/^rediss?:\/\/.+/, 'expected redis://host:port or rediss://host:port')
      .optional(),
    /** Redis Cluster seed nodes, `host:port`, as an array or one comma-separated string. */
    clusterNodes: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s !== ''))
      .pipe(z.array(hostPort).min(1, 'expected at least one host:port'))
      .optional(),
    /** Redis password (AUTH), for every cluster node too; with `url` it may sit in the URL instead. */
    password: z.string().optional(),
    /** TTL of every mapping and online report, seconds (default 1800). */
    sessionTtlSec: sessionTtlSecSchema,
    /** Deadline of one Redis command, ms (default 1000); 0 = none. */
    commandTimeoutMs: z.number().int().min(0).default(DEFAULT_REDIS_COMMAND_TIMEOUT_MS),
    /** Deadline of one connection attempt, ms (default 2000). */
    connectTimeoutMs: z.number().int().min(1).default(DEFAULT_REDIS_CONNECT_TIMEOUT_MS),
    /** Re-sends of one command across reconnects before it rejects (default 2); 0 = fail at once. */
    maxRetriesPerRequest: z.number().int().min(0).default(DEFAULT_REDIS_MAX_RETRIES_PER_REQUEST),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.url !== undefined && o.clusterNodes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['clusterNodes'], message: '`url` and `clusterNodes` are mutually exclusive' });
    } else if (o.url === undefined && o.clusterNodes === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'one of `url` or `clusterNodes` is required' });
    }
  });

/** Parsed {@link redisSessionStoreOptionsSchema}. */
export type RedisSessionStoreConfig = z.output<typeof redisSessionStoreOptionsSchema>;
