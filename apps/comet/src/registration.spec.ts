import { StaticRegistry, type Instance } from '@goim/discovery-client';
import { RpcError, RpcStatus, type Closable, type LogicService } from '@goim/protocol/rpc';
import { waitFor } from '@goim/testkit';
import { FollowingLogicClient, cometMetadata, followLogic, registerComet } from './registration.js';

/** A fake logic client recording which address served each call. */
function fakeFactory(failing = new Set<string>()) {
  const dialled: string[] = [];
  const closed: string[] = [];
  const served: string[] = [];
  const factory = (addr: string): Closable<LogicService> => {
    dialled.push(addr);
    const answer = async (): Promise<never> => {
      if (failing.has(addr)) throw new RpcError(RpcStatus.UNAVAILABLE, `${addr} down`);
      served.push(addr);
      return { addr } as never;
    };
    return {
      connect: answer,
      disconnect: answer,
      heartbeat: answer,
      renewOnline: answer,
      receive: answer,
      nodes: answer,
      close: () => closed.push(addr),
    };
  };
  return { factory, dialled, closed, served };
}

function logicInstance(hostname: string, port: number, zone = 'z1'): Instance {
  return {
    region: 'sh',
    zone,
    env: 'dev',
    appid: 'goim.logic',
    hostname,
    addrs: [`grpc://127.0.0.1:${port}`],
    version: '',
    latest_timestamp: 1,
    metadata: { weight: '10' },
  };
}

const req = {} as never;

describe('FollowingLogicClient', () => {
  it('fails with UNAVAILABLE while no logic is known', async () => {
    const f = fakeFactory();
    const client = new FollowingLogicClient({ createClient: f.factory });
    await expect(client.heartbeat(req)).rejects.toMatchObject({ code: RpcStatus.UNAVAILABLE });
  });

  it('spreads calls round-robin, keeps clients of unchanged instances, closes removed ones', async () => {
    const f = fakeFactory();
    const client = new FollowingLogicClient({ createClient: f.factory });
    client.update([logicInstance('l1', 1), logicInstance('l2', 2)]);
    expect(client.targets()).toEqual(['l1', 'l2']);
    for (let i = 0; i < 4; i++) await client.renewOnline(req);
    expect(f.served).toEqual(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:1', '127.0.0.1:2']);

    client.update([logicInstance('l2', 2), logicInstance('l3', 3)]);
    expect(f.dialled).toEqual(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']);
    expect(f.closed).toEqual(['127.0.0.1:1']);
    expect(client.targets()).toEqual(['l2', 'l3']);

    // Same hostname at a new address: the old client goes, a new one is dialled.
    client.update([logicInstance('l2', 22), logicInstance('l3', 3)]);
    expect(f.closed).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
    expect(f.dialled.at(-1)).toBe('127.0.0.1:22');

    client.close();
    expect(f.closed.sort()).toEqual(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:22', '127.0.0.1:3']);
    await expect(client.connect(req)).rejects.toMatchObject({ code: RpcStatus.UNAVAILABLE });
  });

  it('prefers logic instances of its own zone, else uses every zone (goim §2.9)', () => {
    const f = fakeFactory();
    const client = new FollowingLogicClient({ zone: 'z2', createClient: f.factory });
    client.update([logicInstance('a', 1, 'z1'), logicInstance('b', 2, 'z2')]);
    expect(client.targets()).toEqual(['b']);
    client.update([logicInstance('a', 1, 'z1')]);
    expect(client.targets()).toEqual(['a']);
  });

  it('skips instances without a grpc:// address', () => {
    const f = fakeFactory();
    const client = new FollowingLogicClient({ createClient: f.factory });
    client.update([{ ...logicInstance('a', 1), addrs: ['http://127.0.0.1:1'] }]);
    expect(client.targets()).toEqual([]);
    expect(f.dialled).toEqual([]);
  });

  it('retries a call that failed UNAVAILABLE once on the next instance', async () => {
    const f = fakeFactory(new Set(['127.0.0.1:1']));
    const client = new FollowingLogicClient({ createClient: f.factory });
    client.update([logicInstance('l1', 1), logicInstance('l2', 2)]);
    await expect(client.connect(req)).resolves.toEqual({ addr: '127.0.0.1:2' });
    const single = new FollowingLogicClient({ createClient: f.factory });
    single.update([logicInstance('l1', 1)]);
    await expect(single.connect(req)).rejects.toMatchObject({ code: RpcStatus.UNAVAILABLE });
  });

  it('follows goim.logic registrations through a registry watch', async () => {
    const registry = new StaticRegistry({ env: 'dev' });
    const f = fakeFactory();
    const client = new FollowingLogicClient({ createClient: f.factory });
    const watch = await followLogic(registry, client);
    expect(client.targets()).toEqual([]);
    const reg = await registry.register({ region: '', zone: '', appid: 'goim.logic', hostname: 'l9', addrs: ['grpc://127.0.0.1:9'], version: '', metadata: {} });
    await waitFor(() => client.targets().length === 1, 'registry change', 2_000);
    expect(client.targets()).toEqual(['l9']);
    await reg.cancel();
    await waitFor(() => client.targets().length === 0, 'registry change', 2_000);
    await watch.stop();
    await registry.close();
  });
});

describe('registerComet', () => {
  const id = { region: 'sh', zone: 'sh001', host: 'comet-a', weight: 7, offline: false, addrs: ['10.0.0.1', '10.0.0.2'], grpcAddr: '127.0.0.1:3109' };

  it("writes goim's metadata as strings", () => {
    expect(cometMetadata(id, { channels: 3, ips: 2 })).toEqual({
      weight: '7',
      offline: 'false',
      addrs: '10.0.0.1,10.0.0.2',
      conn_count: '3',
      ip_count: '2',
    });
  });

  it('registers as goim.comet, refreshes conn_count/ip_count every interval, and leaves on cancel', async () => {
    const registry = new StaticRegistry({ env: 'dev' });
    let load = { channels: 0, ips: 0 };
    const reg = await registerComet(registry, id, { stats: () => load }, { intervalMs: 20 });
    let snap = await registry.fetch('goim.comet');
    expect(snap.instances).toHaveLength(1);
    expect(snap.instances[0]).toMatchObject({ hostname: 'comet-a', zone: 'sh001', addrs: ['grpc://127.0.0.1:3109'] });
    expect(snap.instances[0]!.metadata).toMatchObject({ conn_count: '0', ip_count: '0', offline: 'false', weight: '7' });

    load = { channels: 5, ips: 4 };
    await waitFor(async () => (await registry.fetch('goim.comet')).instances[0]?.metadata.conn_count === '5', 'registry change', 2_000);
    snap = await registry.fetch('goim.comet');
    expect(snap.instances[0]!.metadata.ip_count).toBe('4');

    await reg.cancel();
    await reg.cancel();
    expect((await registry.fetch('goim.comet')).instances).toEqual([]);
    await registry.close();
  });
});
