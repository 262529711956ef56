import { Cluster, Redis } from 'ioredis';
import { requireService, uniquePrefix, waitFor } from '@goim/testkit';
import { RedisRegistry, RegistryErrorCode, createRegistry, type InstanceSnapshot, type RedisRegistryOptions } from './index.js';
import { describeRegistryContract } from './testing/index.js';
import { expectKilledChildDropped } from './testing-fixtures/spawn-child.js';
import { cometInstance } from './testing-fixtures/instances.js';

const url = () => requireService('GOIM_TEST_REDIS_URL');
const clusterNodes = () => requireService('GOIM_TEST_REDIS_CLUSTER_NODES');
const prefix = uniquePrefix('disc');

function cluster(): Cluster {
  return new Cluster(
    clusterNodes()
      .split(',')
      .map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
}

/** One backend, two setups: the same contract and checks on a single Redis and on a 3-node Cluster. */
const variants: Array<{
  name: string;
  /** The connection options of `createRegistry`/the constructor. */
  connect: () => Pick<RedisRegistryOptions, 'url' | 'clusterNodes'>;
  /** A client of its own for one registry (crash() drops it) or for checking keys by hand. */
  client: () => Redis | Cluster;
}> = [
  { name: 'a single Redis', connect: () => ({ url: url() }), client: () => new Redis(url(), { maxRetriesPerRequest: 1 }) },
  { name: 'Redis Cluster', connect: () => ({ clusterNodes: clusterNodes() }), client: cluster },
];

for (const v of variants) {
  describeRegistryContract(
    `RedisRegistry on ${v.name} (contract)`,
    ({ env, ttlSec }) => {
      // The registry gets its own client, so crash() can drop the connection the way a killed
      // process does: no cancel, no more renewals.
      const client = v.client();
      const registry = new RedisRegistry({ client, env, ttlSec, keyPrefix: prefix, pollIntervalMs: 200 });
      const close = registry.close.bind(registry);
      registry.close = async () => {
        await close();
        client.disconnect();
      };
      return {
        registry,
        crash: async () => {
          client.disconnect();
        },
      };
    },
    { supportsExpiry: true },
  );

  describe(`RedisRegistry on ${v.name}`, () => {
    let raw: Redis | Cluster;
    beforeAll(() => {
      raw = v.client();
    });
    afterAll(async () => {
      await raw.quit();
    });


    it('writes goim’s instance JSON under {<prefix><env>:<appid>}:<hostname> with the TTL, indexed per appid', async () => {
      const r = new RedisRegistry({ ...v.connect(), env: 'prod', keyPrefix: prefix, ttlSec: 7 });
      const reg = await r.register(cometInstance('c1'));
      const key = `{${prefix}prod:goim.comet}:c1`;
      expect(JSON.parse((await raw.get(key))!)).toEqual(reg.instance);
      expect(await raw.ttl(key)).toBeGreaterThan(5);
      expect(await raw.smembers(`{${prefix}prod:goim.comet}`)).toEqual(['c1']);
      await r.close();
      expect(await raw.exists(key)).toBe(0);
    });

    it('announces changes on {<prefix><env>:<appid>}:changes', async () => {
      const sub = v.client();
      const got: string[] = [];
      sub.on('message', (ch: string, msg: string) => got.push(`${ch} ${msg}`));
      await sub.subscribe(`{${prefix}dev:goim.logic}:changes`);
      const r = new RedisRegistry({ ...v.connect(), keyPrefix: prefix });
      const reg = await r.register({ ...cometInstance('l1'), appid: 'goim.logic' });
      await reg.cancel();
      await waitFor(() => got.length >= 2, 'two notices');
      expect(got).toEqual([`{${prefix}dev:goim.logic}:changes l1`, `{${prefix}dev:goim.logic}:changes l1`]);
      await r.close();
      sub.disconnect();
    });

    it('writes its instance again when the key vanished (Redis flushed or restarted)', async () => {
      const r = new RedisRegistry({ ...v.connect(), env: 'flush', keyPrefix: prefix, ttlSec: 1 });
      await r.register(cometInstance('c2'));
      await raw.del(`{${prefix}flush:goim.comet}:c2`);
      await waitFor(async () => (await raw.exists(`{${prefix}flush:goim.comet}:c2`)) === 1, 'the key written again', 3_000);
      await r.close();
    });

    it('sees an expiry that publishes nothing through polling', async () => {
      const r = new RedisRegistry({ ...v.connect(), env: 'poll', keyPrefix: prefix, pollIntervalMs: 100 });
      // Written by hand, as a process that died right after registering would leave it.
      const ghost = { ...cometInstance('ghost'), env: 'poll', latest_timestamp: 1 };
      await raw.set(`{${prefix}poll:goim.comet}:ghost`, JSON.stringify(ghost), 'PX', 300);
      await raw.sadd(`{${prefix}poll:goim.comet}`, 'ghost');
      const seen: InstanceSnapshot[] = [];
      await r.watch('goim.comet', (s) => {
        seen.push(s);
      });
      expect(seen[0]!.instances.map((i) => i.hostname)).toEqual(['ghost']);
      await waitFor(() => seen.length === 2, 'the expiry', 2_000);
      expect(seen[1]!.instances).toEqual([]);
      expect(await raw.smembers(`{${prefix}poll:goim.comet}`)).toEqual([]);
      await r.close();
    });

    it('skips a corrupt value instead of failing the read', async () => {
      const r = new RedisRegistry({ ...v.connect(), env: 'corrupt', keyPrefix: prefix });
      await raw.set(`{${prefix}corrupt:goim.comet}:bad`, 'not json', 'EX', 5);
      await raw.sadd(`{${prefix}corrupt:goim.comet}`, 'bad');
      await r.register(cometInstance('good'));
      expect((await r.fetch('goim.comet')).instances.map((i) => i.hostname)).toEqual(['good']);
      await r.close();
    });

    it('drops the instance of a process killed with SIGKILL within TTL + margin', async () => {
      const ttlSec = 2;
      const observer = new RedisRegistry({ ...v.connect(), env: 'sigkill', keyPrefix: prefix, ttlSec, pollIntervalMs: 200 });
      await expectKilledChildDropped(observer, { backend: 'redis', ...v.connect(), env: 'sigkill', ttlSec, keyPrefix: prefix });
      await observer.close();
    }, 40_000);

    it('is what createRegistry builds for type redis', async () => {
      const r = createRegistry({ type: 'redis', ...v.connect(), env: 'factory', keyPrefix: prefix });
      expect(r).toBeInstanceOf(RedisRegistry);
      const reg = await r.register({ ...cometInstance('made'), env: 'factory' });
      expect((await r.fetch('goim.comet')).instances).toEqual([reg.instance]);
      await r.close();
    });
  });
}

describe('RedisRegistry', () => {
  it('keeps every key of one appid in one Cluster slot (one hash tag per env and appid)', async () => {
    const raw = cluster();
    const r = new RedisRegistry({ clusterNodes: clusterNodes(), env: 'slots', keyPrefix: prefix });
    await r.register({ region: '', zone: 'z', appid: 'goim.comet', hostname: 'a', addrs: [], version: '', metadata: {} });
    const slot = (k: string) => raw.call('CLUSTER', 'KEYSLOT', k) as Promise<number>;
    const tag = `{${prefix}slots:goim.comet}`;
    expect(new Set([await slot(tag), await slot(`${tag}:a`), await slot(`${tag}:some-other-host`)]).size).toBe(1);
    await r.close();
    await raw.quit();
  });

  it('rejects with GOIM_ERR_REGISTRY_BACKEND when Redis is unreachable', async () => {
    const r = new RedisRegistry({ url: 'redis://127.0.0.1:1', callTimeoutMs: 200 });
    await expect(r.fetch('goim.comet')).rejects.toMatchObject({ code: RegistryErrorCode.BACKEND });
    await r.close();
  });

  it('validates its options', () => {
    expect(() => new RedisRegistry({})).toThrow(expect.objectContaining({ code: RegistryErrorCode.INVALID_OPTIONS }));
    expect(() => new RedisRegistry({ url: url(), ttlSec: 0 })).toThrow(/ttlSec/);
    expect(() => new RedisRegistry({ url: url(), pollIntervalMs: 1.5 })).toThrow(/pollIntervalMs/);
    expect(() => new RedisRegistry({ url: 'http://x' })).toThrow(/url/);
    expect(() => new RedisRegistry({ url: url(), clusterNodes: clusterNodes() })).toThrow(/exactly one/);
    expect(() => new RedisRegistry({ clusterNodes: 'no-port' })).toThrow(/clusterNodes/);
    expect(() => new RedisRegistry({ url: url(), keyPrefix: 'a{b}' })).toThrow(/keyPrefix/);
    expect(() => new RedisRegistry({ url: url(), attemptTimeoutMs: 0 })).toThrow(/attemptTimeoutMs/);
  });
});
