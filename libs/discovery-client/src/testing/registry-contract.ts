/**
 * The behaviour every Registry adapter must show, as one jest suite. Each adapter's spec calls
 * {@link describeRegistryContract} with a factory; a third-party adapter can do the same
 * (`import { describeRegistryContract } from '@goim/discovery-client/testing'`).
 *
 * Every test runs in an env unique to the run, so several suites can share one etcd or Redis
 * and the goim appids (`goim.comet`, `goim.logic`) are used as they are.
 */
import { RegistryError, RegistryErrorCode } from '../errors.js';
import type { Instance, InstanceInput, InstanceSnapshot, Registry } from '../registry.js';

/** What the factory hands the suite: a fresh registry, closed by the suite after the test. */
export interface RegistryContractSubject {
  registry: Registry;
  /**
   * Simulates the death of the registry's process: renewals stop and connections drop without
   * cancelling anything (e.g. destroy the client). Needed when `supportsExpiry` is true.
   */
  crash?(): Promise<void>;
}

/** What the suite asks the factory for. */
export interface RegistryContractFactoryOptions {
  /** Env the registry must serve. */
  env: string;
  /** Lease / key TTL, seconds (2 in the expiry tests; adapters without expiry ignore it). */
  ttlSec: number;
}

export type RegistryContractFactory = (
  options: RegistryContractFactoryOptions,
) => RegistryContractSubject | Promise<RegistryContractSubject>;

/** Capabilities of the adapter under test. */
export interface RegistryContractOptions {
  /**
   * The backend is shared between processes and drops registrations that stop renewing
   * (etcd, Redis). Enables the cross-registry and expiry cases.
   */
  supportsExpiry: boolean;
}

const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let seq = 0;
function uid(label: string): string {
  return `${label}-${RUN}-${(seq++).toString(36)}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function rejectsWith(p: Promise<unknown>, code: RegistryErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RegistryError);
  expect((caught as RegistryError).code).toBe(code);
}

/** Collects every snapshot a watch delivers. */
class Recorder {
  readonly seen: InstanceSnapshot[] = [];
  readonly listener = (s: InstanceSnapshot): void => {
    this.seen.push(s);
  };
  get last(): InstanceSnapshot | undefined {
    return this.seen[this.seen.length - 1];
  }
  hosts(): string[] {
    return (this.last?.instances ?? []).map((i) => i.hostname);
  }
  waitHosts(expected: string[], timeoutMs?: number): Promise<InstanceSnapshot> {
    const want = JSON.stringify([...expected].sort());
    return until(() => JSON.stringify([...this.hosts()].sort()) === want && this.last, `hosts ${want}`, timeoutMs);
  }
}

function comet(hostname: string, over: Partial<InstanceInput> = {}): InstanceInput {
  return {
    region: 'sh',
    zone: 'sh001',
    appid: 'goim.comet',
    hostname,
    addrs: ['grpc://127.0.0.1:3109'],
    version: '0.1.0',
    metadata: { weight: '10', offline: 'false', addrs: '10.0.0.1,10.0.0.2' },
    ...over,
  };
}

/**
 * Declares `describe(name)` with the Registry contract: register/fetch with every field,
 * watch snapshots on register, update and cancel, appid and env isolation, zone grouping,
 * argument errors, close, serial listener calls, and (with `supportsExpiry`) visibility across
 * registries and expiry of a registration whose process died.
 */
export function describeRegistryContract(name: string, factory: RegistryContractFactory, options: RegistryContractOptions): void {
  describe(name, () => {
    const open: Registry[] = [];
    let env: string;

    async function make(over: Partial<RegistryContractFactoryOptions> = {}): Promise<RegistryContractSubject> {
      const subject = await factory({ env, ttlSec: 10, ...over });
      open.push(subject.registry);
      return subject;
    }
    async function registry(over: Partial<RegistryContractFactoryOptions> = {}): Promise<Registry> {
      return (await make(over)).registry;
    }

    beforeEach(() => {
      env = uid('env');
    });
    afterEach(async () => {
      for (const r of open.splice(0)) await r.close();
    });

    it('serves the env it was made for', async () => {
      const r = await registry();
      expect(r.env).toBe(env);
    });

    it('fetch shows a registered instance with every field of goim’s shape', async () => {
      const r = await registry();
      const host = uid('comet');
      const before = Date.now();
      const reg = await r.register(comet(host));
      const after = Date.now();
      const snap = await r.fetch('goim.comet');
      expect(snap.appid).toBe('goim.comet');
      expect(snap.instances).toHaveLength(1);
      const ins = snap.instances[0]!;
      expect(ins).toEqual<Instance>({
        region: 'sh',
        zone: 'sh001',
        env,
        appid: 'goim.comet',
        hostname: host,
        addrs: ['grpc://127.0.0.1:3109'],
        version: '0.1.0',
        latest_timestamp: ins.latest_timestamp,
        metadata: { weight: '10', offline: 'false', addrs: '10.0.0.1,10.0.0.2' },
      });
      // Nanoseconds, as goim's discovery stamps them.
      expect(ins.latest_timestamp).toBeGreaterThanOrEqual((before - 1) * 1e6);
      expect(ins.latest_timestamp).toBeLessThanOrEqual((after + 1) * 1e6);
      expect(reg.instance).toEqual(ins);
    });

    it('fetch of an appid nobody registered is an empty snapshot', async () => {
      const r = await registry();
      expect(await r.fetch('goim.logic')).toEqual({ appid: 'goim.logic', instances: [], zones: {} });
    });

    it('watch delivers the current snapshot before it resolves, then every registration', async () => {
      const r = await registry();
      const a = uid('comet');
      const b = uid('comet');
      await r.register(comet(a));
      const rec = new Recorder();
      await r.watch('goim.comet', rec.listener);
      expect(rec.hosts()).toEqual([a]);
      await r.register(comet(b));
      await rec.waitHosts([a, b]);
    });

    it('update replaces metadata and watchers see it with a newer latest_timestamp', async () => {
      const r = await registry();
      const host = uid('comet');
      const reg = await r.register(comet(host));
      const first = reg.instance.latest_timestamp;
      const rec = new Recorder();
      await r.watch('goim.comet', rec.listener);
      await reg.update({ weight: '10', offline: 'false', conn_count: '42', ip_count: '7' });
      const snap = await until(() => rec.last?.instances[0]?.metadata['conn_count'] === '42' && rec.last, 'conn_count 42');
      const ins = snap.instances[0]!;
      expect(ins.metadata).toEqual({ weight: '10', offline: 'false', conn_count: '42', ip_count: '7' });
      expect(ins.latest_timestamp).toBeGreaterThan(first);
      expect(reg.instance.metadata['conn_count']).toBe('42');
      expect(reg.instance.latest_timestamp).toBe(ins.latest_timestamp);
      // Two updates within one millisecond still order.
      await reg.update({ conn_count: '43' });
      await reg.update({ conn_count: '44' });
      const last = await until(() => rec.last?.instances[0]?.metadata['conn_count'] === '44' && rec.last, 'conn_count 44');
      expect(last.instances[0]!.latest_timestamp).toBeGreaterThan(ins.latest_timestamp);
      expect(last.instances[0]!.metadata).toEqual({ conn_count: '44' });
    });

    it('cancel removes the instance for watchers and fetch; cancel twice is safe; update after it rejects', async () => {
      const r = await registry();
      const keep = uid('comet');
      const gone = uid('comet');
      await r.register(comet(keep));
      const reg = await r.register(comet(gone));
      const rec = new Recorder();
      await r.watch('goim.comet', rec.listener);
      expect(rec.hosts().sort()).toEqual([keep, gone].sort());
      await reg.cancel();
      await rec.waitHosts([keep]);
      expect((await r.fetch('goim.comet')).instances.map((i) => i.hostname)).toEqual([keep]);
      await reg.cancel();
      await rejectsWith(reg.update({ conn_count: '1' }), RegistryErrorCode.CANCELLED);
    });

    it('keeps two appids apart', async () => {
      const r = await registry();
      const c = uid('comet');
      const l = uid('logic');
      const comets = new Recorder();
      const logics = new Recorder();
      await r.watch('goim.comet', comets.listener);
      await r.watch('goim.logic', logics.listener);
      await r.register(comet(c));
      await r.register(comet(l, { appid: 'goim.logic', addrs: ['grpc://127.0.0.1:3119'], metadata: { weight: '10' } }));
      await comets.waitHosts([c]);
      await logics.waitHosts([l]);
      expect((await r.fetch('goim.comet')).instances.map((i) => i.hostname)).toEqual([c]);
      expect((await r.fetch('goim.logic')).instances.map((i) => i.hostname)).toEqual([l]);
      expect(comets.seen.every((s) => s.appid === 'goim.comet' && s.instances.every((i) => i.appid === 'goim.comet'))).toBe(true);
      expect(logics.seen.every((s) => s.appid === 'goim.logic' && s.instances.every((i) => i.appid === 'goim.logic'))).toBe(true);
    });

    it('keeps two envs apart, even for the same appid and hostname', async () => {
      const envB = uid('env');
      const a = await registry();
      const b = await registry({ env: envB });
      const host = uid('comet');
      const recA = new Recorder();
      const recB = new Recorder();
      await a.watch('goim.comet', recA.listener);
      await b.watch('goim.comet', recB.listener);
      await a.register(comet(host, { metadata: { weight: '1' } }));
      await b.register(comet(host, { metadata: { weight: '2' } }));
      await recA.waitHosts([host]);
      await recB.waitHosts([host]);
      await sleep(100);
      expect(recA.last!.instances).toHaveLength(1);
      expect(recA.last!.instances[0]!).toMatchObject({ env, metadata: { weight: '1' } });
      expect(recB.last!.instances).toHaveLength(1);
      expect(recB.last!.instances[0]!).toMatchObject({ env: envB, metadata: { weight: '2' } });
    });

    it('groups the snapshot by zone, instances sorted by zone then hostname', async () => {
      const r = await registry();
      const h = [uid('c'), uid('c'), uid('c')];
      await r.register(comet(h[2]!, { zone: 'sh001' }));
      await r.register(comet(h[0]!, { zone: 'sh002' }));
      await r.register(comet(h[1]!, { zone: 'sh001' }));
      const snap = await r.fetch('goim.comet');
      expect(Object.keys(snap.zones).sort()).toEqual(['sh001', 'sh002']);
      expect(snap.zones['sh001']!.map((i) => i.hostname)).toEqual([h[1], h[2]].sort());
      expect(snap.zones['sh002']!.map((i) => i.hostname)).toEqual([h[0]]);
      expect(snap.instances.map((i) => i.hostname)).toEqual([...snap.zones['sh001']!, ...snap.zones['sh002']!].map((i) => i.hostname));
    });

    it('a second register of one hostname replaces the first (a restarted process)', async () => {
      const r = await registry();
      const host = uid('comet');
      const first = await r.register(comet(host, { version: '1' }));
      const second = await r.register(comet(host, { version: '2' }));
      const snap = await r.fetch('goim.comet');
      expect(snap.instances.map((i) => [i.hostname, i.version])).toEqual([[host, '2']]);
      expect(second.instance.latest_timestamp).toBeGreaterThan(first.instance.latest_timestamp);
    });

    it('rejects bad instances with typed errors', async () => {
      const r = await registry();
      await rejectsWith(r.register(comet('')), RegistryErrorCode.INVALID_INSTANCE);
      await rejectsWith(r.register(comet('a/b')), RegistryErrorCode.INVALID_INSTANCE);
      await rejectsWith(r.register(comet(uid('c'), { appid: 'goim:comet' })), RegistryErrorCode.INVALID_INSTANCE);
      await rejectsWith(r.register(comet(uid('c'), { addrs: ['127.0.0.1:3109'] })), RegistryErrorCode.INVALID_INSTANCE);
      await rejectsWith(
        r.register(comet(uid('c'), { metadata: { conn_count: 3 as unknown as string } })),
        RegistryErrorCode.INVALID_INSTANCE,
      );
      await rejectsWith(r.register(comet(uid('c'), { env: `${env}-other` })), RegistryErrorCode.ENV_MISMATCH);
      const reg = await r.register(comet(uid('c'), { env }));
      await rejectsWith(reg.update({ conn_count: 1 as unknown as string }), RegistryErrorCode.INVALID_INSTANCE);
      await rejectsWith(r.fetch('goim comet'), RegistryErrorCode.INVALID_INSTANCE);
      expect((await r.fetch('goim.comet')).instances).toHaveLength(1);
    });

    it('stop ends a watch: no snapshot after it resolves; stop twice is safe', async () => {
      const r = await registry();
      const rec = new Recorder();
      const w = await r.watch('goim.comet', rec.listener);
      await w.stop();
      const count = rec.seen.length;
      await r.register(comet(uid('c')));
      const other = new Recorder();
      await r.watch('goim.comet', other.listener);
      await sleep(200);
      expect(rec.seen).toHaveLength(count);
      await w.stop();
    });

    it('never runs a listener concurrently with itself and ends on the latest state', async () => {
      const r = await registry();
      const host = uid('comet');
      const reg = await r.register(comet(host));
      let active = 0;
      let maxActive = 0;
      let last: InstanceSnapshot | undefined;
      await r.watch('goim.comet', async (s) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(30);
        last = s;
        active--;
      });
      for (let i = 1; i <= 10; i++) await reg.update({ conn_count: String(i) });
      await until(() => last?.instances[0]?.metadata['conn_count'] === '10', 'conn_count 10');
      expect(maxActive).toBe(1);
    });

    it('a listener that throws does not end the watch', async () => {
      const r = await registry();
      const rec = new Recorder();
      let calls = 0;
      await r.watch('goim.comet', (s) => {
        calls++;
        rec.listener(s);
        throw new Error('listener bug');
      });
      const host = uid('c');
      await r.register(comet(host));
      await rec.waitHosts([host]);
      expect(calls).toBeGreaterThanOrEqual(2);
    });

    it('close cancels own registrations, rejects later calls with GOIM_ERR_REGISTRY_CLOSED, and is safe twice', async () => {
      const r = await registry();
      const host = uid('comet');
      await r.register(comet(host));
      const observer = options.supportsExpiry ? await registry() : undefined;
      const rec = new Recorder();
      if (observer) {
        await observer.watch('goim.comet', rec.listener);
        expect(rec.hosts()).toEqual([host]);
      }
      await r.close();
      await r.close();
      if (observer) {
        await rec.waitHosts([]);
        expect((await observer.fetch('goim.comet')).instances).toEqual([]);
      }
      await rejectsWith(r.register(comet(uid('c'))), RegistryErrorCode.CLOSED);
      await rejectsWith(r.fetch('goim.comet'), RegistryErrorCode.CLOSED);
      await rejectsWith(r.watch('goim.comet', () => {}), RegistryErrorCode.CLOSED);
    });

    if (options.supportsExpiry) {
      it('shows one registry’s registrations, updates and cancels to another', async () => {
        const writer = await registry();
        const reader = await registry();
        const host = uid('comet');
        const rec = new Recorder();
        await reader.watch('goim.comet', rec.listener);
        const reg = await writer.register(comet(host));
        await rec.waitHosts([host]);
        await reg.update({ conn_count: '5' });
        await until(() => rec.last?.instances[0]?.metadata['conn_count'] === '5', 'conn_count 5 seen by the reader');
        await reg.cancel();
        await rec.waitHosts([]);
      });

      it('keeps a live registration past its TTL and drops one whose process died, within TTL + margin', async () => {
        const ttlSec = 2;
        const dying = await make({ ttlSec });
        const living = await registry({ ttlSec });
        const observer = await registry({ ttlSec });
        if (!dying.crash) throw new Error('supportsExpiry needs the factory to provide crash()');
        const dead = uid('dead');
        const alive = uid('alive');
        await dying.registry.register(comet(dead));
        await living.register(comet(alive));
        const rec = new Recorder();
        await observer.watch('goim.comet', rec.listener);
        expect(rec.hosts().sort()).toEqual([alive, dead].sort());
        // Renewals keep both alive well past one TTL.
        await sleep(ttlSec * 1000 * 1.5);
        expect(rec.hosts().sort()).toEqual([alive, dead].sort());
        const crashedAt = Date.now();
        await dying.crash();
        await rec.waitHosts([alive], (ttlSec + 4) * 1000);
        const delay = Date.now() - crashedAt;
        expect(delay).toBeLessThan((ttlSec + 4) * 1000);
        expect((await observer.fetch('goim.comet')).instances.map((i) => i.hostname)).toEqual([alive]);
      }, 30_000);
    }
  });
}
