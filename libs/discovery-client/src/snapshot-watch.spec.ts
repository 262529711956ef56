import { buildSnapshot } from './instance.js';
import { SILENT_LOGGER } from './logger.js';
import type { Instance, InstanceSnapshot } from './registry.js';
import { SnapshotWatch } from './snapshot-watch.js';

function ins(hostname: string, conn = '0'): Instance {
  return { region: 'sh', zone: 'sh001', env: 'dev', appid: 'goim.comet', hostname, addrs: [], version: '', latest_timestamp: 1, metadata: { conn_count: conn } };
}

/** A load function whose calls the test resolves one by one. */
function gatedLoad() {
  const pending: Array<(s: InstanceSnapshot) => void> = [];
  let state: Instance[] = [];
  let calls = 0;
  const load = () =>
    new Promise<InstanceSnapshot>((resolve) => {
      calls++;
      pending.push(resolve);
    });
  return {
    load,
    set(list: Instance[]) {
      state = list;
    },
    /** Answers the oldest pending load with the current state. */
    answer() {
      pending.shift()!(buildSnapshot('goim.comet', state));
    },
    get calls() {
      return calls;
    },
    get pending() {
      return pending.length;
    },
  };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('SnapshotWatch', () => {
  it('does not lose a change notice that arrives just as a reload finishes', async () => {
    // The notice may land at any microtask after the listener ran; try every offset of a window.
    for (let ticks = 0; ticks < 12; ticks++) {
      let state: Instance[] = [ins('a')];
      const seen: string[][] = [];
      const w = new SnapshotWatch('goim.comet', async () => buildSnapshot('goim.comet', state), (snap) => {
        seen.push(snap.instances.map((i) => i.hostname));
      }, SILENT_LOGGER, () => undefined);
      await w.start();
      state = [ins('a'), ins('b')];
      w.refresh();
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      state = [];
      w.refresh();
      await flush();
      await w.idle();
      expect({ ticks, last: seen.at(-1) }).toEqual({ ticks, last: [] });
      await w.stop();
    }
  });


  it('coalesces a burst of change notices into one extra load', async () => {
    const g = gatedLoad();
    const seen: InstanceSnapshot[] = [];
    const w = new SnapshotWatch('goim.comet', g.load, (s) => void seen.push(s), SILENT_LOGGER, () => {});
    const started = w.start();
    g.answer();
    await started;
    expect(g.calls).toBe(1);
    g.set([ins('a')]);
    w.refresh();
    for (let i = 0; i < 50; i++) w.refresh();
    await flush();
    expect(g.pending).toBe(1);
    g.set([ins('a'), ins('b')]);
    g.answer();
    await flush();
    // One more load for the notices that arrived while the first was running, then quiet.
    expect(g.pending).toBe(1);
    g.answer();
    await w.idle();
    expect(g.calls).toBe(3);
    expect(seen.map((s) => s.instances.map((i) => i.hostname))).toEqual([[], ['a', 'b']]);
  });

  it('holds notices that arrive before start until the first snapshot is delivered', async () => {
    const g = gatedLoad();
    const seen: InstanceSnapshot[] = [];
    const w = new SnapshotWatch('goim.comet', g.load, (s) => void seen.push(s), SILENT_LOGGER, () => {});
    w.refresh();
    expect(g.calls).toBe(0);
    const started = w.start();
    w.refresh();
    g.set([ins('a')]);
    g.answer();
    await started;
    expect(g.pending).toBe(1);
    g.set([ins('a', '5')]);
    g.answer();
    await w.idle();
    expect(seen.map((s) => s.instances[0]!.metadata['conn_count'])).toEqual(['0', '5']);
  });

  it('keeps the last snapshot when a reload fails, and recovers on the next notice', async () => {
    let fail = false;
    let state = [ins('a')];
    const warnings: unknown[] = [];
    const seen: InstanceSnapshot[] = [];
    const logger = { ...SILENT_LOGGER, warn: (o: object) => void warnings.push(o) };
    const load = async () => {
      if (fail) throw new Error('backend down');
      return buildSnapshot('goim.comet', state);
    };
    const w = new SnapshotWatch('goim.comet', load, (s) => void seen.push(s), logger, () => {});
    await w.start();
    fail = true;
    w.refresh();
    await w.idle();
    expect(warnings).toHaveLength(1);
    fail = false;
    state = [ins('a'), ins('b')];
    w.refresh();
    await w.idle();
    expect(seen.map((s) => s.instances.length)).toEqual([1, 2]);
  });

  it('rejects start when the first load fails, and ignores notices afterwards', async () => {
    let loads = 0;
    const load = () => {
      loads++;
      return Promise.reject(new Error('down'));
    };
    const w = new SnapshotWatch('goim.comet', load, () => {}, SILENT_LOGGER, () => {});
    await expect(w.start()).rejects.toThrow('down');
    w.refresh();
    await w.idle();
    expect(loads).toBe(1);
  });
});
