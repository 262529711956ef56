/**
 * Discovery down at startup: a registry is created, and `watch`/`register` are called, while
 * its backend does not run yet; the backend then starts on that address. Each test starts its
 * own etcd / redis-server (through @goim/test-services) so it can decide when it comes up.
 */
import { Etcd3 } from 'etcd3';
import { Cluster, Redis } from 'ioredis';
import { freePort, startEtcd, startRedis, startRedisCluster } from '@goim/test-services';
import { waitFor } from '@goim/testkit';
import { EtcdRegistry, RedisRegistry, RegistryErrorCode, type InstanceSnapshot, type RegistryLogger } from './index.js';
import { cometInstance } from './testing-fixtures/instances.js';

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function recorder(): { lines: Line[]; logger: RegistryLogger } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Short deadlines so a test sees several abandoned attempts within a few seconds. */
const FAST = { attemptTimeoutMs: 600, retryMaxDelayMs: 500, callTimeoutMs: 400 };

const retries = (lines: Line[], what: string) => lines.filter((l) => l.level === 'warn' && l.msg === `discovery ${what} failed; retrying`);

describe('EtcdRegistry with etcd down at start', () => {
  it('keeps retrying watch and register (hung attempts abandoned at the deadline), settles once etcd is up, and leaks no watcher or lease', async () => {
    const port = await freePort();
    const hosts = `http://127.0.0.1:${port}`;
    const { lines, logger } = recorder();
    const r = new EtcdRegistry({ hosts, env: 'outage', ...FAST, logger });
    const seen: InstanceSnapshot[] = [];
    const watching = r.watch('goim.comet', (s) => {
      seen.push(s);
    });
    const registering = r.register(cometInstance('c1'));
    await waitFor(() => retries(lines, 'watch of goim.comet').length >= 2 && retries(lines, 'register of goim.comet/c1').length >= 2, 'two failed attempts of each', 15_000);
    // etcd3 creates a watcher only once connected: the watch attempt hangs and is abandoned.
    const watchFailure = retries(lines, 'watch of goim.comet')[0]!;
    expect(watchFailure.obj).toMatchObject({ backend: `etcd ${hosts}`, appid: 'goim.comet', attempt: 1 });
    expect((watchFailure.obj['err'] as { code: string }).code).toBe(RegistryErrorCode.TIMEOUT);
    expect(retries(lines, 'register of goim.comet/c1')[0]!.obj).toMatchObject({ backend: `etcd ${hosts}`, hostname: 'c1' });
    expect(seen).toEqual([]);

    const etcd = await startEtcd({ port });
    const raw = new Etcd3({ hosts });
    try {
      const [watch] = await Promise.all([watching, registering]);
      await waitFor(() => seen[seen.length - 1]?.instances.map((i) => i.hostname).join() === 'c1', 'the registration seen by the watch', 10_000);
      expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(
        expect.arrayContaining(['discovery watch of goim.comet established', 'discovery register of goim.comet/c1 established']),
      );
      // etcd's own counters: one watcher and one lease, however many attempts were given up.
      const metrics = await (await fetch(`${hosts}/metrics`)).text();
      expect(/^etcd_debugging_mvcc_watcher_total (\d+)$/m.exec(metrics)?.[1]).toBe('1');
      expect((await raw.leaseClient.leaseLeases({})).leases).toHaveLength(1);
      await watch.stop();
      await r.close();
      await waitFor(async () => (await raw.leaseClient.leaseLeases({})).leases.length === 0, 'the lease revoked on close');
    } finally {
      await r.close();
      raw.close();
      await etcd.stop();
    }
  }, 60_000);

  it('rejects with GOIM_ERR_REGISTRY_TIMEOUT after one attempt when retries are off (retryMaxDelayMs 0)', async () => {
    const port = await freePort();
    const r = new EtcdRegistry({ hosts: `http://127.0.0.1:${port}`, ...FAST, retryMaxDelayMs: 0 });
    await expect(r.watch('goim.comet', () => {})).rejects.toMatchObject({ code: RegistryErrorCode.TIMEOUT });
    await r.close();
  });

  it('close() ends a watch that is still waiting for etcd with GOIM_ERR_REGISTRY_CLOSED', async () => {
    const port = await freePort();
    const r = new EtcdRegistry({ hosts: `http://127.0.0.1:${port}`, ...FAST });
    const watching = r.watch('goim.comet', () => {});
    await new Promise((res) => setTimeout(res, 300));
    await r.close();
    await expect(watching).rejects.toMatchObject({ code: RegistryErrorCode.CLOSED });
  });
});

describe('RedisRegistry with Redis down at start', () => {
  it('keeps retrying watch and register, logs the outage once per connection, settles once Redis is up, and leaks no client, subscription or key', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const { lines, logger } = recorder();
    const r = new RedisRegistry({ url, env: 'outage', keyPrefix: 'outage:', ...FAST, logger });
    const seen: InstanceSnapshot[] = [];
    const watching = r.watch('goim.comet', (s) => {
      seen.push(s);
    });
    const registering = r.register(cometInstance('c1'));
    await waitFor(() => retries(lines, 'watch of goim.comet').length >= 2 && retries(lines, 'register of goim.comet/c1').length >= 2, 'two failed attempts of each', 15_000);
    expect(retries(lines, 'watch of goim.comet')[0]!.obj).toMatchObject({ backend: `redis ${url}`, appid: 'goim.comet', attempt: 1 });
    // ioredis reconnects several times a second; the registry says so once per connection.
    const outages = lines.filter((l) => l.msg === 'discovery redis unreachable; reconnecting');
    expect(outages.map((l) => l.obj['role']).sort()).toEqual(['client', 'subscriber']);
    expect(outages[0]!.obj['backend']).toBe(`redis ${url}`);

    const redis = await startRedis({ port });
    const raw = new Redis(url);
    try {
      await Promise.all([watching, registering]);
      await waitFor(() => seen[seen.length - 1]?.instances.map((i) => i.hostname).join() === 'c1', 'the registration seen by the watch', 10_000);
      expect(lines.filter((l) => l.msg === 'discovery redis reachable again')).toHaveLength(2);
      // Exactly the registry's two connections (commands, pub/sub) besides this checker, one
      // subscription, and the registration's two keys, however many attempts were given up.
      const clients = ((await raw.call('CLIENT', 'LIST')) as string).trim().split('\n');
      expect(clients).toHaveLength(3);
      expect(await raw.call('PUBSUB', 'NUMSUB', '{outage:outage:goim.comet}:changes')).toEqual(['{outage:outage:goim.comet}:changes', 1]);
      expect((await raw.keys('*')).sort()).toEqual(['{outage:outage:goim.comet}', '{outage:outage:goim.comet}:c1']);
      await r.close();
      await waitFor(async () => ((await raw.call('CLIENT', 'LIST')) as string).trim().split('\n').length === 1, 'the registry’s connections closed');
      expect(await raw.keys('*')).toEqual([]);
    } finally {
      await r.close();
      raw.disconnect();
      await redis.stop();
    }
  }, 60_000);
});

describe('RedisRegistry with its Redis Cluster down at start', () => {
  it('retries watch and register (each command bounded, never queued for ever), then settles once the cluster is formed', async () => {
    const ports: [number, number, number] = [await freePort(), await freePort(), await freePort()];
    const clusterNodes = ports.map((p) => `127.0.0.1:${p}`).join(',');
    const { lines, logger } = recorder();
    const r = new RedisRegistry({ clusterNodes, env: 'outage', keyPrefix: 'outage:', ...FAST, logger });
    const seen: InstanceSnapshot[] = [];
    const watching = r.watch('goim.comet', (s) => {
      seen.push(s);
    });
    const registering = r.register(cometInstance('c1'));
    await waitFor(() => retries(lines, 'watch of goim.comet').length >= 2 && retries(lines, 'register of goim.comet/c1').length >= 2, 'two failed attempts of each', 15_000);
    expect(retries(lines, 'watch of goim.comet')[0]!.obj).toMatchObject({ backend: `redis-cluster ${clusterNodes}`, attempt: 1 });

    const cluster = await startRedisCluster({ ports });
    const raw = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      await Promise.all([watching, registering]);
      await waitFor(() => seen[seen.length - 1]?.instances.map((i) => i.hostname).join() === 'c1', 'the registration seen by the watch', 15_000);
      // The registration's two keys and nothing else, however many attempts were given up.
      const keys = (await Promise.all(raw.nodes('master').map((n) => n.keys('*')))).flat().sort();
      expect(keys).toEqual(['{outage:outage:goim.comet}', '{outage:outage:goim.comet}:c1']);
      await r.close();
      expect((await Promise.all(raw.nodes('master').map((n) => n.keys('*')))).flat()).toEqual([]);
    } finally {
      await r.close();
      raw.disconnect();
      await cluster.stop();
    }
  }, 90_000);
});
