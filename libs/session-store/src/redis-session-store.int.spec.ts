import { Cluster, Redis } from 'ioredis';
import { cityHash32 } from '@goim/bucket';
import { loadVectors, requireService, uniquePrefix } from '@goim/testkit';
import { startRedis, startRedisCluster, type StartedRedis, type StartedRedisCluster } from '@goim/test-services';
import { RedisSessionStore, SessionStoreError, SessionStoreErrorCode, type RedisSessionStoreOptions } from './index.js';
import { describeSessionStoreContract, describeSharedSessionStoreContract } from './testing/index.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Variant {
  name: string;
  /** Options that make the store create its own client. */
  options: () => RedisSessionStoreOptions;
  /** A raw client on the same engine, for reading and writing bytes directly. */
  raw: () => Redis | Cluster;
}

const variants: Variant[] = [
  {
    name: 'single Redis',
    options: () => ({ url: requireService('GOIM_TEST_REDIS_URL') }),
    raw: () => new Redis(requireService('GOIM_TEST_REDIS_URL')),
  },
  {
    name: 'Redis Cluster',
    options: () => ({ clusterNodes: requireService('GOIM_TEST_REDIS_CLUSTER_NODES') }),
    raw: () =>
      new Cluster(
        requireService('GOIM_TEST_REDIS_CLUSTER_NODES')
          .split(',')
          .map((hp) => ({ host: hp.split(':')[0]!, port: Number(hp.split(':')[1]) })),
      ),
  },
];

interface CityVector {
  group: string;
  input_utf8?: string;
  mod64: number;
}
// Room names whose shard (CityHash32 % 64) is fixed by the shared conformance vectors, so the
// shard placement is checked against independent values, not against our own hash.
const vectorRooms = loadVectors<{ vectors: CityVector[] }>('cityhash32.json').vectors.filter(
  (v) => ['published', 'ascii', 'utf8'].includes(v.group) && v.input_utf8 !== undefined,
) as Required<CityVector>[];

/** goim's shard JSON as a Go logic writes it: fields in struct order, map keys in UTF-8 byte order. */
function goShardJson(server: string, rooms: [string, number][], updated: number): string {
  const sorted = [...rooms].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{"server":${JSON.stringify(server)},"room_count":{${sorted.map(([r, c]) => `${JSON.stringify(r)}:${c}`).join(',')}},"updated":${updated}}`;
}

for (const v of variants) {
  describeSessionStoreContract(`RedisSessionStore on ${v.name}`, ({ sessionTtlSec }) => ({
    store: new RedisSessionStore({ ...v.options(), sessionTtlSec } as RedisSessionStoreOptions),
    elapse: sleep,
  }));

  describe(`RedisSessionStore on ${v.name}: goim's bytes`, () => {
    let raw: Redis | Cluster;
    let store: RedisSessionStore;
    let prefix: string;
    beforeAll(() => {
      raw = v.raw();
    });
    afterAll(async () => {
      await raw.quit();
    });
    beforeEach(() => {
      store = new RedisSessionStore(v.options());
      prefix = uniquePrefix('ss');
    });
    afterEach(async () => {
      await store.close();
    });
    const newMid = () => 2_000_000_000 + Math.floor(Math.random() * 1e12);

    it('writes mid_<mid> as a hash key → server and key_<key> as a string, both with TTL 1800', async () => {
      const mid = newMid();
      const key = `${prefix}k`;
      await store.addMapping(mid, key, 'comet-1');
      expect(await raw.type(`mid_${mid}`)).toBe('hash');
      expect(await raw.hgetall(`mid_${mid}`)).toEqual({ [key]: 'comet-1' });
      expect(await raw.type(`key_${key}`)).toBe('string');
      expect(await raw.get(`key_${key}`)).toBe('comet-1');
      for (const name of [`mid_${mid}`, `key_${key}`]) {
        const ttl = await raw.ttl(name);
        expect(ttl).toBeGreaterThan(1790);
        expect(ttl).toBeLessThanOrEqual(1800);
      }
    });

    it('writes all 64 ol_<server> fields, each room in field CityHash32(room) % 64, JSON as Go writes it', async () => {
      const server = `${prefix}comet`;
      const roomCount: Record<string, number> = {};
      vectorRooms.forEach((r, i) => (roomCount[r.input_utf8] = i + 1));
      const updated = 1_700_000_321;
      await store.addServerOnline({ server, roomCount, updated });

      const fields = await raw.hgetall(`ol_${server}`);
      expect(Object.keys(fields).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 64 }, (_, i) => String(i)));
      for (let shard = 0; shard < 64; shard++) {
        const rooms = vectorRooms.filter((r) => r.mod64 === shard).map((r): [string, number] => [r.input_utf8, roomCount[r.input_utf8]!]);
        expect(fields[String(shard)]).toBe(goShardJson(server, rooms, updated));
      }
      const ttl = await raw.ttl(`ol_${server}`);
      expect(ttl).toBeGreaterThan(1790);
      expect(ttl).toBeLessThanOrEqual(1800);
    });

    it('escapes <, > and & in room names as Go does (\\u003c \\u003e \\u0026)', async () => {
      const server = `${prefix}comet`;
      const room = 'live://<a&b>';
      await store.addServerOnline({ server, roomCount: { [room]: 5 }, updated: 7 });
      const field = String(cityHash32(room) % 64);
      expect(await raw.hget(`ol_${server}`, field)).toBe(
        `{"server":${JSON.stringify(server)},"room_count":{"live://\\u003ca\\u0026b\\u003e":5},"updated":7}`,
      );
    });

    it('reads back identically the way a goim Go logic does (64 HGETs, merged, newest updated)', async () => {
      const server = `${prefix}comet`;
      const roomCount: Record<string, number> = {};
      for (let i = 0; i < 500; i++) roomCount[`live://${i}`] = i;
      await store.addServerOnline({ server, roomCount, updated: 1_700_000_000 });
      const merged: Record<string, number> = {};
      let updated = 0;
      for (let i = 0; i < 64; i++) {
        const json = await raw.hget(`ol_${server}`, String(i));
        if (json === null) continue;
        const o = JSON.parse(json) as { server: string; room_count: Record<string, number>; updated: number };
        expect(o.server).toBe(server);
        Object.assign(merged, o.room_count);
        updated = Math.max(updated, o.updated);
      }
      expect(merged).toEqual(roomCount);
      expect(updated).toBe(1_700_000_000);
    });

    it('reads ol_ shards written by a Go logic (only non-empty fields, escaped names, null map)', async () => {
      const server = `${prefix}comet`;
      const name = `ol_${server}`;
      await raw.hset(name, String(cityHash32('live://1000') % 64), goShardJson(server, [['live://1000', 12]], 1_700_000_100));
      await raw.hset(name, '63', `{"server":${JSON.stringify(server)},"room_count":{"x://\\u003c\\u003e":3},"updated":1700000200}`);
      await raw.hset(name, '1', `{"server":${JSON.stringify(server)},"room_count":null,"updated":1700000050}`);
      await raw.expire(name, 60);
      expect(await store.serverOnline(server)).toEqual({
        server,
        roomCount: { 'live://1000': 12, 'x://<>': 3 },
        updated: 1_700_000_200,
      });
    });

    it('rejects a corrupt ol_ shard with GOIM_ERR_SESSION_STORE_BAD_ONLINE_DATA', async () => {
      const server = `${prefix}comet`;
      await raw.hset(`ol_${server}`, '5', 'not json');
      await raw.expire(`ol_${server}`, 60);
      await expect(store.serverOnline(server)).rejects.toMatchObject({ code: SessionStoreErrorCode.BAD_ONLINE_DATA });
    });

    it('finds and compare-deletes mappings written by a Go logic', async () => {
      const mid = newMid();
      const [k1, k2] = [`${prefix}k1`, `${prefix}k2`];
      await raw.hset(`mid_${mid}`, k1, 'go-comet', k2, 'other-comet');
      await raw.set(`key_${k1}`, 'go-comet');
      await raw.set(`key_${k2}`, 'other-comet');
      expect(await store.serversByKeys([k1, k2])).toEqual(['go-comet', 'other-comet']);
      expect(await store.keysByMids([mid])).toEqual(new Map([[k1, 'go-comet'], [k2, 'other-comet']]));
      expect(await store.delMapping(mid, k1, 'go-comet')).toBe(true);
      expect(await store.delMapping(mid, k2, 'go-comet')).toBe(false);
      expect(await raw.exists(`key_${k1}`)).toBe(0);
      expect(await raw.hgetall(`mid_${mid}`)).toEqual({ [k2]: 'other-comet' });
      expect(await raw.get(`key_${k2}`)).toBe('other-comet');
      await raw.del(`mid_${mid}`);
      await raw.del(`key_${k2}`);
    });

    it('keeps the newer session when two logic processes race a same-key reconnect (two connections)', async () => {
      const logicB = new RedisSessionStore(v.options()); // comet B's Connect goes through another logic
      try {
        const cases = Array.from({ length: 300 }, (_, i) => ({ mid: i % 3 === 0 ? 0 : newMid(), key: `${prefix}race-${i}` }));
        await Promise.all(cases.map(({ mid, key }) => store.addMapping(mid, key, 'comet-a')));
        // A's stale disconnects and B's reconnects all in flight at once, on different sockets
        const deleted = await Promise.all(
          cases.flatMap(({ mid, key }) => [store.delMapping(mid, key, 'comet-a'), logicB.addMapping(mid, key, 'comet-b').then(() => false)]),
        );
        expect(deleted.length).toBe(600);
        for (const { mid, key } of cases) {
          expect(await raw.get(`key_${key}`)).toBe('comet-b');
          if (mid > 0) expect(await raw.hget(`mid_${mid}`, key)).toBe('comet-b');
        }
      } finally {
        await logicB.close();
      }
    });

    it('deletes ol_<server> on delServerOnline', async () => {
      const server = `${prefix}comet`;
      await store.addServerOnline({ server, roomCount: { 'live://1': 1 }, updated: 1 });
      expect(await raw.exists(`ol_${server}`)).toBe(1);
      await store.delServerOnline(server);
      expect(await raw.exists(`ol_${server}`)).toBe(0);
    });

    it('works on a client the caller owns and leaves it open on close', async () => {
      const client = v.raw();
      const own = new RedisSessionStore({ client, sessionTtlSec: 60 });
      const key = `${prefix}own`;
      await own.addMapping(0, key, 'comet-1');
      expect(await raw.ttl(`key_${key}`)).toBeLessThanOrEqual(60);
      await own.close();
      expect(await client.get(`key_${key}`)).toBe('comet-1');
      await client.quit();
    });
  });
}

// Losing the data needs FLUSHALL, which would wipe the suites sharing the engines from
// `npm test`; so these run on a Redis and a 3-master Cluster of their own.
describe('RedisSessionStore when Redis loses its data', () => {
  let single: StartedRedis | undefined;
  let cluster: StartedRedisCluster | undefined;
  beforeAll(async () => {
    [single, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([single?.stop(), cluster?.stop()]);
  }, 30_000);

  describeSharedSessionStoreContract('on a single Redis', () => ({
    open: () => new RedisSessionStore({ url: single!.url }),
    wipe: async () => {
      const raw = new Redis(single!.url);
      try {
        await raw.flushall();
      } finally {
        await raw.quit();
      }
    },
  }));

  describeSharedSessionStoreContract('on a 3-master Redis Cluster', () => ({
    open: () => new RedisSessionStore({ clusterNodes: cluster!.nodes }),
    wipe: async () => {
      // FLUSHALL is per node: every master, or the slot holding the epoch may survive.
      const raw = new Cluster(cluster!.ports.map((port) => ({ host: '127.0.0.1', port })));
      try {
        const masters = await waitForMasters(raw, cluster!.ports.length);
        await Promise.all(masters.map((m) => m.flushall()));
      } finally {
        await raw.quit();
      }
    },
  }));
});

/** The cluster's masters once the client has loaded the slot map. */
async function waitForMasters(raw: Cluster, n: number): Promise<Redis[]> {
  if (raw.status !== 'ready') await new Promise<void>((resolve, reject) => raw.once('ready', resolve).once('error', reject));
  const masters = raw.nodes('master');
  if (masters.length !== n) throw new Error(`expected ${n} masters, the cluster client knows ${masters.length}`);
  return masters;
}

describe('RedisSessionStore after a dropped connection', () => {
  it('reconnects by itself and serves the next calls', async () => {
    const url = requireService('GOIM_TEST_REDIS_URL');
    const client = new Redis(url);
    const admin = new Redis(url);
    const store = new RedisSessionStore({ client });
    try {
      const key = `${uniquePrefix('drop')}k`;
      await store.addMapping(0, key, 'comet-1');
      const id = (await client.client('ID')) as number;
      expect(await admin.client('KILL', 'ID', String(id))).toBe(1);
      expect(await store.serversByKeys([key])).toEqual(['comet-1']);
      expect(await client.client('ID')).not.toBe(id);
      expect(await store.delMapping(0, key, 'comet-1')).toBe(true);
    } finally {
      await store.close();
      await client.quit();
      await admin.quit();
    }
  });
});

describe('RedisSessionStore options and outages', () => {
  it('rejects conflicting or missing addresses with GOIM_ERR_SESSION_STORE_INVALID_OPTIONS', () => {
    const invalid = expect.objectContaining({ code: SessionStoreErrorCode.INVALID_OPTIONS });
    expect(() => new RedisSessionStore({ url: 'redis://127.0.0.1:1', clusterNodes: '127.0.0.1:2' })).toThrow(/mutually exclusive/);
    expect(() => new RedisSessionStore({} as RedisSessionStoreOptions)).toThrow(/`url` or `clusterNodes`/);
    expect(() => new RedisSessionStore({ url: 'http://x' })).toThrow(invalid);
    expect(() => new RedisSessionStore({ clusterNodes: ['no-port'] })).toThrow(/clusterNodes/);
    expect(() => new RedisSessionStore({ url: 'redis://127.0.0.1:1', sessionTtlSec: 0 })).toThrow(/sessionTtlSec/);
    expect(() => new RedisSessionStore({ url: 'redis://127.0.0.1:1', bogus: 1 } as RedisSessionStoreOptions)).toThrow(invalid);
    const client = new Redis({ lazyConnect: true });
    expect(() => new RedisSessionStore({ client, url: 'redis://127.0.0.1:1' } as unknown as RedisSessionStoreOptions)).toThrow(
      /`client` and `url` are mutually exclusive/,
    );
    expect(() => new RedisSessionStore({ client: {} as Redis })).toThrow(/ioredis Redis or Cluster/);
    client.disconnect();
  });

  it.each([
    ['a single Redis', { url: 'redis://127.0.0.1:1' }],
    ['a Redis Cluster', { clusterNodes: '127.0.0.1:1,127.0.0.1:2' }],
  ])('rejects calls with GOIM_ERR_SESSION_STORE_BACKEND while %s is down, without crashing', async (_, address) => {
    const warnings: unknown[] = [];
    const logger = {
      trace() {},
      debug() {},
      info() {},
      warn: (obj: object) => warnings.push(obj),
      error() {},
      fatal() {},
      child() {
        return logger;
      },
    };
    const store = new RedisSessionStore({ ...address, connectTimeoutMs: 200, commandTimeoutMs: 200, maxRetriesPerRequest: 0, logger });
    const started = Date.now();
    const err = await store.addMapping(1, 'k', 's').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionStoreError);
    expect((err as SessionStoreError).code).toBe(SessionStoreErrorCode.BACKEND);
    expect((err as SessionStoreError).cause).toBeDefined();
    await expect(store.ping()).rejects.toMatchObject({ code: SessionStoreErrorCode.BACKEND });
    expect(Date.now() - started).toBeLessThan(3000);
    await sleep(300); // several reconnect attempts: logged once
    expect(warnings.length).toBe(1);
    await store.close();
  });
});
