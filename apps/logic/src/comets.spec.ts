import { StaticRegistry } from '@goim/discovery-client';
import { waitFor } from '@goim/testkit';
import { StaticCometSource, registryCometSource } from './comets.js';

describe('StaticCometSource', () => {
  it('notifies listeners on set until they unsubscribe', () => {
    const src = new StaticCometSource();
    const seen: string[][] = [];
    const off = src.onChange((list) => seen.push(list.map((i) => i.hostname)));
    src.set([{ region: '', zone: '', env: '', appid: 'goim.comet', hostname: 'a', addrs: [], version: '', latest_timestamp: 0, metadata: {} }]);
    off();
    src.set([]);
    expect(seen).toEqual([['a']]);
    expect(src.current()).toEqual([]);
  });
});

describe('registryCometSource', () => {
  it('follows a discovery Registry watch of goim.comet', async () => {
    const registry = new StaticRegistry({
      instances: [
        { appid: 'goim.comet', hostname: 'c1', addrs: ['grpc://10.0.0.1:3109'], metadata: { weight: '10' } },
        { appid: 'goim.logic', hostname: 'l1', addrs: ['grpc://10.0.0.9:3119'] },
      ],
    });
    const src = await registryCometSource(registry);
    expect(src.current().map((i) => i.hostname)).toEqual(['c1']);
    const changes: string[][] = [];
    src.onChange((list) => changes.push(list.map((i) => i.hostname).sort()));
    const reg = await registry.register({ region: 'sh', zone: 'z', env: registry.env, appid: 'goim.comet', hostname: 'c2', addrs: [], version: '', metadata: {} });
    await waitFor(() => changes.some((c) => c.includes('c2')), 'c2 to appear');
    // Let the watch finish delivering c2 first: a change notice arriving in the same microtask
    // turn as the end of a reload is lost by the discovery-client's SnapshotWatch (reported).
    await new Promise((r) => setImmediate(r));
    await reg.cancel();
    await waitFor(() => src.current().every((i) => i.hostname !== 'c2'), 'c2 to disappear');
    await src.stop();
    await registry.close();
  });
});
