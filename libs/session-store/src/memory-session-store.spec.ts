import { MemorySessionStore, SessionStoreError, SessionStoreErrorCode } from './index.js';
import { describeSessionStoreContract } from './testing/index.js';

describeSessionStoreContract('MemorySessionStore', ({ sessionTtlSec }) => {
  let t = 1_700_000_000_000;
  const store = new MemorySessionStore({ sessionTtlSec, now: () => t });
  return {
    store,
    elapse: async (ms) => {
      t += ms;
    },
  };
});

describe('MemorySessionStore', () => {
  it('rejects invalid options with GOIM_ERR_SESSION_STORE_INVALID_OPTIONS naming the property', () => {
    expect(() => new MemorySessionStore({ sessionTtlSec: 0 })).toThrow(/sessionTtlSec/);
    expect(() => new MemorySessionStore({ sessionTtlSec: 1.5 })).toThrow(SessionStoreError);
    expect(() => new MemorySessionStore({ bogus: 1 } as never)).toThrow(
      expect.objectContaining({ code: SessionStoreErrorCode.INVALID_OPTIONS }),
    );
  });

  it('gives each instance its own epoch: its data lives and dies with it', async () => {
    const a = new MemorySessionStore();
    const b = new MemorySessionStore();
    expect(await a.epoch()).not.toBe(await b.epoch());
    expect(await a.epoch()).toBe(await a.epoch());
  });

  it('uses a 30-minute TTL by default (goim redis.expire)', async () => {
    let t = 0;
    const store = new MemorySessionStore({ now: () => t });
    await store.addMapping(1, 'k', 's');
    t = 1800 * 1000 - 1;
    expect(await store.serversByKeys(['k'])).toEqual(['s']);
    t = 1800 * 1000;
    expect(await store.serversByKeys(['k'])).toEqual([undefined]);
  });

  it('frees expired entries on later writes without reading them', async () => {
    let t = 0;
    const store = new MemorySessionStore({ sessionTtlSec: 10, now: () => t });
    for (let i = 0; i < 1000; i++) await store.addMapping(i + 1, `old-${i}`, 's');
    t = 5_000;
    await store.addMapping(5000, 'refreshed-late', 's');
    await store.expireMapping(1, 'old-0'); // refreshed: lives to 15 s
    t = 11_000;
    await store.addMapping(0, 'trigger', 's');
    const internals = store as unknown as { keys: Map<string, unknown>; mids: Map<number, unknown> };
    expect([...internals.keys.keys()].sort()).toEqual(['old-0', 'refreshed-late', 'trigger']);
    expect([...internals.mids.keys()].sort()).toEqual([1, 5000]);
  });
});
