import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Etcd3 } from 'etcd3';
import { requireService, uniquePrefix, waitFor } from '@goim/testkit';
import { EtcdRegistry, RegistryErrorCode, createRegistry, type InstanceSnapshot } from './index.js';
import { describeRegistryContract } from './testing/index.js';
import { expectKilledChildDropped } from './testing-fixtures/spawn-child.js';
import { cometInstance } from './testing-fixtures/instances.js';

const hosts = () => requireService('GOIM_TEST_ETCD_URL');
const prefix = `/${uniquePrefix('disc')}/`;

/**
 * A TCP relay between a registry and etcd. `kill()` cuts every connection and refuses new
 * ones: from etcd's side exactly what a SIGKILLed process looks like (keep-alives stop,
 * nothing is revoked). Closing the etcd3 client is not enough, because gRPC lets open
 * keep-alive streams run on after `close()`.
 */
async function relay(target: string): Promise<{ url: string; pause(): void; resume(): void; kill(): void }> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  let paused = false;
  const server = createServer((down) => {
    if (paused) {
      down.destroy();
      return;
    }
    const up = connect(Number(to.port), to.hostname);
    sockets.add(down).add(up);
    const drop = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Cuts the open connections and drops new ones until `resume()` (a network outage). */
    pause: () => {
      paused = true;
      for (const s of sockets) s.destroy();
    },
    resume: () => {
      paused = false;
    },
    kill: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describeRegistryContract(
  'EtcdRegistry (contract)',
  async ({ env, ttlSec }) => {
    const link = await relay(hosts());
    const client = new Etcd3({ hosts: link.url });
    // Short deadlines, so closing a registry whose link was cut does not outlast the test hook.
    const registry = new EtcdRegistry({ client, env, ttlSec, keyPrefix: prefix, callTimeoutMs: 1_000 });
    const close = registry.close.bind(registry);
    registry.close = async () => {
      await close();
      client.close();
      link.kill();
    };
    return {
      registry,
      crash: async () => {
        link.kill();
      },
    };
  },
  { supportsExpiry: true },
);

describe('EtcdRegistry', () => {
  let raw: Etcd3;
  beforeAll(() => {
    raw = new Etcd3({ hosts: hosts() });
  });
  afterAll(() => {
    raw.close();
  });


  it('writes goim’s instance JSON under <prefix><env>/<appid>/<hostname> on a lease of ttlSec', async () => {
    const r = new EtcdRegistry({ hosts: hosts(), env: 'prod', keyPrefix: prefix, ttlSec: 7 });
    const reg = await r.register(cometInstance('c1'));
    const key = `${prefix}prod/goim.comet/c1`;
    expect(JSON.parse((await raw.get(key).string())!)).toEqual(reg.instance);
    const kv = await raw.get(key).exec();
    const leaseId = kv.kvs[0]!.lease;
    const info = await raw.leaseClient.leaseTimeToLive({ ID: leaseId });
    expect(Number(info.grantedTTL)).toBe(7);
    await r.close();
    expect(await raw.get(key).string()).toBeNull();
  });

  it('grants a new lease and writes the instance again when its lease is revoked under it', async () => {
    const r = new EtcdRegistry({ hosts: hosts(), env: 'regrant', keyPrefix: prefix, ttlSec: 2, regrantDelayMs: 50 });
    const reg = await r.register(cometInstance('c2'));
    const key = `${prefix}regrant/goim.comet/c2`;
    const before = (await raw.get(key).exec()).kvs[0]!.lease;
    const seen: InstanceSnapshot[] = [];
    await r.watch('goim.comet', (s) => {
      seen.push(s);
    });
    // Revoke the lease from outside, as etcd does when keep-alives stopped reaching it.
    await raw.leaseClient.leaseRevoke({ ID: before });
    await waitFor(async () => {
      const kvs = (await raw.get(key).exec()).kvs;
      return kvs.length === 1 && String(kvs[0]!.lease) !== String(before);
    }, 'the key on a new lease', 8_000);
    await waitFor(() => seen[seen.length - 1]?.instances.length === 1, 'the instance back for watchers');
    await reg.update({ conn_count: '3' });
    expect(JSON.parse((await raw.get(key).string())!).metadata).toEqual({ conn_count: '3' });
    await r.close();
  }, 20_000);

  it('skips a corrupt value instead of failing the read', async () => {
    const r = new EtcdRegistry({ hosts: hosts(), env: 'corrupt', keyPrefix: prefix });
    await raw.put(`${prefix}corrupt/goim.comet/bad`).value('not json');
    await r.register(cometInstance('good'));
    expect((await r.fetch('goim.comet')).instances.map((i) => i.hostname)).toEqual(['good']);
    await raw.delete().key(`${prefix}corrupt/goim.comet/bad`);
    await r.close();
  });

  it('rejects with GOIM_ERR_REGISTRY_BACKEND when etcd is unreachable', async () => {
    const r = new EtcdRegistry({ hosts: 'http://127.0.0.1:1', callTimeoutMs: 300 });
    await expect(r.fetch('goim.comet')).rejects.toMatchObject({ code: RegistryErrorCode.BACKEND });
    await r.close();
  });

  it('drops the instance of a process killed with SIGKILL within TTL + margin', async () => {
    const ttlSec = 2;
    const observer = new EtcdRegistry({ hosts: hosts(), env: 'sigkill', keyPrefix: prefix, ttlSec });
    await expectKilledChildDropped(observer, { backend: 'etcd', url: hosts(), env: 'sigkill', ttlSec, keyPrefix: prefix });
    await observer.close();
  }, 40_000);

  it('is what createRegistry builds for type etcd', async () => {
    const r = createRegistry({ type: 'etcd', hosts: hosts(), env: 'factory', keyPrefix: prefix });
    expect(r).toBeInstanceOf(EtcdRegistry);
    const reg = await r.register({ ...cometInstance('made'), env: 'factory' });
    expect((await r.fetch('goim.comet')).instances).toEqual([reg.instance]);
    await r.close();
  });

  it('re-reads the prefix after its watcher reconnects, so changes made meanwhile are not missed', async () => {
    const link = await relay(hosts());
    const watcher = new EtcdRegistry({ hosts: link.url, env: 'blip', keyPrefix: prefix, disconnectedPollMs: 200 });
    const writer = new EtcdRegistry({ hosts: hosts(), env: 'blip', keyPrefix: prefix });
    const seen: InstanceSnapshot[] = [];
    const hostsSeen = () => (seen[seen.length - 1]?.instances ?? []).map((i) => i.hostname);
    await watcher.watch('goim.comet', (s) => {
      seen.push(s);
    });
    const a = await writer.register(cometInstance('a'));
    await waitFor(() => hostsSeen().join() === 'a', 'a');
    link.pause();
    await writer.register(cometInstance('b'));
    await a.cancel();
    await new Promise((r) => setTimeout(r, 500));
    expect(hostsSeen()).toEqual(['a']); // the outage hides the changes…
    link.resume();
    await waitFor(() => hostsSeen().join() === 'b', 'b alone after the reconnect', 15_000); // …until it ends
    await writer.close();
    await watcher.close();
    link.kill();
  }, 30_000);

  it('validates its options', () => {
    expect(() => new EtcdRegistry({})).toThrow(expect.objectContaining({ code: RegistryErrorCode.INVALID_OPTIONS }));
    expect(() => new EtcdRegistry({ hosts: hosts(), ttlSec: 1 })).toThrow(/ttlSec/);
    expect(() => new EtcdRegistry({ hosts: '127.0.0.1:2379' })).toThrow(/hosts/);
  });
});
