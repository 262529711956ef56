/**
 * Defaults and option schemas of @goim/discovery-client. Apps compose {@link registryConfigSchema}
 * into their config and hand the parsed value to `createRegistry`.
 */
import { z } from 'zod';

/**
 * Env used when none is configured. goim fails every poll with -404 when `DEPLOY_ENV` is unset
 * (issues #253, #264, #331, #342); we deliberately default to `dev` instead of failing.
 */
export const DEFAULT_ENV = 'dev';
/** Lifetime of an etcd lease / Redis instance key, seconds; a dead process vanishes after about this long. */
export const DEFAULT_TTL_SEC = 10;
/** etcd key prefix; keys read `<prefix><env>/<appid>/<hostname>`. */
export const DEFAULT_ETCD_PREFIX = '/goim/discovery/';
/** Redis key prefix; keys read `{<prefix><env>:<appid>}:<hostname>` (one hash tag per appid). */
export const DEFAULT_REDIS_PREFIX = 'goim:discovery:';
/** Redis watch polling period, ms: bounds how late a watcher sees an instance that expired (TTL + this). */
export const DEFAULT_REDIS_POLL_INTERVAL_MS = 1_000;
/** etcd: pause before granting a new lease after one was lost, ms. */
export const DEFAULT_REGRANT_DELAY_MS = 1_000;
/** etcd: how often a watch re-reads its prefix while its watcher stream is disconnected, ms. */
export const DEFAULT_DISCONNECTED_POLL_MS = 1_000;
/** Deadline of one etcd/Redis call made by the registry, ms. */
export const DEFAULT_CALL_TIMEOUT_MS = 3_000;
/**
 * Deadline of one attempt to establish a watch (connect, create the watcher or subscription,
 * read the first snapshot) or a registration (grant, write), ms. A hung attempt is abandoned,
 * what it created is released, and the next attempt follows.
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5_000;
/** Pause after the first failed attempt of `watch`/`register`, ms; it doubles up to the cap. */
export const RETRY_MIN_DELAY_MS = 250;
/** Cap of the pause between attempts of `watch`/`register` while the backend is unreachable, ms. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 5_000;

const name = z
  .string()
  .min(1)
  .regex(/^[^\s/:*?[\]{}]+$/, 'must not contain whitespace, "/", ":" or glob characters');

/** An instance as written in static config (`latest_timestamp` optional: stamped at start). */
export const instanceConfigSchema = z
  .object({
    region: z.string().default(''),
    zone: z.string().default(''),
    env: name.optional(),
    appid: name,
    hostname: name,
    addrs: z.array(z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/, 'expected scheme://host:port')).default([]),
    version: z.string().default(''),
    latest_timestamp: z.number().int().min(0).optional(),
    metadata: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const common = {
  /** Deployment env (goim `DEPLOY_ENV`), default `dev`; registries of different envs never see each other. */
  env: name.default(DEFAULT_ENV),
};

/** Options of the shared backends (etcd, Redis) about reaching them. */
const reach = {
  /** Deadline of one etcd/Redis call, ms (default 3000). */
  callTimeoutMs: z.number().int().min(1).default(DEFAULT_CALL_TIMEOUT_MS),
  /**
   * Deadline of one attempt to establish a watch or a registration, ms (default 5000); a hung
   * attempt (backend down) is abandoned, its watcher/lease/key released, and retried.
   */
  attemptTimeoutMs: z.number().int().min(1).default(DEFAULT_ATTEMPT_TIMEOUT_MS),
  /**
   * Longest pause between attempts while the backend is unreachable, ms (default 5000; the
   * pause starts at 250 and doubles). 0 = no retry: `watch`/`register` reject on the first failure.
   */
  retryMaxDelayMs: z.number().int().min(0).default(DEFAULT_RETRY_MAX_DELAY_MS),
};

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected "host:port"');

/** `{ type: 'static' }`: a fixed list of instances plus whatever this process registers. */
export const staticRegistryOptionsSchema = z
  .object({
    type: z.literal('static'),
    ...common,
    /** Instances to serve; entries of another env are ignored. */
    instances: z.array(instanceConfigSchema).default([]),
  })
  .strict();

/** `{ type: 'etcd' }`: leases with keep-alive, prefix watches. */
export const etcdRegistryOptionsSchema = z
  .object({
    type: z.literal('etcd'),
    ...common,
    /** etcd endpoints, `http://host:port`, as an array or one comma-separated string. */
    hosts: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s !== ''))
      .pipe(z.array(z.string().regex(/^https?:\/\/\S+$/, 'expected http://host:port')).min(1, 'expected at least one etcd host')),
    /** etcd user and password, if auth is on. */
    username: z.string().optional(),
    password: z.string().optional(),
    /** Key prefix (default `/goim/discovery/`). */
    keyPrefix: z.string().min(1).default(DEFAULT_ETCD_PREFIX),
    /** Lease TTL, seconds (default 10, minimum 2: etcd rounds lower TTLs up anyway). */
    ttlSec: z.number().int().min(2).max(3600).default(DEFAULT_TTL_SEC),
    ...reach,
  })
  .strict()
  .refine((o) => (o.username === undefined) === (o.password === undefined), {
    path: ['password'],
    message: '`username` and `password` go together',
  });

/**
 * `{ type: 'redis' }`: instance keys with TTL, pub/sub change notices plus polling; exactly one
 * of `url` (a single Redis) or `clusterNodes` (Redis Cluster seed nodes). `url`, `clusterNodes`
 * and `password` deliberately repeat @goim/session-store's Redis options (same names, forms and
 * rules), so operators configure both the same way; the libs stay independent of each other.
 */
export const redisRegistryOptionsSchema = z
  .object({
    type: z.literal('redis'),
    ...common,
    /** `redis://[[user]:password@]host:port[/db]` or `rediss://…` of a single Redis. */
    url: z.string().regex(/^rediss?:\/\/.+/, 'expected redis://host:port').optional(),
    /** Redis Cluster seed nodes, `host:port`, as an array or one comma-separated string. */
    clusterNodes: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s !== ''))
      .pipe(z.array(hostPort).min(1, 'expected at least one host:port'))
      .optional(),
    /** Redis password (AUTH), for every cluster node too; with `url` it may sit in the URL instead. */
    password: z.string().optional(),
    /** Key prefix (default `goim:discovery:`); no `{` or `}` (the registry puts a hash tag after it). */
    keyPrefix: z
      .string()
      .min(1)
      .regex(/^[^{}]*$/, 'must not contain "{" or "}"')
      .default(DEFAULT_REDIS_PREFIX),
    /** Instance key TTL, seconds (default 10, minimum 1); renewed every ttl/3. */
    ttlSec: z.number().int().min(1).max(3600).default(DEFAULT_TTL_SEC),
    /** Watch polling period, ms (default 1000), catching expiries that publish nothing. */
    pollIntervalMs: z.number().int().min(50).default(DEFAULT_REDIS_POLL_INTERVAL_MS),
    ...reach,
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.url !== undefined && o.clusterNodes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['clusterNodes'], message: '`url` and `clusterNodes` are mutually exclusive' });
    } else if (o.url === undefined && o.clusterNodes === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'one of `url` or `clusterNodes` is required' });
    }
  });

/** The `discovery` section apps put in their config: one of the three backends, by `type`. */
export const registryConfigSchema = z.discriminatedUnion('type', [
  staticRegistryOptionsSchema,
  etcdRegistryOptionsSchema,
  redisRegistryOptionsSchema,
]);

/** Parsed {@link registryConfigSchema}. */
export type RegistryConfig = z.output<typeof registryConfigSchema>;
/** What {@link registryConfigSchema} accepts (defaults may be left out). */
export type RegistryConfigInput = z.input<typeof registryConfigSchema>;
/** Parsed {@link instanceConfigSchema}. */
export type InstanceConfig = z.output<typeof instanceConfigSchema>;
