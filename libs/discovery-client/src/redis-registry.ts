/**
 * RedisRegistry: discovery on a single Redis. Each instance is one key
 * `<prefix><env>:<appid>:<hostname>` holding the instance JSON with `EX ttl`, renewed every
 * ttl/3; a per-appid SET `<prefix><env>:<appid>` indexes hostnames (members whose key expired
 * are dropped on the next read). Changes are announced on the channel
 * `<prefix><env>:<appid>:changes`; watchers also poll every `pollIntervalMs`, because an
 * expiry publishes nothing. A process that dies without cancelling is seen gone after at most
 * `ttlSec` s (key expiry) + `pollIntervalMs` (next poll).
 *
 * Redis Cluster is not supported: the scripts read keys they do not declare.
 */
import { Redis } from 'ioredis';
import { backendErrors, cancelOnClose, envAndPrefix } from './backend-support.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { buildSnapshot, checkMetadata, checkName, nextTimestamp, normalizeInput, parseStoredInstance } from './instance.js';
import { SILENT_LOGGER, type RegistryLogger } from './logger.js';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_REDIS_POLL_INTERVAL_MS, DEFAULT_REDIS_PREFIX, DEFAULT_TTL_SEC } from './options.js';
import type { Instance, InstanceInput, InstanceSnapshot, Registration, Registry, SnapshotListener, Watch } from './registry.js';
import { SnapshotWatch } from './snapshot-watch.js';

/** Options of {@link RedisRegistry}: exactly one of `url` and `client`. */
export interface RedisRegistryOptions {
  /** Deployment env served (default `dev`). */
  env?: string;
  /** `redis://host:port[/db]`: the registry creates (and closes) its own client. */
  url?: string;
  /** An ioredis `Redis` client; the registry never closes it (it duplicates it for pub/sub). */
  client?: Redis;
  /** Key prefix (default `goim:discovery:`). */
  keyPrefix?: string;
  /** Instance key TTL, seconds (default 10, integer ≥ 1). */
  ttlSec?: number;
  /** Watch polling period, ms (default 1000, ≥ 50). */
  pollIntervalMs?: number;
  /** Per-command deadline when the registry creates the client, ms (default 3000). */
  callTimeoutMs?: number;
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

// KEYS: index key. ARGV: instance key prefix. Values of every live member; dead members are
// removed from the index in the same atomic step, so a concurrent re-register cannot be lost.
const LIST = `
local out = {}
for _, h in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', ARGV[1] .. h)
  if v then out[#out + 1] = v else redis.call('SREM', KEYS[1], h) end
end
return out`;

const { fail, invalidOption, intOption, closed } = backendErrors('RedisRegistry');

/** {@link Registry} on Redis: TTL keys renewed every ttl/3, pub/sub change notices plus polling. */
export class RedisRegistry implements Registry {
  readonly env: string;
  readonly ttlSec: number;
  readonly pollIntervalMs: number;
  private readonly prefix: string;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly now: () => number;
  private readonly logger: RegistryLogger;
  private subscriber: Redis | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly watches = new Set<SnapshotWatch>();
  /** `appid/hostname` → the live registration this registry holds for it. */
  private readonly registrations = new Map<string, RedisRegistration>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: RedisRegistryOptions) {
    if ((options.url === undefined) === (options.client === undefined)) {
      throw invalidOption('exactly one of `url` and `client` is required');
    }
    ({ env: this.env, prefix: this.prefix } = envAndPrefix(options, DEFAULT_REDIS_PREFIX, invalidOption));
    this.ttlSec = intOption('ttlSec', options.ttlSec, DEFAULT_TTL_SEC, 1);
    this.pollIntervalMs = intOption('pollIntervalMs', options.pollIntervalMs, DEFAULT_REDIS_POLL_INTERVAL_MS, 50);
    const callTimeoutMs = intOption('callTimeoutMs', options.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS, 1);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? SILENT_LOGGER;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      if (!/^rediss?:\/\/.+/.test(options.url!)) throw invalidOption('`url` must look like redis://host:port');
      this.client = new Redis(options.url!, { commandTimeout: callTimeoutMs, maxRetriesPerRequest: 2 });
      this.ownsClient = true;
      this.client.on('error', (err: Error) => this.logger.warn({ err }, 'discovery redis client error'));
    }
  }

  /** `<prefix><env>:<appid>` */
  private appKey(appid: string): string {
    return `${this.prefix}${this.env}:${appid}`;
  }

  async register(input: InstanceInput): Promise<Registration> {
    this.checkOpen();
    const base = normalizeInput(input, this.env);
    const id = `${base.appid}/${base.hostname}`;
    const previous = this.registrations.get(id);
    const instance: Instance = { ...base, latest_timestamp: nextTimestamp(this.now(), previous?.instance.latest_timestamp) };
    const reg = new RedisRegistration(this, instance, this.appKey(base.appid));
    await reg.put();
    if (this.closed) {
      // close() ran while the write was in flight and could not see this registration.
      await reg.cancel().catch(() => undefined);
      throw closed();
    }
    // Re-registering a hostname this registry holds supersedes the old registration: it stops
    // renewing and will not delete the new value on cancel.
    previous?.supersede();
    this.registrations.set(id, reg);
    reg.startRenewing(Math.max(1, Math.floor((this.ttlSec * 1000) / 3)));
    return reg;
  }

  async fetch(appid: string): Promise<InstanceSnapshot> {
    this.checkOpen();
    checkName('appid', appid);
    return this.load(appid);
  }

  async watch(appid: string, onChange: SnapshotListener): Promise<Watch> {
    this.checkOpen();
    checkName('appid', appid);
    const w = new SnapshotWatch(appid, () => this.load(appid), onChange, this.logger, (x) => this.unwatch(x));
    this.watches.add(w);
    try {
      await this.subscribe(`${this.appKey(appid)}:changes`);
      this.startPolling();
      await w.start();
    } catch (err) {
      await this.unwatch(w);
      throw err instanceof RegistryError ? err : fail(`watch of ${appid}`, err);
    }
    return w;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    await cancelOnClose(this.registrations.values(), this.logger, 'key');
    for (const w of [...this.watches]) await w.stop();
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    if (this.subscriber) this.subscriber.disconnect();
    this.subscriber = undefined;
    if (this.ownsClient) await quit(this.client);
  }

  // ---- used by RedisRegistration ----

  /** @internal */
  async eval(script: string, keys: string[], args: Array<string | number>, what: string): Promise<unknown> {
    try {
      return await this.client.eval(script, keys.length, ...keys, ...args);
    } catch (err) {
      throw fail(what, err);
    }
  }

  /** @internal */
  scriptArgs(instance: Instance, json: string): Array<string | number> {
    // The index outlives instance keys a little, so it only vanishes once all of them have.
    return [json, this.ttlSec, instance.hostname, `${this.appKey(instance.appid)}:changes`, this.ttlSec * 3];
  }

  /** @internal */
  stamp(previous: number): number {
    return nextTimestamp(this.now(), previous);
  }

  /** @internal */
  forget(reg: RedisRegistration): void {
    const id = `${reg.instance.appid}/${reg.instance.hostname}`;
    if (this.registrations.get(id) === reg) this.registrations.delete(id);
  }

  /** @internal */
  get log(): RegistryLogger {
    return this.logger;
  }

  // ---- watches ----

  private async load(appid: string): Promise<InstanceSnapshot> {
    const key = this.appKey(appid);
    let values: string[];
    try {
      values = (await this.client.eval(LIST, 1, key, `${key}:`)) as string[];
    } catch (err) {
      throw fail(`fetch of ${appid}`, err);
    }
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
      sub.on('error', (err: Error) => this.logger.warn({ err }, 'discovery redis subscriber error'));
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
    await this.subscriber.subscribe(channel);
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      for (const w of this.watches) w.refresh();
    }, this.pollIntervalMs);
  }

  private async unwatch(w: SnapshotWatch): Promise<void> {
    this.watches.delete(w);
    const channel = `${this.appKey(w.appid)}:changes`;
    const stillUsed = [...this.watches].some((x) => `${this.appKey(x.appid)}:changes` === channel);
    if (!stillUsed && this.subscriber) {
      await this.subscriber.unsubscribe(channel).catch((err: unknown) => this.logger.warn({ err }, 'discovery unsubscribe failed'));
    }
    if (this.watches.size === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw closed();
  }
}

class RedisRegistration implements Registration {
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

  put(): Promise<void> {
    return this.serial(async () => {
      await this.owner.eval(PUT, this.keys, this.owner.scriptArgs(this.instance, this.json), `register of ${this.instance.hostname}`);
    });
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

async function quit(client: Redis): Promise<void> {
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
