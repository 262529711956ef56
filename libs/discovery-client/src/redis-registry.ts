/**
 * RedisRegistry: discovery on a single Redis or a Redis Cluster. All keys of one env and appid
 * share the hash tag `{<prefix><env>:<appid>}`, so they live in one slot and every script
 * declares the keys it touches (what Redis Cluster requires):
 *   `{<prefix><env>:<appid>}:<hostname>`  instance JSON with `EX ttl`, renewed every ttl/3
 *   `{<prefix><env>:<appid>}`             SET of hostnames (members whose key expired are
 *                                         dropped on the next read)
 * Changes are announced on the channel `{<prefix><env>:<appid>}:changes` with classic PUBLISH,
 * which a Cluster forwards to every node, so one subscriber connection to any node hears all
 * of them. Watchers also poll every `pollIntervalMs`, because an expiry publishes nothing. A
 * process that dies without cancelling is seen gone after at most `ttlSec` s (key expiry) +
 * `pollIntervalMs` (next poll).
 *
 * `watch` and `register` retry while Redis is unreachable (see `establish`): each attempt is
 * bounded by `attemptTimeoutMs`, and every single command by `callTimeoutMs`.
 */
import { Cluster, Redis } from 'ioredis';
import { BackendRegistry, type BackendRegistration } from './backend-registry.js';
import { backendErrors, envAndPrefix, withDeadline, type Reach } from './backend-support.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { buildSnapshot, checkMetadata, parseStoredInstance } from './instance.js';
import { SILENT_LOGGER, type RegistryLogger } from './logger.js';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_REDIS_POLL_INTERVAL_MS, DEFAULT_REDIS_PREFIX, DEFAULT_TTL_SEC } from './options.js';
import type { Instance, InstanceSnapshot } from './registry.js';
import type { SnapshotWatch } from './snapshot-watch.js';

/** The ioredis client a {@link RedisRegistry} talks through: a single Redis or a Cluster. */
export type RedisRegistryClient = Redis | Cluster;

/** Options of {@link RedisRegistry}: exactly one of `url`, `clusterNodes` and `client`. */
export interface RedisRegistryOptions {
  /** Deployment env served (default `dev`). */
  env?: string;
  /** `redis://host:port[/db]` of a single Redis: the registry creates (and closes) its own client. */
  url?: string;
  /** Redis Cluster seed nodes `host:port` (array or comma-separated): the registry creates (and closes) a Cluster client. */
  clusterNodes?: string | string[];
  /** AUTH password with `url` or `clusterNodes` (every cluster node). */
  password?: string;
  /** An ioredis `Redis` or `Cluster`; the registry never closes it (it duplicates it for pub/sub). */
  client?: RedisRegistryClient;
  /** Key prefix (default `goim:discovery:`); no `{` or `}`. */
  keyPrefix?: string;
  /** Instance key TTL, seconds (default 10, integer ≥ 1). */
  ttlSec?: number;
  /** Watch polling period, ms (default 1000, ≥ 50). */
  pollIntervalMs?: number;
  /** Deadline of one Redis command, ms (default 3000). */
  callTimeoutMs?: number;
  /** Deadline of one attempt to establish a watch or registration, ms (default 5000). */
  attemptTimeoutMs?: number;
  /** Cap of the doubling pause between attempts, ms (default 5000); 0 = reject on the first failure. */
  retryMaxDelayMs?: number;
  /** Clock in ms (default `Date.now`), for latest_timestamp. */
  now?: () => number;
  logger?: RegistryLogger;
}

// KEYS: instance key, index key. ARGV: json, ttl, hostname, channel, index ttl.
// Writes the instance, indexes it, announces it.
const PUT = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[4], ARGV[3])
return 1`;

// Same KEYS/ARGV. Extends the TTL; if the key had expired meanwhile (a long pause, a Redis
// restart), writes it again and announces it, so the instance comes back by itself.
const RENEW = `
local alive = redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[5])
if alive == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  redis.call('PUBLISH', ARGV[4], ARGV[3])
end
return alive`;

// KEYS: instance key, index key. ARGV: json we wrote last, hostname, channel.
// Deletes only our own value: a newer registration of the hostname stays.
const CANCEL = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  redis.call('PUBLISH', ARGV[3], ARGV[2])
  return 1
end
return 0`;

// KEYS: index key, then the instance key of every hostname in ARGV (same order). Values of the
// live ones; dead members are removed from the index in the same atomic step, so a concurrent
// re-register cannot be lost. (The member list is read first with SMEMBERS: a script must
// declare its keys up front.)
const LIST = `
local out = {}
for i, h in ipairs(ARGV) do
  local v = redis.call('GET', KEYS[i + 1])
  if v then out[#out + 1] = v else redis.call('SREM', KEYS[1], h) end
end
return out`;

const { fail, invalidOption, intOption, closed, reach } = backendErrors('RedisRegistry');

const HOST_PORT = /^[^\s:]+:\d{1,5}$/;

/** {@link Registry} on Redis or Redis Cluster: TTL keys renewed every ttl/3, pub/sub change notices plus polling. */
export class RedisRegistry extends BackendRegistry<RedisRegistration> {
  readonly env: string;
  readonly ttlSec: number;
  readonly pollIntervalMs: number;
  private readonly prefix: string;
  private readonly client: RedisRegistryClient;
  private readonly ownsClient: boolean;
  private readonly callTimeoutMs: number;
  protected readonly reach: Reach;
  protected readonly now: () => number;
  protected readonly logger: RegistryLogger;
  private subscriber: RedisRegistryClient | undefined;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(options: RedisRegistryOptions) {
    super({ fail, closed }, 'key');
    const given = [options.url, options.clusterNodes, options.client].filter((x) => x !== undefined).length;
    if (given !== 1) throw invalidOption('exactly one of `url`, `clusterNodes` and `client` is required');
    if (options.client && options.password !== undefined) throw invalidOption('`client` and `password` are mutually exclusive (configure the client yourself)');
    ({ env: this.env, prefix: this.prefix } = envAndPrefix(options, DEFAULT_REDIS_PREFIX, invalidOption));
    // The prefix sits in front of the hash tag; a brace in it would move the tag.
    if (/[{}]/.test(this.prefix)) throw invalidOption('`keyPrefix` must not contain "{" or "}"');
    this.ttlSec = intOption('ttlSec', options.ttlSec, DEFAULT_TTL_SEC, 1);
    this.pollIntervalMs = intOption('pollIntervalMs', options.pollIntervalMs, DEFAULT_REDIS_POLL_INTERVAL_MS, 50);
    this.callTimeoutMs = intOption('callTimeoutMs', options.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS, 1);
    const withReach = reach(options);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? SILENT_LOGGER;
    let target: string;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
      target = describeClient(options.client);
    } else {
      const common = {
        commandTimeout: this.callTimeoutMs,
        maxRetriesPerRequest: 2,
        ...(options.password !== undefined ? { password: options.password } : {}),
      };
      if (options.url !== undefined) {
        if (!/^rediss?:\/\/.+/.test(options.url)) throw invalidOption('`url` must look like redis://host:port');
        this.client = new Redis(options.url, common);
        target = `redis ${redactUrl(options.url)}`;
      } else {
        const nodes = (typeof options.clusterNodes === 'string' ? options.clusterNodes.split(',') : options.clusterNodes!)
          .map((n) => n.trim())
          .filter((n) => n !== '');
        if (nodes.length === 0 || nodes.some((n) => !HOST_PORT.test(n))) throw invalidOption('`clusterNodes` must be host:port entries');
        // Commands wait in the Cluster's offline queue while it is down; every call the registry
        // makes is bounded by callTimeoutMs instead (see call()), and what runs late is harmless:
        // a renewal of a live key, a read, or an abandoned registration followed by its retraction.
        this.client = new Cluster(
          nodes.map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) })),
          { redisOptions: common },
        );
        target = `redis-cluster ${nodes.join(',')}`;
      }
      this.ownsClient = true;
      this.watchHealth(this.client, target, 'client');
    }
    this.reach = withReach({ target, logger: this.logger, closeSignal: this.closeController.signal });
  }

  /** `{<prefix><env>:<appid>}`: the hash tag all keys of the appid share, and the index key. */
  private appKey(appid: string): string {
    return `{${this.prefix}${this.env}:${appid}}`;
  }

  protected newRegistration(instance: Instance): RedisRegistration {
    return new RedisRegistration(this, instance, this.appKey(instance.appid));
  }

  protected async registerAttempt(reg: RedisRegistration, signal: AbortSignal, n: number): Promise<void> {
    // A fresh latest_timestamp per retry: the retraction of an abandoned attempt deletes only
    // that attempt's exact value, never a later one.
    if (n > 0) reg.restamp();
    const json = reg.currentJson;
    signal.addEventListener('abort', () => reg.retract(json), { once: true });
    await reg.put();
  }

  protected override registered(reg: RedisRegistration): void {
    reg.startRenewing(Math.max(1, Math.floor((this.ttlSec * 1000) / 3)));
  }

  /**
   * Subscribe, then read. An abandoned attempt leaves nothing behind: the subscription serves
   * the next attempt and is dropped by releaseWatch() if the watch ends without one succeeding.
   */
  protected async watchAttempt(w: SnapshotWatch): Promise<InstanceSnapshot> {
    await this.subscribe(`${this.appKey(w.appid)}:changes`);
    this.startPolling();
    return this.load(w.appid);
  }

  protected async releaseBackend(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    if (this.subscriber) this.subscriber.disconnect();
    this.subscriber = undefined;
    if (this.ownsClient) await quit(this.client);
  }

  // ---- used by RedisRegistration ----

  /** @internal */
  async eval(script: string, keys: string[], args: Array<string | number>, what: string): Promise<unknown> {
    return this.call(what, () => this.client.eval(script, keys.length, ...keys, ...args));
  }

  /** @internal */
  scriptArgs(instance: Instance, json: string): Array<string | number> {
    // The index outlives instance keys a little, so it only vanishes once all of them have.
    return [json, this.ttlSec, instance.hostname, `${this.appKey(instance.appid)}:changes`, this.ttlSec * 3];
  }

  // ---- watches ----

  /** One Redis command under the registry's call deadline; failures become GOIM_ERR_REGISTRY_BACKEND. */
  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(run(), this.callTimeoutMs, () => new Error(`no reply within ${this.callTimeoutMs} ms`));
    } catch (err) {
      throw fail(what, err);
    }
  }

  protected async load(appid: string): Promise<InstanceSnapshot> {
    const key = this.appKey(appid);
    const what = `fetch of ${appid}`;
    const hosts = await this.call(what, () => this.client.smembers(key));
    const values =
      hosts.length === 0 ? [] : ((await this.call(what, () => this.client.eval(LIST, hosts.length + 1, key, ...hosts.map((h) => `${key}:${h}`), ...hosts))) as string[]);
    const list: Instance[] = [];
    for (const v of values) {
      const ins = parseStoredInstance(v);
      // A foreign or corrupt value under our prefix is skipped, not fatal, and said once per read.
      if (ins && ins.appid === appid && ins.env === this.env) list.push(ins);
      else this.logger.warn({ appid }, 'discovery: skipped an unreadable instance value');
    }
    return buildSnapshot(appid, list);
  }

  private async subscribe(channel: string): Promise<void> {
    if (!this.subscriber) {
      const sub = this.client.duplicate();
      this.subscriber = sub;
      this.watchHealth(sub, this.reach.target, 'subscriber');
      sub.on('message', (ch: string) => {
        for (const w of this.watches) if (`${this.appKey(w.appid)}:changes` === ch) w.refresh();
      });
      // After a reconnect ioredis re-subscribes by itself; notices sent meanwhile are lost,
      // so every watch reloads.
      let first = true;
      sub.on('ready', () => {
        if (first) {
          first = false;
          return;
        }
        for (const w of this.watches) w.refresh();
      });
    }
    const sub = this.subscriber;
    await this.call(`subscribe to ${channel}`, () => sub.subscribe(channel));
  }

  /**
   * Logs the first error of an outage (`warn`, with the address) and the recovery (`info`),
   * not every reconnect attempt (ioredis retries several times a second).
   */
  private watchHealth(client: RedisRegistryClient, target: string, role: 'client' | 'subscriber'): void {
    let down = false;
    client.on('error', (err: Error) => {
      if (down || this.closed) return;
      down = true;
      this.logger.warn({ err, backend: target, role }, 'discovery redis unreachable; reconnecting');
    });
    client.on('ready', () => {
      if (!down) return;
      down = false;
      this.logger.info({ backend: target, role }, 'discovery redis reachable again');
    });
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      for (const w of this.watches) w.refresh();
    }, this.pollIntervalMs);
  }

  protected async releaseWatch(w: SnapshotWatch): Promise<void> {
    const channel = `${this.appKey(w.appid)}:changes`;
    const stillUsed = [...this.watches].some((x) => `${this.appKey(x.appid)}:changes` === channel);
    const sub = this.subscriber;
    if (!stillUsed && sub && !this.closed) {
      await this.call(`unsubscribe from ${channel}`, () => sub.unsubscribe(channel)).catch((err: unknown) =>
        this.logger.warn({ err }, 'discovery unsubscribe failed'),
      );
    }
    if (this.watches.size === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }
}

class RedisRegistration implements BackendRegistration {
  private json: string;
  private timer: NodeJS.Timeout | undefined;
  private cancelled = false;
  /** Serialises this registration's writes, so a renew never races an update or cancel. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly keys: [string, string];

  constructor(
    private readonly owner: RedisRegistry,
    public instance: Instance,
    appKey: string,
  ) {
    this.json = JSON.stringify(instance);
    this.keys = [`${appKey}:${instance.hostname}`, appKey];
  }

  /** The JSON the next put writes. */
  get currentJson(): string {
    return this.json;
  }

  /** A newer latest_timestamp before another attempt to register. */
  restamp(): void {
    this.instance = { ...this.instance, latest_timestamp: this.owner.stamp(this.instance.latest_timestamp) };
    this.json = JSON.stringify(this.instance);
  }

  put(): Promise<void> {
    return this.serial(async () => {
      await this.owner.eval(PUT, this.keys, this.owner.scriptArgs(this.instance, this.json), `register of ${this.instance.hostname}`);
    });
  }

  /**
   * Deletes `json` if it is still what the key holds: the cleanup of an abandoned register
   * attempt, whose write may still run after it was given up (queued behind it, so it runs after).
   */
  retract(json: string): void {
    void this.serial(() => this.owner.eval(CANCEL, this.keys, [json, this.instance.hostname, `${this.keys[1]}:changes`], 'retraction')).catch(
      (err: unknown) => this.owner.log.debug({ err, hostname: this.instance.hostname }, 'discovery: retracting an abandoned register attempt failed; its key expires by TTL'),
    );
  }

  startRenewing(everyMs: number): void {
    this.timer = setInterval(() => {
      void this.serial(async () => {
        if (this.cancelled) return;
        const alive = await this.owner.eval(RENEW, this.keys, this.owner.scriptArgs(this.instance, this.json), 'renew');
        if (alive === 0) this.owner.log.warn({ hostname: this.instance.hostname }, 'discovery instance key had expired; registered again');
      }).catch((err: unknown) => {
        // Keep renewing: the instance comes back as soon as Redis answers again.
        this.owner.log.warn({ err, hostname: this.instance.hostname }, 'discovery renew failed');
      });
    }, everyMs);
  }

  async update(metadata: Record<string, string>): Promise<void> {
    if (this.cancelled) throw new RegistryError(RegistryErrorCode.CANCELLED, `registration of ${this.instance.hostname} was cancelled`);
    checkMetadata(metadata);
    await this.serial(async () => {
      if (this.cancelled) throw new RegistryError(RegistryErrorCode.CANCELLED, `registration of ${this.instance.hostname} was cancelled`);
      const next: Instance = { ...this.instance, metadata: { ...metadata }, latest_timestamp: this.owner.stamp(this.instance.latest_timestamp) };
      const json = JSON.stringify(next);
      await this.owner.eval(PUT, this.keys, this.owner.scriptArgs(next, json), `update of ${next.hostname}`);
      this.instance = next;
      this.json = json;
    });
  }

  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.stop();
    this.owner.forget(this);
    await this.serial(() =>
      this.owner.eval(CANCEL, this.keys, [this.json, this.instance.hostname, `${this.keys[1]}:changes`], `cancel of ${this.instance.hostname}`),
    );
  }

  /** Stops renewing without deleting (a newer registration of the hostname took over). */
  supersede(): void {
    this.stop();
  }

  private stop(): void {
    this.cancelled = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

async function quit(client: RedisRegistryClient): Promise<void> {
  // QUIT on a client that is not connected would wait for a reconnect that may never come.
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timed out')), 1000);
      }),
    ]);
  } catch {
    client.disconnect();
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** `redis://host:port/db` without user and password, for log lines. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'redis (unparsable url)';
  }
}

/** Where an injected client points, for log lines. */
function describeClient(client: RedisRegistryClient): string {
  if (client.isCluster) {
    // ioredis keeps the seed nodes private; read them only to name the cluster in log lines.
    const seeds = (client as unknown as { startupNodes?: Array<string | number | { host?: string; port?: number }> }).startupNodes ?? [];
    const nodes = seeds.map((n) =>
      typeof n === 'object' ? `${n.host ?? '127.0.0.1'}:${n.port ?? 6379}` : String(n),
    );
    return `redis-cluster ${nodes.join(',')}`;
  }
  const { host, port } = (client as Redis).options;
  return `redis ${host ?? '127.0.0.1'}:${port ?? 6379}`;
}
