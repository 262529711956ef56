import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DisconnectCode } from '@goim/protocol';
import { BucketError, Buckets, DEFAULT_BUCKET_COUNT, version, bucketIndex } from './index.js';
import type { BucketsOptions, Channel } from './index.js';
import { RecordingSink } from './testing/index.js';

function setup(opts: BucketsOptions = {}) {
  const passes: (() => void)[] = [];
  const buckets = new Buckets({ size: 4, defer: (fn) => passes.push(fn), ...opts });
  const tick = (): void => {
    for (const fn of passes.splice(0)) fn();
  };
  const open = (key: string, init: { mid?: number; ip?: string; accepts?: number[]; room?: string } = {}) => {
    const sink = new RecordingSink();
    const ch = buckets.newChannel({ key, sink, mid: init.mid, ip: init.ip, accepts: init.accepts });
    buckets.put(ch, init.room);
    return { ch, sink };
  };
  return { buckets, tick, open };
}

/** `n` keys that land in `n` different buckets of `size`. */
function keysInDistinctBuckets(n: number, size: number): string[] {
  const seen = new Map<number, string>();
  for (let i = 0; seen.size < n; i++) {
    const key = `key-${i}`;
    const b = bucketIndex(key, size);
    if (!seen.has(b)) seen.set(b, key);
  }
  return [...seen.values()];
}

/** Two keys in the same bucket of `size`. */
function keysInSameBucket(size: number): [string, string] {
  const first = 'same-0';
  for (let i = 1; ; i++) if (bucketIndex(`same-${i}`, size) === bucketIndex(first, size)) return [first, `same-${i}`];
}

const body = (s: string): Uint8Array => new TextEncoder().encode(s);
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof BucketError ? err.code : `not a BucketError: ${String(err)}`;
  }
  return undefined;
};

describe('Buckets', () => {
  it('exports the package.json version', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(version).toBe(pkg.version);
  });

  describe('options', () => {
    it('defaults to 32 buckets and a 1 MiB outbound bound', () => {
      const b = new Buckets();
      expect(DEFAULT_BUCKET_COUNT).toBe(32);
      expect(b.size).toBe(32);
      expect(b.buckets).toHaveLength(32);
      expect(b.maxOutboundBytes).toBe(1024 * 1024);
    });

    it.each<[keyof BucketsOptions, number]>([
      ['size', 0],
      ['size', 2.5],
      ['maxOutboundBytes', 0],
      ['maxRoomsPerChannel', -1],
    ])('rejects %s = %p with GOIM_ERR_BUCKET_INVALID_OPTION naming it', (name, value) => {
      expect(() => new Buckets({ [name]: value })).toThrow(new RegExp(name));
      expect(code(() => new Buckets({ [name]: value }))).toBe('GOIM_ERR_BUCKET_INVALID_OPTION');
    });
  });

  describe('put / del', () => {
    it('registers a channel in bucket cityHash32(key) % size', () => {
      const { buckets, open } = setup({ size: 32 });
      for (const key of ['live://1000', 'test', '3f2504e0-4f89-11d3-9a0c-0305e82c3301']) {
        const { ch } = open(key);
        const idx = bucketIndex(key, 32);
        expect(buckets.bucket(key).index).toBe(idx);
        expect(buckets.buckets[idx]!.get(key)).toBe(ch);
        expect(buckets.get(key)).toBe(ch);
      }
      expect(bucketIndex('live://1000', 32)).toBe(11);
    });

    it('closes an existing channel with the same key with REPLACED and keeps the new one', () => {
      const { buckets, open } = setup();
      const old = open('k', { ip: '1.1.1.1', room: 'r' });
      const neu = open('k', { ip: '1.1.1.1', room: 'r' });
      expect(old.ch.closed).toBe(true);
      expect(old.sink.notice).toEqual({ code: DisconnectCode.REPLACED, reason: expect.any(String), reconnect: false });
      expect(neu.ch.closed).toBe(false);
      expect(buckets.get('k')).toBe(neu.ch);
      expect(buckets.counters.replaced).toBe(1);
      expect(buckets.roomCounts()).toEqual({ r: 1 });
      expect(buckets.stats()).toEqual({ channels: 1, ips: 1, rooms: 1 });
      expect(buckets.bucket('k').ipCount('1.1.1.1')).toBe(1);
    });

    it('does not remove the replacement when the stale channel object is deleted', () => {
      const { buckets, open } = setup();
      const old = open('k', { room: 'r' });
      const neu = open('k', { room: 'r' });
      expect(buckets.del(old.ch)).toBe(false);
      expect(buckets.bucket('k').del(old.ch)).toBe(false);
      expect(buckets.get('k')).toBe(neu.ch);
      expect(buckets.onlineOf(neu.ch)).toBe(1);
      expect(buckets.broadcastRoom('r', body('x')).delivered).toBe(1);
    });

    it('deletes only once and leaves every room of the channel', () => {
      const { buckets, open } = setup();
      const a = open('a', { ip: '1.1.1.1', room: 'r1' });
      const b = open('b', { ip: '1.1.1.1', room: 'r1' });
      buckets.joinRoom(a.ch, 'r2');
      expect(buckets.del(a.ch)).toBe(true);
      expect(buckets.del(a.ch)).toBe(false);
      expect(a.ch.registered).toBe(false);
      expect(buckets.get('a')).toBeUndefined();
      expect(buckets.roomCounts()).toEqual({ r1: 1 });
      expect(buckets.rooms()).toEqual(['r1']);
      expect(buckets.stats()).toEqual({ channels: 1, ips: 1, rooms: 1 });
      expect(buckets.onlineOf(b.ch)).toBe(1);
      // del does not close: the transport owns that.
      expect(a.sink.closed).toBe(false);
    });

    it('rejects a closed or already registered channel', () => {
      const { buckets, open } = setup();
      const { ch } = open('a');
      expect(code(() => buckets.put(ch))).toBe('GOIM_ERR_BUCKET_CHANNEL_REGISTERED');
      ch.close();
      expect(code(() => buckets.put(ch))).toBe('GOIM_ERR_BUCKET_CHANNEL_CLOSED');
    });

    it('counts connections per IP and distinct IPs across buckets', () => {
      const { buckets, open } = setup({ size: 4 });
      const keys = keysInDistinctBuckets(3, 4);
      const chans = keys.map((k) => open(k, { ip: '9.9.9.9' }).ch);
      const [s1, s2] = keysInSameBucket(4);
      open(s1, { ip: '8.8.8.8' });
      const c2 = open(s2, { ip: '8.8.8.8' }).ch;
      open('no-ip');
      expect(buckets.bucket(s1).ipCount('8.8.8.8')).toBe(2);
      expect(buckets.stats()).toEqual({ channels: 6, ips: 2, rooms: 0 });
      expect(buckets.bucketStats().reduce((n, s) => n + s.channels, 0)).toBe(6);
      for (const ch of chans) buckets.del(ch);
      buckets.del(c2);
      expect(buckets.bucket(s1).ipCount('8.8.8.8')).toBe(1);
      expect(buckets.stats()).toEqual({ channels: 2, ips: 1, rooms: 0 });
    });
  });

  describe('rooms (spec §10.8–9)', () => {
    it('changes room: leaves the old one (dropped when empty) and joins the new one', () => {
      const { buckets, open } = setup();
      const { ch } = open('a', { room: 'A' });
      expect(ch.room).toBe('A');
      expect(buckets.changeRoom(ch, 'B')).toBe(true);
      expect(ch.rooms).toEqual(['B']);
      expect(buckets.bucket('a').room('A')).toBeUndefined();
      expect(buckets.roomCounts()).toEqual({ B: 1 });
    });

    it('keeps a channel that changes to the room it is alone in (goim ends up in no room)', () => {
      const { buckets, open, tick } = setup();
      const { ch, sink } = open('a', { room: 'R' });
      const before = buckets.bucket('a').room('R');
      expect(buckets.changeRoom(ch, 'R')).toBe(true);
      expect(ch.rooms).toEqual(['R']);
      expect(buckets.bucket('a').room('R')).toBe(before);
      expect(buckets.onlineOf(ch)).toBe(1);
      expect(buckets.broadcastRoom('R', body('x')).delivered).toBe(1);
      tick();
      expect(sink.items).toHaveLength(1);
    });

    it('keeps other members receiving after a no-op move and a disconnect (goim corrupted the room list)', () => {
      const { buckets, open } = setup();
      const [k1, k2] = keysInSameBucket(4);
      const a = open(k1, { room: 'R' });
      buckets.changeRoom(a.ch, 'R');
      const b = open(k2, { room: 'R' });
      buckets.del(a.ch);
      expect(buckets.bucket(k2).room('R')?.online).toBe(1);
      expect(buckets.broadcastRoom('R', body('x')).delivered).toBe(1);
      expect(buckets.onlineOf(b.ch)).toBe(1);
    });

    it("replaces all of a multi-room channel's rooms by one with op 12 and leaves all with ''", () => {
      const { buckets, open } = setup();
      const { ch } = open('a', { room: 'A' });
      buckets.joinRoom(ch, 'B');
      buckets.joinRoom(ch, 'C');
      expect(ch.rooms).toEqual(['A', 'B', 'C']);
      buckets.changeRoom(ch, 'B');
      expect(ch.rooms).toEqual(['B']);
      expect(ch.room).toBe('B');
      expect(buckets.rooms()).toEqual(['B']);
      buckets.joinRoom(ch, 'D');
      buckets.changeRoom(ch, '');
      expect(ch.rooms).toEqual([]);
      expect(ch.room).toBeUndefined();
      expect(buckets.rooms()).toEqual([]);
      expect(buckets.changeRoom(ch, '')).toBe(true);
    });

    it('joins a room once and ignores an empty room id', () => {
      const { buckets, open } = setup();
      const { ch } = open('a');
      expect(buckets.joinRoom(ch, 'A')).toBe(true);
      expect(buckets.joinRoom(ch, 'A')).toBe(false);
      expect(buckets.joinRoom(ch, '')).toBe(false);
      expect(buckets.roomCounts()).toEqual({ A: 1 });
    });

    it('makes leaving twice harmless to the room and its other members', () => {
      const { buckets, open } = setup();
      const [k1, k2] = keysInSameBucket(4);
      const a = open(k1, { room: 'R' });
      const b = open(k2, { room: 'R' });
      expect(buckets.leaveRoom(a.ch, 'R')).toBe(true);
      expect(buckets.leaveRoom(a.ch, 'R')).toBe(false);
      expect(buckets.leaveRoom(a.ch, 'never')).toBe(false);
      expect(buckets.bucket(k2).room('R')?.online).toBe(1);
      buckets.del(a.ch);
      expect(buckets.onlineOf(b.ch)).toBe(1);
      expect(buckets.broadcastRoom('R', body('x')).delivered).toBe(1);
    });

    it('limits rooms per channel', () => {
      const { buckets, open } = setup({ maxRoomsPerChannel: 2 });
      const { ch } = open('a');
      expect(buckets.joinRoom(ch, 'A')).toBe(true);
      expect(buckets.joinRoom(ch, 'B')).toBe(true);
      expect(buckets.joinRoom(ch, 'C')).toBe(false);
      expect(ch.rooms).toEqual(['A', 'B']);
    });

    it('does nothing for a channel that is not registered', () => {
      const { buckets, open } = setup();
      const { ch } = open('a', { room: 'A' });
      ch.close();
      expect(buckets.joinRoom(ch, 'B')).toBe(false);
      expect(buckets.leaveRoom(ch, 'A')).toBe(false);
      expect(buckets.changeRoom(ch, 'B')).toBe(false);
      expect(buckets.rooms()).toEqual([]);
    });

    it('rejects a non-string room id with GOIM_ERR_BUCKET_INVALID_ARGUMENT', () => {
      const { buckets, open } = setup();
      const { ch } = open('a');
      expect(code(() => buckets.joinRoom(ch, 5 as never))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
      expect(code(() => buckets.changeRoom(ch, null as never))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
      expect(code(() => buckets.leaveRoom(ch, undefined as never))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
      expect(code(() => buckets.broadcastRoom('', body('x')))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
    });
  });

  describe('online counts', () => {
    it('reports 0 in no room, the local count across buckets, AllOnline when > 0, and 0 after leaving', () => {
      const { buckets, open } = setup({ size: 4 });
      const keys = keysInDistinctBuckets(3, 4);
      const chans = keys.map((k) => open(k).ch);
      const a = chans[0]!;
      expect(buckets.onlineOf(a)).toBe(0);
      for (const ch of chans) buckets.joinRoom(ch, 'live://1');
      expect(buckets.onlineOf(a)).toBe(3);
      expect(buckets.roomCounts()).toEqual({ 'live://1': 3 });
      buckets.setAllOnline({ 'live://1': 42 });
      expect(buckets.onlineOf(a)).toBe(42);
      buckets.setAllOnline({});
      expect(buckets.onlineOf(a)).toBe(3);
      buckets.setAllOnline(new Map([['live://1', 7]]));
      expect(buckets.onlineOf(a)).toBe(7);
      buckets.changeRoom(a, '');
      expect(buckets.onlineOf(a)).toBe(0);
    });

    it('gives a newly created room the last AllOnline from logic', () => {
      const { buckets, open } = setup();
      buckets.setAllOnline({ R: 100 });
      const { ch } = open('a', { room: 'R' });
      expect(buckets.onlineOf(ch)).toBe(100);
    });

    it('counts the primary room: the auth/op-12 room, else the first joined', () => {
      const { buckets, open } = setup();
      const [k1, k2] = keysInSameBucket(4);
      const a = open(k1, { room: 'A' });
      open(k2, { room: 'B' });
      buckets.joinRoom(open('x', { room: 'B' }).ch, 'C');
      buckets.joinRoom(a.ch, 'B');
      expect(buckets.onlineOf(a.ch)).toBe(1);
      buckets.leaveRoom(a.ch, 'A');
      expect(a.ch.room).toBe('B');
      expect(buckets.onlineOf(a.ch)).toBe(3);
    });

    it('keeps room ids such as __proto__ and constructor as plain keys', () => {
      const { buckets, open } = setup();
      open('a', { room: '__proto__' });
      const { ch } = open('b', { room: 'constructor' });
      expect(buckets.onlineOf(ch)).toBe(1);
      const counts = buckets.roomCounts();
      expect(Object.keys(counts).sort()).toEqual(['__proto__', 'constructor']);
      expect(counts['__proto__']).toBe(1);
      buckets.setAllOnline(JSON.parse('{"__proto__": 5}') as Record<string, number>);
      expect(buckets.onlineOf(ch)).toBe(1);
      expect(buckets.onlineOf(buckets.get('a')!)).toBe(5);
    });
  });

  describe('pushKeys', () => {
    it('delivers to keys whose accepts hold the op, and counts missing and filtered keys', () => {
      const { buckets, open, tick } = setup();
      const a = open('a', { accepts: [1000] });
      const b = open('b', { accepts: [1001] });
      const c = open('c');
      const raw = body('frame');
      const counts = buckets.pushKeys(['a', 'b', 'c', 'nobody'], 1000, raw);
      expect(counts).toEqual({ delivered: 1, missing: 1, filtered: 2, overflowed: 0 });
      tick();
      expect(a.sink.items).toEqual([{ raw: true, bytes: raw }]);
      expect(a.sink.items[0]!.bytes).toBe(raw);
      expect(b.sink.items).toEqual([]);
      expect(c.sink.items).toEqual([]);
      expect(buckets.counters).toMatchObject({ delivered: 1, missing: 1, filtered: 2 });
    });

    it('continues past a full channel (goim aborted the remaining keys, #381)', () => {
      const { buckets, open, tick } = setup({ maxOutboundBytes: 8 });
      const a = open('a', { accepts: [1] });
      const b = open('b', { accepts: [1] });
      a.sink.bufferedBytes = 8;
      const counts = buckets.pushKeys(['a', 'b'], 1, body('1234'));
      expect(counts).toEqual({ delivered: 1, missing: 0, filtered: 0, overflowed: 1 });
      expect(a.sink.notice?.code).toBe(DisconnectCode.SLOW_CONSUMER);
      tick();
      expect(b.sink.items).toHaveLength(1);
      expect(buckets.counters.overflowed).toBe(1);
    });

    it('rejects a bad op or body', () => {
      const { buckets } = setup();
      expect(code(() => buckets.pushKeys(['a'], 1.5, body('x')))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
      expect(code(() => buckets.pushKeys(['a'], 1, 'x' as never))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
      expect(code(() => buckets.pushKeys([1 as never], 1, body('x')))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
    });
  });

  describe('broadcast', () => {
    it('delivers the same bytes to every channel watching the op, across buckets', async () => {
      const { buckets, open, tick } = setup({ size: 4 });
      const keys = keysInDistinctBuckets(4, 4);
      const watching = keys.map((k) => open(k, { accepts: [1000] }));
      const other = open('other', { accepts: [5] });
      const raw = body('b');
      const counts = await buckets.broadcast(1000, raw);
      expect(counts).toEqual({ delivered: 4, missing: 0, filtered: 1, overflowed: 0 });
      tick();
      for (const w of watching) expect(w.sink.items[0]!.bytes).toBe(raw);
      const items = watching.map((w) => w.sink.items[0]);
      expect(new Set(items).size).toBe(1);
      expect(other.sink.items).toEqual([]);
    });

    it('continues past slow consumers and counts them', async () => {
      const { buckets, open } = setup({ maxOutboundBytes: 4 });
      const keys = keysInDistinctBuckets(3, 4);
      const chans = keys.map((k) => open(k, { accepts: [1] }));
      chans[1]!.sink.bufferedBytes = 4;
      const counts = await buckets.broadcast(1, body('x'));
      expect(counts).toEqual({ delivered: 2, missing: 0, filtered: 0, overflowed: 1 });
      expect(buckets.stats().channels).toBe(2);
    });

    it('paces like goim: floor(bucket channels / speed) seconds after each bucket but the last', async () => {
      const waits: number[] = [];
      const releases: (() => void)[] = [];
      const sleep = (ms: number) =>
        new Promise<void>((resolve) => {
          waits.push(ms);
          releases.push(resolve);
        });
      const { buckets, open } = setup({ size: 3, sleep });
      // 5 channels in bucket 0, 2 in bucket 1, 1 in bucket 2.
      const wanted = [5, 2, 1];
      const got = [0, 0, 0];
      for (let i = 0; got.some((n, j) => n < wanted[j]!); i++) {
        const key = `p${i}`;
        const idx = bucketIndex(key, 3);
        if (got[idx]! < wanted[idx]!) {
          got[idx]!++;
          open(key, { accepts: [7] });
        }
      }
      const done = buckets.broadcast(7, body('x'), 2);
      let result: unknown;
      void done.then((r) => (result = r));
      await Promise.resolve();
      expect(waits).toEqual([2000]);
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
      expect(waits).toEqual([2000, 1000]);
      expect(result).toBeUndefined();
      releases.shift()!();
      await expect(done).resolves.toEqual({ delivered: 8, missing: 0, filtered: 0, overflowed: 0 });
    });

    it('paces with the default timer (fake timers)', async () => {
      jest.useFakeTimers();
      try {
        const buckets = new Buckets({ size: 2 });
        const keys = keysInDistinctBuckets(2, 2);
        const sinks = keys.map((k) => {
          const sink = new RecordingSink();
          buckets.put(buckets.newChannel({ key: k, sink, accepts: [1] }));
          return sink;
        });
        let resolved = false;
        const done = buckets.broadcast(1, body('x'), 1).then((c) => {
          resolved = true;
          return c;
        });
        await Promise.resolve();
        expect(resolved).toBe(false);
        await jest.advanceTimersByTimeAsync(999);
        expect(resolved).toBe(false);
        // The first bucket was pushed (and flushed) before the pause; the second waits for it.
        expect(sinks.map((s) => s.items.length).sort()).toEqual([0, 1]);
        await jest.advanceTimersByTimeAsync(1);
        expect((await done).delivered).toBe(2);
        jest.runOnlyPendingTimers();
        for (const s of sinks) expect(s.items).toHaveLength(1);
      } finally {
        jest.useRealTimers();
      }
    });

    it('does not pace a negative speed (goim paces only speed > 0)', async () => {
      const sleep = jest.fn(() => Promise.resolve());
      const { buckets, open } = setup({ sleep });
      for (const k of keysInDistinctBuckets(4, 4)) open(k, { accepts: [1] });
      await expect(buckets.broadcast(1, body('x'), -5)).resolves.toMatchObject({ delivered: 4 });
      expect(sleep).not.toHaveBeenCalled();
    });

    it('rejects a non-integer speed, op or body synchronously', () => {
      const { buckets } = setup();
      expect(code(() => buckets.broadcast(1, body('x'), 0.5))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
      expect(code(() => buckets.broadcast(Number.NaN, body('x')))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
      expect(code(() => buckets.broadcast(1, [1] as never))).toBe('GOIM_ERR_BUCKET_INVALID_ARGUMENT');
    });
  });

  describe('broadcastRoom', () => {
    it('delivers to every member in every bucket without accepts filtering, sharing one item', () => {
      const { buckets, open, tick } = setup({ size: 4 });
      const keys = keysInDistinctBuckets(4, 4);
      const members = keys.map((k, i) => open(k, { room: 'R', accepts: i === 0 ? [] : [1] }));
      const outsider = open('outsider', { room: 'S', accepts: [1] });
      const raw = body('room-batch');
      expect(buckets.broadcastRoom('R', raw)).toEqual({ delivered: 4, missing: 0, filtered: 0, overflowed: 0 });
      tick();
      const first = members[0]!.sink.items[0]!;
      expect(first.bytes).toBe(raw);
      for (const m of members) expect(m.sink.items[0]).toBe(first);
      expect(outsider.sink.items).toEqual([]);
      expect(buckets.broadcastRoom('nobody', raw).delivered).toBe(0);
    });

    it('keeps push order per room member', () => {
      const { buckets, open, tick } = setup();
      const { sink } = open('a', { room: 'R', accepts: [1] });
      for (let i = 0; i < 5; i++) {
        buckets.broadcastRoom('R', Uint8Array.of(i));
        buckets.pushKeys(['a'], 1, Uint8Array.of(100 + i));
      }
      tick();
      expect(sink.flushes).toHaveLength(1);
      expect(sink.items.map((i) => i.bytes[0])).toEqual([0, 100, 1, 101, 2, 102, 3, 103, 4, 104]);
    });

    it('closes slow members and keeps delivering to the rest', () => {
      const { buckets, open } = setup({ maxOutboundBytes: 3 });
      const [k1, k2] = keysInSameBucket(4);
      const a = open(k1, { room: 'R' });
      open(k2, { room: 'R' });
      a.sink.bufferedBytes = 3;
      expect(buckets.broadcastRoom('R', body('x'))).toEqual({ delivered: 1, missing: 0, filtered: 0, overflowed: 1 });
      expect(buckets.roomCounts()).toEqual({ R: 1 });
    });
  });

  describe('Bucket and Room views', () => {
    it("exposes a bucket's rooms with local and cluster-wide counts", () => {
      const { buckets, open } = setup();
      const [k1, k2] = keysInSameBucket(4);
      const a = open(k1, { room: 'R' });
      const b = open(k2, { room: 'R' });
      const bucket = buckets.bucket(k1);
      const room = bucket.room('R')!;
      expect([...room.members()]).toEqual([a.ch, b.ch]);
      expect([...bucket.roomList()]).toEqual([room]);
      expect([...bucket.channelList()]).toEqual([a.ch, b.ch]);
      expect(room.online).toBe(2);
      expect(room.onlineNum()).toBe(2);
      buckets.setAllOnline({ R: 9 });
      expect(room.allOnline).toBe(9);
      expect(room.onlineNum()).toBe(9);
      expect(bucket.stats()).toEqual({ channels: 2, ips: 0, rooms: 1 });
    });
  });

  describe('admin', () => {
    it('finds channels by mid and kicks by key and mid with a KICKED notice', () => {
      const { buckets, open } = setup();
      const a1 = open('a1', { mid: 1 });
      const a2 = open('a2', { mid: 1 });
      const b = open('b', { mid: 2 });
      const c = open('c', { mid: 3 });
      expect(buckets.channelsByMid(1).map((ch: Channel) => ch.key).sort()).toEqual(['a1', 'a2']);
      expect(buckets.kick(['b', 'nobody'], [1])).toBe(3);
      for (const s of [a1.sink, a2.sink, b.sink]) expect(s.notice?.code).toBe(DisconnectCode.KICKED);
      expect(c.sink.closed).toBe(false);
      expect(buckets.counters.kicked).toBe(3);
      expect(buckets.stats().channels).toBe(1);
    });

    it('closes every channel with the given notice', () => {
      const { buckets, open } = setup();
      const sinks = ['a', 'b', 'c'].map((k) => open(k, { room: 'R' }).sink);
      const notice = { code: DisconnectCode.SHUTDOWN, reason: 'shutdown', reconnect: true };
      expect(buckets.closeAll(notice)).toBe(3);
      for (const s of sinks) expect(s.notice).toBe(notice);
      expect(buckets.stats()).toEqual({ channels: 0, ips: 0, rooms: 0 });
    });

    it('flushes pending output on demand', () => {
      const { buckets, open } = setup();
      const { ch, sink } = open('a');
      ch.pushRaw(body('x'));
      buckets.flush();
      expect(sink.items).toHaveLength(1);
    });
  });
});
