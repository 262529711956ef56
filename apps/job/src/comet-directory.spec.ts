import type { Instance, InstanceSnapshot, Registry } from '@goim/discovery-client';
import { followRegistry, instanceGrpcAddr, MemoryCometDirectory } from './comet-directory.js';
import { startFakeComet } from './testing/fake-comet.js';

const instance = (hostname: string, addrs: string[], zone = 'z1'): Instance => ({
  region: 'sh',
  zone,
  env: 'dev',
  appid: 'goim.comet',
  hostname,
  addrs,
  version: '',
  latest_timestamp: 0,
  metadata: {},
});

/** A registry fake that only pushes snapshots to a watcher (the adapters have their own contract suite). */
function snapshotRegistry() {
  let listener: ((s: InstanceSnapshot) => void) | undefined;
  const registry = {
    watch: async (_appid: string, cb: (s: InstanceSnapshot) => void) => {
      listener = cb;
      return { stop: async () => undefined };
    },
  } as unknown as Registry;
  const emit = (instances: Instance[]) => listener!({ appid: 'goim.comet', instances, zones: {} });
  return { registry, emit };
}

describe('MemoryCometDirectory', () => {
  it('notifies on set/remove and reaches a comet over gRPC by address', async () => {
    const fc = await startFakeComet('c1');
    const dir = MemoryCometDirectory.fromAddresses([{ hostname: 'c1', addr: `grpc://${fc.addr}`, zone: 'z' }]);
    try {
      let changes = 0;
      const off = dir.onChange(() => changes++);
      expect(dir.get('c1')).toMatchObject({ hostname: 'c1', zone: 'z' });
      await dir.get('c1')!.service.pushMsg({ keys: ['k'], protoOp: 1, msgID: 'm', proto: undefined });
      expect(fc.pushes).toHaveLength(1);
      expect(dir.remove('c1')).toBe(true);
      expect(dir.remove('c1')).toBe(false);
      expect(changes).toBe(1);
      off();
      dir.setAddress({ hostname: 'c2', addr: fc.addr });
      expect(changes).toBe(1);
      expect(dir.list().map((c) => c.hostname)).toEqual(['c2']);
    } finally {
      await dir.close();
      await dir.close();
      await fc.close();
    }
  });

  it('follows registry snapshots, keeping clients of unchanged comets', async () => {
    const dir = new MemoryCometDirectory();
    const { registry, emit } = snapshotRegistry();
    await followRegistry(dir, registry);
    emit([instance('a', ['grpc://127.0.0.1:3109']), instance('b', ['tcp://x:1'], 'z2')]);
    const a = dir.get('a');
    expect(dir.list().map((c) => c.hostname)).toEqual(['a']); // b has no grpc address
    emit([instance('a', ['grpc://127.0.0.1:3109']), instance('c', ['grpc://127.0.0.1:3110'], 'z2')]);
    expect(dir.get('a')).toBe(a);
    expect(dir.get('c')).toMatchObject({ zone: 'z2' });
    emit([]);
    expect(dir.list()).toEqual([]);
    await dir.close();
  });

  it('notifies only when a snapshot changes the comet set, not on metadata-only updates', async () => {
    const dir = new MemoryCometDirectory();
    const { registry, emit } = snapshotRegistry();
    await followRegistry(dir, registry);
    let changes = 0;
    dir.onChange(() => changes++);
    emit([instance('a', ['grpc://127.0.0.1:3109'])]);
    expect(changes).toBe(1);
    // The 10-s conn_count refresh: same hostname, address and zone.
    emit([{ ...instance('a', ['grpc://127.0.0.1:3109']), metadata: { conn_count: '5' }, latest_timestamp: 2 }]);
    expect(changes).toBe(1);
    emit([instance('a', ['grpc://127.0.0.1:3111'])]);
    expect(changes).toBe(2);
    emit([]);
    expect(changes).toBe(3);
    await dir.close();
  });

  it('picks the grpc:// address of an instance', () => {
    expect(instanceGrpcAddr(instance('a', ['http://h:1', 'grpc://h:3109']))).toBe('grpc://h:3109');
    expect(instanceGrpcAddr(instance('a', []))).toBeUndefined();
  });
});
