import { randomUUID } from 'node:crypto';
import { cityHash32 } from '@goim/bucket';
import { Cluster, Redis, type ChainableCommander } from 'ioredis';
import type { z } from 'zod';
import { SessionStoreError, SessionStoreErrorCode } from './errors.js';
import { decodeOnlineShards, encodeOnlineShards } from './online-shards.js';
import {
  OL_SHARDS,
  redisSessionStoreOptionsSchema,
  sessionTtlSecSchema,
  type RedisSessionStoreConfig,
  type SessionStoreLogger,
} from './options.js';
import type { ServerOnline, SessionStore } from './session-store.js';
import { checkKey, checkKeys, checkMid, checkMids, checkOnline, checkServer, formatIssues } from './validate.js';

/** Either kind of ioredis client the adapter works with. */
export type RedisSessionStoreClient = Redis | Cluster;

/**
 * Options of {@link RedisSessionStore}: either a client you own (`client`), or the data
 * options of `redisSessionStoreOptionsSchema` (`url` or `clusterNodes`, …) from which the
 * store creates and owns its client.
 */
export type RedisSessionStoreOptions =
  | {
      /** An ioredis `Redis` or `Cluster`; the store never closes it. */
      client: RedisSessionStoreClient;
      /** TTL of every mapping and online report, seconds; default 1800. */
      sessionTtlSec?: number;
      logger?: SessionStoreLogger;
    }
  | (z.input<typeof redisSessionStoreOptionsSchema> & { client?: undefined; logger?: SessionStoreLogger });

// Compare-and-delete, one script per key: in a Cluster `mid_<mid>` and `key_<key>` live in
// different slots, and a script may only touch keys of one slot. Each is atomic on its key.
// (goim deletes unconditionally, spec §10.3.)
const DEL_KEY_IF_SERVER = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const HDEL_IF_SERVER =
  "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";
const DEL_KEY_CMD = 'goimSessionDelKeyIfServer';
const HDEL_CMD = 'goimSessionHdelIfServer';

interface ScriptCommands {
  goimSessionDelKeyIfServer(key: string, server: string): Promise<number>;
  goimSessionHdelIfServer(hash: string, field: string, server: string): Promise<number>;
}

// goim's key names (spec §3.4), kept exactly so a Go logic can share the Redis.
const midKey = (mid: number): string => `mid_${mid}`;
const keyKey = (key: string): string => `key_${key}`;
const olKey = (server: string): string => `ol_${server}`;
const olShard = (room: string): number => cityHash32(room) % OL_SHARDS;
// goim-ts's own key (no goim key has this shape, so a Go logic sharing the Redis never
// touches it). No TTL: it must vanish only with the data it stands for.
const EPOCH_KEY = 'goim-ts:epoch';

/**
 * SessionStore on Redis with goim's exact schema (spec §3.4), on a single Redis or a Redis
 * Cluster, so Go and TypeScript logic processes can share sessions:
 *
 * - `addMapping`: `HSET mid_<mid> <key> <server>`, `EXPIRE mid_<mid>`, `SET key_<key> <server>`,
 *   `EXPIRE key_<key>` (the mid_ pair only for mid > 0), pipelined.
 * - `expireMapping`: `EXPIRE` both; "has" is the `key_` reply, as goim.
 * - `delMapping`: per key, a Lua compare-and-delete (`HDEL`/`DEL` only while the value is still
 *   this server) — deliberately stricter than goim (§10.3).
 * - `serversByKeys`: `MGET key_…` on a single Redis; on a Cluster one `GET` per key, pipelined
 *   per node (keys of one MGET must share a slot).
 * - `keysByMids`: pipelined `HGETALL mid_…`.
 * - `addServerOnline`: one `HSET ol_<server>` of all 64 fields, then `EXPIRE`; every field is
 *   rewritten, empty ones as `"room_count":{}`, so a room that left does not linger (goim
 *   leaves stale shards, §10.19). The JSON is byte-identical to Go's.
 * - `serverOnline`: one `HGETALL` (goim does 64 `HGET`s, §10.19). Reads goim-written shards too.
 * - `epoch`: `GET goim-ts:epoch`; when missing, `SET goim-ts:epoch <uuid> NX` + `GET` (pipelined).
 *
 * Outages: ioredis reconnects with backoff in the background; while Redis is down calls reject
 * with `GOIM_ERR_SESSION_STORE_BACKEND` (after `maxRetriesPerRequest` reconnects, or at the
 * latest after `connectTimeoutMs + commandTimeoutMs` for a client the store created) instead of
 * queueing without bound; an owned Cluster sends nothing after a call's deadline. Connection errors never throw out of the client; with a `logger`
 * the store logs the first failure (`warn`) and the recovery (`info`), not every retry.
 */
export class RedisSessionStore implements SessionStore {
  private readonly client: RedisSessionStoreClient;
  private readonly scripts: ScriptCommands;
  private readonly owned: boolean;
  private readonly isCluster: boolean;
  private readonly ttl: number;
  private readonly deadlineMs: number;
  private readonly logger: SessionStoreLogger | undefined;
  private readonly gateOnReady: boolean;
  private readyWaiter: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: RedisSessionStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw invalidOptions('options must be an object');
    }
    this.logger = options.logger;
    if (options.client !== undefined) {
      const { client, logger: _logger, ...rest } = options;
      // duck-typed, so a client from another copy of ioredis in node_modules works too
      if (!isIoredisClient(client)) {
        throw invalidOptions('`client` must be an ioredis Redis or Cluster');
      }
      const extra = Object.keys(rest).filter((k) => k !== 'sessionTtlSec');
      if (extra.length > 0) {
        throw invalidOptions(`\`client\` and \`${extra[0]}\` are mutually exclusive (configure the client yourself)`);
      }
      const ttl = sessionTtlSecSchema.safeParse(rest.sessionTtlSec);
      if (!ttl.success) throw invalidOptions(`sessionTtlSec: ${formatIssues(ttl.error)}`);
      this.client = client;
      this.owned = false;
      this.ttl = ttl.data;
      this.deadlineMs = 0;
    } else {
      const { client: _c, logger: _l, ...data } = options;
      const parsed = redisSessionStoreOptionsSchema.safeParse(data);
      if (!parsed.success) throw invalidOptions(formatIssues(parsed.error));
      const config = parsed.data;
      this.client = createClient(config);
      this.owned = true;
      this.ttl = config.sessionTtlSec;
      this.deadlineMs = config.commandTimeoutMs > 0 ? config.connectTimeoutMs + config.commandTimeoutMs : 0;
      this.watchHealth();
    }
    this.isCluster = this.client.isCluster;
    this.gateOnReady = this.owned && this.isCluster && this.deadlineMs > 0;
    // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT (a restarted or new node).
    const c = this.client as RedisSessionStoreClient & Partial<ScriptCommands>;
    if (typeof c[DEL_KEY_CMD] !== 'function') c.defineCommand(DEL_KEY_CMD, { numberOfKeys: 1, lua: DEL_KEY_IF_SERVER });
    if (typeof c[HDEL_CMD] !== 'function') c.defineCommand(HDEL_CMD, { numberOfKeys: 1, lua: HDEL_IF_SERVER });
    this.scripts = c as unknown as ScriptCommands;
  }

  async addMapping(mid: number, key: string, server: string): Promise<void> {
    this.open();
    checkMid(mid);
    checkKey(key);
    checkServer(server);
    const groups: Group[] = [];
    if (mid > 0) groups.push((p) => p.hset(midKey(mid), key, server).expire(midKey(mid), this.ttl));
    groups.push((p) => p.set(keyKey(key), server).expire(keyKey(key), this.ttl));
    await this.call('addMapping', () => this.batch(groups));
  }

  async expireMapping(mid: number, key: string): Promise<boolean> {
    this.open();
    checkMid(mid);
    checkKey(key);
    const groups: Group[] = [];
    if (mid > 0) groups.push((p) => p.expire(midKey(mid), this.ttl));
    groups.push((p) => p.expire(keyKey(key), this.ttl));
    const replies = await this.call('expireMapping', () => this.batch(groups));
    return replies[replies.length - 1] === 1;
  }

  async delMapping(mid: number, key: string, server: string): Promise<boolean> {
    this.open();
    checkMid(mid);
    checkKey(key);
    checkServer(server);
    const s = this.scripts;
    const ops: Promise<number>[] = [];
    if (mid > 0) ops.push(s.goimSessionHdelIfServer(midKey(mid), key, server));
    ops.push(s.goimSessionDelKeyIfServer(keyKey(key), server));
    const replies = await this.call('delMapping', () => Promise.all(ops));
    return replies.some((n) => n > 0);
  }

  async serversByKeys(keys: readonly string[]): Promise<(string | undefined)[]> {
    this.open();
    checkKeys(keys);
    if (keys.length === 0) return []; // goim sends an empty MGET and gets an arity error (§10.21)
    const names = keys.map(keyKey);
    const replies = await this.call('serversByKeys', () =>
      this.isCluster ? Promise.all(names.map((n) => this.client.get(n))) : this.client.mget(names),
    );
    return replies.map((v) => v ?? undefined);
  }

  async keysByMids(mids: readonly number[]): Promise<Map<string, string>> {
    this.open();
    checkMids(mids);
    // mid 0 (anonymous) is never written, by goim or by us
    const unique = [...new Set(mids)].filter((m) => m > 0);
    const out = new Map<string, string>();
    if (unique.length === 0) return out;
    const replies = await this.call('keysByMids', () => this.batch(unique.map((m) => (p) => p.hgetall(midKey(m)))));
    for (const hash of replies as Record<string, string>[]) {
      for (const [k, server] of Object.entries(hash)) out.set(k, server);
    }
    return out;
  }

  async addServerOnline(online: ServerOnline): Promise<void> {
    this.open();
    checkOnline(online);
    const shards = encodeOnlineShards(online, olShard);
    const fields: Record<string, string> = {};
    shards.forEach((json, i) => (fields[i] = json));
    const name = olKey(online.server);
    await this.call('addServerOnline', () => this.batch([(p) => p.hset(name, fields).expire(name, this.ttl)]));
  }

  async serverOnline(server: string): Promise<ServerOnline | undefined> {
    this.open();
    checkServer(server);
    const fields = await this.call('serverOnline', () => this.client.hgetall(olKey(server)));
    return decodeOnlineShards(server, fields);
  }

  async delServerOnline(server: string): Promise<void> {
    this.open();
    checkServer(server);
    await this.call('delServerOnline', () => this.client.del(olKey(server)));
  }

  async epoch(): Promise<string> {
    this.open();
    return this.call('epoch', async () => {
      const found = await this.client.get(EPOCH_KEY);
      if (found !== null) return found;
      // Missing: this Redis lost its data (or is new). Propose an id; SET NX keeps whichever
      // logic got there first, and reading back makes every racer return that one.
      const replies = await this.batch([(p) => p.set(EPOCH_KEY, randomUUID(), 'NX').get(EPOCH_KEY)]);
      const current = replies[1];
      if (typeof current !== 'string') throw new Error(`${EPOCH_KEY} vanished right after SET NX`);
      return current;
    });
  }

  /** PING on a single Redis; on a Cluster, PING every master it knows. */
  async ping(): Promise<void> {
    this.open();
    await this.call('ping', async () => {
      const masters = this.client.isCluster ? (this.client as Cluster).nodes('master') : [];
      if (masters.length === 0) await this.client.ping();
      else await Promise.all(masters.map((n) => n.ping()));
    });
  }

  /** Marks the store closed; quits the client only if the store created it. Safe twice. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.owned) return;
    this.closing ??= quit(this.client);
    await this.closing;
  }

  private open(): void {
    if (this.closed) throw new SessionStoreError(SessionStoreErrorCode.CLOSED, 'RedisSessionStore is closed');
  }

  /**
   * Runs command groups, each touching one key, pipelined: one pipeline on a single Redis; on
   * a Cluster one pipeline per group (a pipeline must stay within one slot), all in flight at
   * once. Returns every reply in order; the first failed reply rejects.
   */
  private async batch(groups: Group[]): Promise<unknown[]> {
    const pipelines: ChainableCommander[] = [];
    if (this.isCluster) {
      for (const g of groups) pipelines.push(g(this.client.pipeline()));
    } else {
      const p = this.client.pipeline();
      for (const g of groups) g(p);
      pipelines.push(p);
    }
    const results = await Promise.all(pipelines.map((p) => p.exec()));
    const out: unknown[] = [];
    for (const r of results) {
      for (const [err, value] of r ?? []) {
        if (err) throw err;
        out.push(value);
      }
    }
    return out;
  }

  /** Runs one backend operation: errors become SessionStoreError (BACKEND) with the cause. */
  private async call<T>(op: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    try {
      // An owned Cluster queues nothing while it is down (see createClient): wait for it to be
      // ready instead, and never send once this call's deadline has passed.
      const work =
        this.gateOnReady && this.client.status !== 'ready'
          ? this.whenReady().then(() => {
              if (expired) throw new Error('cluster became ready after the deadline');
              return run();
            })
          : run();
      if (this.deadlineMs === 0) return await work;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          expired = true;
          reject(new Error(`no reply within ${this.deadlineMs} ms (redis ${this.client.status})`));
        }, this.deadlineMs);
      });
      work.catch(() => undefined); // a late failure after the deadline is already reported
      return await Promise.race([work, deadline]);
    } catch (err) {
      if (err instanceof SessionStoreError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new SessionStoreError(SessionStoreErrorCode.BACKEND, `RedisSessionStore.${op}: ${message}`, { cause: err });
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Resolves on the client's next 'ready'; one shared listener however many calls wait. */
  private whenReady(): Promise<void> {
    this.readyWaiter ??= new Promise<void>((resolve) => {
      this.client.once('ready', () => {
        this.readyWaiter = undefined;
        resolve();
      });
    });
    return this.readyWaiter;
  }

  /** Logs transitions only (first error, recovery), never every reconnect attempt. */
  private watchHealth(): void {
    let failing = false;
    this.client.on('error', (err: unknown) => {
      if (failing || this.closed) return;
      failing = true;
      this.logger?.warn({ err }, 'session store: redis unavailable, retrying in the background');
    });
    this.client.on('ready', () => {
      if (!failing) return;
      failing = false;
      this.logger?.info({}, 'session store: redis available again');
    });
  }
}

type Group = (p: ChainableCommander) => ChainableCommander;

function isIoredisClient(c: unknown): c is RedisSessionStoreClient {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return typeof o['isCluster'] === 'boolean' && typeof o['pipeline'] === 'function' && typeof o['defineCommand'] === 'function';
}

function invalidOptions(message: string): SessionStoreError {
  return new SessionStoreError(SessionStoreErrorCode.INVALID_OPTIONS, `RedisSessionStore: ${message}`);
}

function createClient(config: RedisSessionStoreConfig): RedisSessionStoreClient {
  const common = {
    connectTimeout: config.connectTimeoutMs,
    maxRetriesPerRequest: config.maxRetriesPerRequest,
    // ioredis arms this timer even for an already-dead socket; 2 s (its default) keeps a
    // process that closed the store during an outage alive for no reason.
    disconnectTimeout: 500,
    ...(config.commandTimeoutMs > 0 ? { commandTimeout: config.commandTimeoutMs } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
  };
  if (config.url !== undefined) {
    return new Redis(config.url, { ...common, enableAutoPipelining: true });
  }
  const nodes = config.clusterNodes!.map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
  return new Cluster(nodes, {
    // groups concurrent commands into one write per node: what makes per-key GETs pipelined
    enableAutoPipelining: true,
    // A Cluster's offline queue has no bound and no retry limit: during an outage it would
    // hold every command and replay stale writes on recovery. The store waits for 'ready'
    // under each call's deadline instead (RedisSessionStore.call).
    enableOfflineQueue: config.commandTimeoutMs === 0,
    redisOptions: common,
  });
}

/** QUIT, falling back to a hard disconnect if Redis does not answer within a second. */
async function quit(client: RedisSessionStoreClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timed out')), 1000);
      }),
    ]);
  } catch {
    client.disconnect();
  } finally {
    if (timer) clearTimeout(timer);
  }
}
