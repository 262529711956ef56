/**
 * The behaviour every SessionStore adapter must show, as one jest suite. Each adapter's spec
 * calls {@link describeSessionStoreContract} with a factory; a third-party adapter can do the
 * same (`import { describeSessionStoreContract } from '@goim/session-store/testing'`).
 *
 * Tests use ids unique to the run (keys, mids, servers), never a key prefix, so they keep
 * goim's exact key names and several suites can share one Redis.
 */
import { SessionStoreError, SessionStoreErrorCode } from '../errors.js';
import type { ServerOnline, SessionStore } from '../session-store.js';

/** What the factory hands the suite for one test. */
export interface SessionStoreContractSubject {
  /** A fresh store; the suite closes it after the test. */
  store: SessionStore;
  /**
   * Lets `ms` pass as the store sees time: advance an injected clock, or really wait (a
   * real Redis). The suite only asks for around a second at a time.
   */
  elapse(ms: number): Promise<void>;
}

/** Options the suite asks the factory for. */
export interface SessionStoreContractOptions {
  /** TTL the store must use, seconds (1 in the expiry tests, 1800 elsewhere). */
  sessionTtlSec: number;
}

export type SessionStoreContractFactory = (
  options: SessionStoreContractOptions,
) => SessionStoreContractSubject | Promise<SessionStoreContractSubject>;

const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let seq = 0;
/** A key/server id unique to this run. */
function uid(label: string): string {
  return `${label}-${RUN}-${(seq++).toString(36)}`;
}
// Mids unique to this run: a random base far from small test mids, plus a counter.
const MID_BASE = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000_000);
function uniqueMid(): number {
  return MID_BASE + seq++;
}

async function rejectsWith(p: Promise<unknown>, code: SessionStoreErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SessionStoreError);
  expect((caught as SessionStoreError).code).toBe(code);
}

/**
 * Declares `describe(name)` with the SessionStore contract: mappings (add, expire,
 * compare-and-delete, reads by keys and mids), TTL expiry, the same-key reconnect race,
 * online reports, argument errors and close.
 */
export function describeSessionStoreContract(name: string, factory: SessionStoreContractFactory): void {
  describe(name, () => {
    const opened: SessionStore[] = [];
    async function make(sessionTtlSec = 1800): Promise<SessionStoreContractSubject> {
      const subject = await factory({ sessionTtlSec });
      opened.push(subject.store);
      return subject;
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    describe('mappings', () => {
      it('stores a mapping readable by key and by mid', async () => {
        const { store } = await make();
        const mid = uniqueMid();
        const key = uid('k');
        const server = uid('s');
        await store.addMapping(mid, key, server);
        expect(await store.serversByKeys([key])).toEqual([server]);
        expect(await store.keysByMids([mid])).toEqual(new Map([[key, server]]));
      });

      it('writes only the key mapping for mid 0 (anonymous)', async () => {
        const { store } = await make();
        const key = uid('k');
        await store.addMapping(0, key, 'comet-a');
        expect(await store.serversByKeys([key])).toEqual(['comet-a']);
        expect((await store.keysByMids([0])).has(key)).toBe(false);
      });

      it('answers serversByKeys in input order with undefined for unknown keys', async () => {
        const { store } = await make();
        const [k1, k2, k3] = [uid('k'), uid('k'), uid('k')];
        await store.addMapping(uniqueMid(), k1, 'comet-a');
        await store.addMapping(uniqueMid(), k3, 'comet-c');
        expect(await store.serversByKeys([k3, k2, k1, k3])).toEqual(['comet-c', undefined, 'comet-a', 'comet-c']);
        expect(await store.serversByKeys([])).toEqual([]);
      });

      it('collects every key of several mids, ignoring unknown and repeated mids', async () => {
        const { store } = await make();
        const [m1, m2, m3] = [uniqueMid(), uniqueMid(), uniqueMid()];
        const [k1, k2, k3] = [uid('k'), uid('k'), uid('k')];
        await store.addMapping(m1, k1, 'comet-a');
        await store.addMapping(m1, k2, 'comet-b');
        await store.addMapping(m2, k3, 'comet-a');
        const got = await store.keysByMids([m1, m3, m2, m1]);
        expect(got).toEqual(
          new Map([
            [k1, 'comet-a'],
            [k2, 'comet-b'],
            [k3, 'comet-a'],
          ]),
        );
        expect(await store.keysByMids([])).toEqual(new Map());
      });

      it('points a re-added key at the newer server', async () => {
        const { store } = await make();
        const mid = uniqueMid();
        const key = uid('k');
        await store.addMapping(mid, key, 'comet-a');
        await store.addMapping(mid, key, 'comet-b');
        expect(await store.serversByKeys([key])).toEqual(['comet-b']);
        expect(await store.keysByMids([mid])).toEqual(new Map([[key, 'comet-b']]));
      });

      it('reports whether the key still exists from expireMapping', async () => {
        const { store } = await make();
        const mid = uniqueMid();
        const key = uid('k');
        expect(await store.expireMapping(mid, key)).toBe(false);
        await store.addMapping(mid, key, 'comet-a');
        expect(await store.expireMapping(mid, key)).toBe(true);
        expect(await store.expireMapping(0, key)).toBe(true);
        // expire never creates anything
        expect(await store.serversByKeys([uid('k')])).toEqual([undefined]);
      });

      it('deletes a mapping that still points at the server and reports it', async () => {
        const { store } = await make();
        const mid = uniqueMid();
        const [k1, k2] = [uid('k'), uid('k')];
        await store.addMapping(mid, k1, 'comet-a');
        await store.addMapping(mid, k2, 'comet-a');
        expect(await store.delMapping(mid, k1, 'comet-a')).toBe(true);
        expect(await store.serversByKeys([k1, k2])).toEqual([undefined, 'comet-a']);
        expect(await store.keysByMids([mid])).toEqual(new Map([[k2, 'comet-a']]));
        expect(await store.delMapping(mid, k1, 'comet-a')).toBe(false);
        expect(await store.delMapping(mid, k2, 'comet-a')).toBe(true);
        expect(await store.keysByMids([mid])).toEqual(new Map());
      });

      it('deletes an anonymous (mid 0) mapping', async () => {
        const { store } = await make();
        const key = uid('k');
        await store.addMapping(0, key, 'comet-a');
        expect(await store.delMapping(0, key, 'comet-a')).toBe(true);
        expect(await store.serversByKeys([key])).toEqual([undefined]);
      });

      it('leaves a mapping that points at another server (compare-and-delete)', async () => {
        const { store } = await make();
        const mid = uniqueMid();
        const key = uid('k');
        await store.addMapping(mid, key, 'comet-b');
        expect(await store.delMapping(mid, key, 'comet-a')).toBe(false);
        expect(await store.serversByKeys([key])).toEqual(['comet-b']);
        expect(await store.keysByMids([mid])).toEqual(new Map([[key, 'comet-b']]));
      });

      it('keeps the newer session when a stale disconnect races a same-key reconnect', async () => {
        const { store } = await make();
        const rounds = 200;
        const cases = Array.from({ length: rounds }, (_, i) => ({ mid: i % 2 === 0 ? uniqueMid() : 0, key: uid('race') }));
        // Every key connects on A, then reconnects on B while A's disconnect runs concurrently
        // (both orders occur across rounds); all rounds run at once.
        await Promise.all(
          cases.map(async ({ mid, key }, i) => {
            await store.addMapping(mid, key, 'comet-a');
            const b = store.addMapping(mid, key, 'comet-b');
            const a = store.delMapping(mid, key, 'comet-a');
            await (i % 2 === 0 ? Promise.all([b, a]) : Promise.all([a, b]));
            // and a disconnect of A arriving after B connected must be a no-op
            expect(await store.delMapping(mid, key, 'comet-a')).toBe(false);
          }),
        );
        const servers = await store.serversByKeys(cases.map((c) => c.key));
        expect(servers).toEqual(cases.map(() => 'comet-b'));
        const byMid = await store.keysByMids(cases.filter((c) => c.mid > 0).map((c) => c.mid));
        expect(byMid.size).toBe(rounds / 2);
        for (const c of cases) if (c.mid > 0) expect(byMid.get(c.key)).toBe('comet-b');
      });
    });

    describe('TTLs', () => {
      it('expires mappings and online reports after sessionTtlSec', async () => {
        const { store, elapse } = await make(1);
        const mid = uniqueMid();
        const key = uid('k');
        const server = uid('s');
        await store.addMapping(mid, key, 'comet-a');
        await store.addServerOnline({ server, roomCount: { 'live://1': 3 }, updated: 1_700_000_000 });
        await elapse(400);
        expect(await store.serversByKeys([key])).toEqual(['comet-a']);
        expect(await store.serverOnline(server)).toBeDefined();
        await elapse(800);
        expect(await store.serversByKeys([key])).toEqual([undefined]);
        expect(await store.keysByMids([mid])).toEqual(new Map());
        expect(await store.expireMapping(mid, key)).toBe(false);
        expect(await store.serverOnline(server)).toBeUndefined();
      });

      it('extends both TTLs on expireMapping and on a re-add', async () => {
        const { store, elapse } = await make(1);
        const mid = uniqueMid();
        const [k1, k2] = [uid('k'), uid('k')];
        await store.addMapping(mid, k1, 'comet-a');
        await store.addMapping(0, k2, 'comet-a');
        await elapse(600);
        expect(await store.expireMapping(mid, k1)).toBe(true);
        await store.addMapping(0, k2, 'comet-a');
        await elapse(600); // 1.2 s after the first add, 0.6 s after the refresh
        expect(await store.serversByKeys([k1, k2])).toEqual(['comet-a', 'comet-a']);
        expect(await store.keysByMids([mid])).toEqual(new Map([[k1, 'comet-a']]));
        await elapse(600);
        expect(await store.serversByKeys([k1, k2])).toEqual([undefined, undefined]);
        expect(await store.keysByMids([mid])).toEqual(new Map());
      });
    });

    describe('online reports', () => {
      it('returns undefined for a server that never reported', async () => {
        const { store } = await make();
        expect(await store.serverOnline(uid('s'))).toBeUndefined();
      });

      it('reads back a report with many rooms, unicode and JSON-special names', async () => {
        const { store } = await make();
        const server = uid('s');
        const roomCount: Record<string, number> = {};
        for (let i = 0; i < 300; i++) roomCount[`live://${i}`] = i + 1;
        Object.assign(roomCount, { 'chat://直播间': 7, 'x://<&>"\\\n': 2, 'emoji://🎉': 2_147_483_647, 'zero://0': 0 });
        const online: ServerOnline = { server, roomCount, updated: 1_700_000_123 };
        await store.addServerOnline(online);
        expect(await store.serverOnline(server)).toEqual(online);
      });

      it('keeps a report without rooms', async () => {
        const { store } = await make();
        const server = uid('s');
        await store.addServerOnline({ server, roomCount: {}, updated: 1_700_000_000 });
        expect(await store.serverOnline(server)).toEqual({ server, roomCount: {}, updated: 1_700_000_000 });
      });

      it('replaces the previous report entirely, dropping rooms no longer reported', async () => {
        const { store } = await make();
        const server = uid('s');
        const first: Record<string, number> = {};
        for (let i = 0; i < 200; i++) first[`live://${i}`] = 1;
        await store.addServerOnline({ server, roomCount: first, updated: 1_700_000_000 });
        await store.addServerOnline({ server, roomCount: { 'live://7': 9 }, updated: 1_700_000_010 });
        expect(await store.serverOnline(server)).toEqual({ server, roomCount: { 'live://7': 9 }, updated: 1_700_000_010 });
      });

      it('keeps servers apart and deletes one server', async () => {
        const { store } = await make();
        const [s1, s2] = [uid('s'), uid('s')];
        await store.addServerOnline({ server: s1, roomCount: { 'live://1': 1 }, updated: 1 });
        await store.addServerOnline({ server: s2, roomCount: { 'live://2': 2 }, updated: 2 });
        await store.delServerOnline(s1);
        await store.delServerOnline(uid('s')); // unknown: no error
        expect(await store.serverOnline(s1)).toBeUndefined();
        expect(await store.serverOnline(s2)).toEqual({ server: s2, roomCount: { 'live://2': 2 }, updated: 2 });
      });

      it('does not share the caller’s roomCount object', async () => {
        const { store } = await make();
        const server = uid('s');
        const roomCount: Record<string, number> = { 'live://1': 1 };
        await store.addServerOnline({ server, roomCount, updated: 5 });
        roomCount['live://1'] = 99;
        const got = await store.serverOnline(server);
        expect(got?.roomCount).toEqual({ 'live://1': 1 });
        got!.roomCount['live://1'] = 42;
        expect((await store.serverOnline(server))?.roomCount).toEqual({ 'live://1': 1 });
      });
    });

    describe('epoch', () => {
      it('returns one non-empty epoch on every call, concurrent or not', async () => {
        const { store } = await make();
        const first = await store.epoch();
        expect(typeof first).toBe('string');
        expect(first).not.toBe('');
        const again = await Promise.all(Array.from({ length: 10 }, () => store.epoch()));
        expect(again).toEqual(Array.from({ length: 10 }, () => first));
        // writing sessions is not a new generation
        await store.addMapping(uniqueMid(), uid('k'), 'comet-a');
        expect(await store.epoch()).toBe(first);
      });

      it('rejects epoch after close with GOIM_ERR_SESSION_STORE_CLOSED', async () => {
        const { store } = await make();
        await store.close();
        await rejectsWith(store.epoch(), SessionStoreErrorCode.CLOSED);
      });
    });

    describe('errors and lifecycle', () => {
      const INVALID = SessionStoreErrorCode.INVALID_ARGUMENT;

      it('rejects bad mids, keys and servers with GOIM_ERR_SESSION_STORE_INVALID_ARGUMENT', async () => {
        const { store } = await make();
        await rejectsWith(store.addMapping(-1, 'k', 's'), INVALID);
        await rejectsWith(store.addMapping(1.5, 'k', 's'), INVALID);
        await rejectsWith(store.addMapping(Number.NaN, 'k', 's'), INVALID);
        await rejectsWith(store.addMapping(1, '', 's'), INVALID);
        await rejectsWith(store.addMapping(1, 'k', ''), INVALID);
        await rejectsWith(store.expireMapping(-1, 'k'), INVALID);
        await rejectsWith(store.delMapping(1, 'k', ''), INVALID);
        await rejectsWith(store.serversByKeys(['ok', '']), INVALID);
        await rejectsWith(store.keysByMids([1, -2]), INVALID);
        await rejectsWith(store.serverOnline(''), INVALID);
        await rejectsWith(store.delServerOnline(''), INVALID);
      });

      it('rejects bad online reports with GOIM_ERR_SESSION_STORE_INVALID_ARGUMENT', async () => {
        const { store } = await make();
        const server = uid('s');
        await rejectsWith(store.addServerOnline({ server, roomCount: { r: -1 }, updated: 1 }), INVALID);
        await rejectsWith(store.addServerOnline({ server, roomCount: { r: 1.5 }, updated: 1 }), INVALID);
        await rejectsWith(store.addServerOnline({ server, roomCount: { r: 2 ** 31 }, updated: 1 }), INVALID);
        await rejectsWith(store.addServerOnline({ server, roomCount: {}, updated: -1 }), INVALID);
        await rejectsWith(store.addServerOnline({ server: '', roomCount: {}, updated: 1 }), INVALID);
        expect(await store.serverOnline(server)).toBeUndefined();
      });

      it('answers ping', async () => {
        const { store } = await make();
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('rejects calls after close with GOIM_ERR_SESSION_STORE_CLOSED; close twice is safe', async () => {
        const { store } = await make();
        await store.close();
        await store.close();
        await rejectsWith(store.addMapping(1, uid('k'), 's'), SessionStoreErrorCode.CLOSED);
        await rejectsWith(store.serversByKeys([uid('k')]), SessionStoreErrorCode.CLOSED);
        await rejectsWith(store.ping(), SessionStoreErrorCode.CLOSED);
      });
    });
  });
}

/**
 * What {@link describeSharedSessionStoreContract} needs: a backend whose data outlives the
 * stores on it (several logic processes on one Redis), and a way to lose that data.
 */
export interface SharedSessionStoreContractSubject {
  /** Opens another store on the same data; the suite closes it. */
  open(): SessionStore | Promise<SessionStore>;
  /**
   * Erases all the backend's data while the stores stay open, as a restart without
   * persistence does (Redis: `FLUSHALL`, on every master of a Cluster). Give the suite a
   * backend of its own: other suites' data goes too.
   */
  wipe(): Promise<void>;
}

/**
 * Declares `describe(name)` with what an adapter whose data lives outside the process must
 * add to {@link describeSessionStoreContract}: every store on the same data agrees on
 * `epoch()`, and losing the data gives a new epoch that stores racing to notice it agree on.
 */
export function describeSharedSessionStoreContract(
  name: string,
  factory: () => SharedSessionStoreContractSubject | Promise<SharedSessionStoreContractSubject>,
): void {
  describe(name, () => {
    const opened: SessionStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    async function stores(subject: SharedSessionStoreContractSubject, n: number): Promise<SessionStore[]> {
      const out: SessionStore[] = [];
      for (let i = 0; i < n; i++) {
        const s = await subject.open();
        opened.push(s);
        out.push(s);
      }
      return out;
    }

    it('gives every store on the same data the same epoch', async () => {
      const subject = await factory();
      const [a, b] = await stores(subject, 2);
      const fromA = await a!.epoch();
      expect(await b!.epoch()).toBe(fromA);
      // a store opened later still finds the same generation
      const [c] = await stores(subject, 1);
      expect(await c!.epoch()).toBe(fromA);
    });

    it('returns a new epoch after the data is lost, the same one to every store racing for it', async () => {
      const subject = await factory();
      const racers = await stores(subject, 5);
      const before = await racers[0]!.epoch();
      const mid = uniqueMid();
      const key = uid('k');
      await racers[0]!.addMapping(mid, key, 'comet-a');

      await subject.wipe();
      expect(await racers[1]!.serversByKeys([key])).toEqual([undefined]); // the data really went

      const after = await Promise.all(racers.map((s) => s.epoch()));
      expect(after[0]).not.toBe(before);
      expect(after[0]).not.toBe('');
      expect(after).toEqual(racers.map(() => after[0]));
      // and it stays until the next loss
      expect(await racers[2]!.epoch()).toBe(after[0]);

      await subject.wipe();
      const third = await racers[3]!.epoch();
      expect([before, after[0]]).not.toContain(third);
    });
  });
}
