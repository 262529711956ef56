import { readRawBatch } from '@goim/protocol';
import { JobErrorCode } from './errors.js';
import { RoomBatcher, roomBatchId, type RoomBatch, type RoomBatcherOptions } from './room-batcher.js';
import { realTimers } from './timers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Held {
  batch: RoomBatch;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A batcher whose flushes are recorded; `auto` resolves them at once. */
function setup(opts: Partial<RoomBatcherOptions> = {}, auto = true) {
  const flushed: RoomBatch[] = [];
  const held: Held[] = [];
  const batcher = new RoomBatcher(
    (batch) => {
      flushed.push(batch);
      if (auto) return Promise.resolve();
      return new Promise<void>((resolve, reject) => held.push({ batch, resolve, reject }));
    },
    { batch: 20, signalMs: 1000, idleMs: 15 * 60_000, maxPending: 40, flushWhenIdle: false, timers: realTimers, ...opts },
  );
  const push = (room: string, text: string) => batcher.push(room, { op: 1000, body: enc.encode(text) }, `id-${text}`);
  const texts = (b: RoomBatch) => readRawBatch(b.body).map((f) => dec.decode(f.body));
  return { batcher, flushed, held, push, texts };
}

/** Lets promise callbacks run (fake timers do not fake microtasks). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('RoomBatcher', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('flushes a full batch of 20 at once and the rest after the 1 s window', async () => {
    const { flushed, push, texts } = setup();
    const all = Array.from({ length: 45 }, (_, i) => push('live://1', String(i)));
    await settle(); // the first two batches settle; the last 5 get admitted (maxPending 40)
    expect(flushed.map((b) => b.ids.length)).toEqual([20, 20]);
    jest.advanceTimersByTime(999);
    expect(flushed).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(flushed.map((b) => b.ids.length)).toEqual([20, 20, 5]);
    await Promise.all(all);
    expect(flushed.flatMap(texts)).toEqual(Array.from({ length: 45 }, (_, i) => String(i)));
    for (const b of flushed) for (const f of readRawBatch(b.body)) expect(f).toMatchObject({ ver: 1, op: 1000, seq: 0 });
  });

  it('waits at most the signal window counted from the first message of a batch', async () => {
    const { flushed, push } = setup();
    const a = push('r', 'a');
    jest.advanceTimersByTime(600);
    const b = push('r', 'b');
    jest.advanceTimersByTime(399);
    expect(flushed).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]!.ids).toEqual(['id-a', 'id-b']);
    await Promise.all([a, b]);
  });

  it('keeps rooms apart', async () => {
    const { flushed, push } = setup({ batch: 2 });
    const ps = [push('r1', 'a'), push('r2', 'b'), push('r1', 'c'), push('r2', 'd')];
    expect(flushed.map((b) => [b.room, b.ids])).toEqual([
      ['r1', ['id-a', 'id-c']],
      ['r2', ['id-b', 'id-d']],
    ]);
    await Promise.all(ps);
  });

  it('ignores a window timer that fires right after a size-triggered flush and loses nothing after it (goim #310)', async () => {
    const { batcher, flushed, push } = setup();
    const first = [push('r', '0')];
    jest.advanceTimersByTime(999);
    for (let i = 1; i < 20; i++) first.push(push('r', String(i)));
    expect(flushed).toHaveLength(1); // size flush at t=999
    jest.advanceTimersByTime(1); // the old window's deadline: nothing to flush, room must survive
    expect(flushed).toHaveLength(1);
    expect(batcher.roomCount).toBe(1);
    const late = push('r', 'late');
    jest.advanceTimersByTime(999);
    expect(flushed).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(flushed).toHaveLength(2);
    expect(flushed[1]!.ids).toEqual(['id-late']);
    await Promise.all([...first, late]);
  });

  it('reaps an idle room and starts a fresh one for a later message', async () => {
    const { batcher, flushed, push } = setup({ idleMs: 60_000 });
    const a = push('r', 'a');
    jest.advanceTimersByTime(1000);
    await a;
    expect(batcher.roomCount).toBe(1);
    jest.advanceTimersByTime(60_000);
    expect(batcher.roomCount).toBe(0);
    const b = push('r', 'b');
    jest.advanceTimersByTime(1000);
    await b;
    expect(flushed.map((x) => x.ids)).toEqual([['id-a'], ['id-b']]);
  });

  it('does not reap a room while its batch is still being delivered', async () => {
    const { batcher, held, push } = setup({ idleMs: 60_000 }, false);
    const a = push('r', 'a');
    jest.advanceTimersByTime(1000);
    expect(held).toHaveLength(1);
    jest.advanceTimersByTime(60_000);
    expect(batcher.roomCount).toBe(1);
    held[0]!.resolve();
    await a;
    jest.advanceTimersByTime(60_000);
    expect(batcher.roomCount).toBe(0);
  });

  it('makes callers wait instead of dropping when a room holds maxPending unsettled messages', async () => {
    const { batcher, held, push, texts } = setup({ batch: 20, maxPending: 40 }, false);
    let done = 0;
    let failed = 0;
    const ps = Array.from({ length: 100 }, (_, i) =>
      push('r', String(i)).then(
        () => void done++,
        () => void failed++,
      ),
    );
    expect(held).toHaveLength(2);
    expect(batcher.pending).toBe(100);
    jest.advanceTimersByTime(5000);
    await settle();
    expect(held).toHaveLength(2); // full: the 60 others wait, no new batch, nothing dropped
    expect(done + failed).toBe(0);
    for (let i = 0; i < 5; i++) {
      held[i]!.resolve();
      await settle();
    }
    await Promise.all(ps);
    expect(failed).toBe(0);
    expect(done).toBe(100);
    expect(held.flatMap((h) => texts(h.batch))).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  });

  it('rejects every message of a batch whose delivery failed', async () => {
    const { held, push } = setup({ batch: 2 }, false);
    const a = push('r', 'a');
    const b = push('r', 'b');
    const boom = new Error('comet down');
    held[0]!.reject(boom);
    await expect(a).rejects.toBe(boom);
    await expect(b).rejects.toBe(boom);
  });

  it('flushes when no further room message arrived within a timer tick (flushWhenIdle)', async () => {
    // quietMs Infinity: every room counts as streaming, so only the tick decides.
    const { flushed, push } = setup({ flushWhenIdle: true, quietMs: Infinity });
    const ps = [push('r1', 'a'), push('r1', 'b'), push('r2', 'c')];
    expect(flushed).toHaveLength(0);
    jest.advanceTimersByTime(1); // first check: messages arrived since it was scheduled → look again
    expect(flushed).toHaveLength(0);
    jest.advanceTimersByTime(1); // a whole tick without arrivals → flush every collecting room
    expect(flushed.map((b) => b.ids)).toEqual([['id-a', 'id-b'], ['id-c']]);
    await Promise.all(ps);
  });

  it('keeps collecting while messages still stream in with flushWhenIdle', async () => {
    const { flushed, push } = setup({ flushWhenIdle: true, quietMs: Infinity });
    const ps = [push('r', '1')];
    jest.advanceTimersByTime(1); // nothing arrived after it → flush [1]
    expect(flushed).toHaveLength(1);
    ps.push(push('r', '2'));
    ps.push(push('r', '3')); // arrived after the check was scheduled: it looks again
    jest.advanceTimersByTime(1);
    ps.push(push('r', '4')); // still streaming
    jest.advanceTimersByTime(1);
    expect(flushed).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(flushed.map((b) => b.ids.length)).toEqual([1, 3]);
    await Promise.all(ps);
  });

  it('flushes a quiet room at the end of the turn, without waiting for the timer tick', async () => {
    const deferred: (() => void)[] = [];
    const { flushed, push } = setup({ flushWhenIdle: true, defer: (fn) => deferred.push(fn) });
    const ps = [push('r1', 'a'), push('r1', 'b'), push('r2', 'c')];
    // r1 and r2 had no message before: one end-of-turn pass is armed for both.
    expect(deferred).toHaveLength(1);
    expect(flushed).toHaveLength(0);
    deferred.shift()!();
    expect(flushed.map((b) => b.ids)).toEqual([['id-a', 'id-b'], ['id-c']]);
    // b armed the tick check (r1 was streaming by then); it finds nothing left to flush.
    jest.advanceTimersByTime(2);
    expect(flushed).toHaveLength(2);
    await Promise.all(ps);
  });

  it('lets a room streaming faster than quietMs wait the timer tick for company', async () => {
    const deferred: (() => void)[] = [];
    const { flushed, push } = setup({ flushWhenIdle: true, quietMs: 100, defer: (fn) => deferred.push(fn) });
    const ps = [push('r', '1')];
    deferred.shift()!(); // quiet: flushed at the end of the turn
    expect(flushed.map((b) => b.ids.length)).toEqual([1]);
    jest.advanceTimersByTime(99);
    ps.push(push('r', '2')); // 99 ms after the last one: streaming
    ps.push(push('r', '3')); // within the same tick: batched with 2
    expect(deferred).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(flushed).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(flushed.map((b) => b.ids.length)).toEqual([1, 2]);
    jest.advanceTimersByTime(100);
    ps.push(push('r', '4')); // 100 ms without a message: quiet again
    expect(deferred).toHaveLength(1);
    deferred.shift()!();
    expect(flushed.map((b) => b.ids.length)).toEqual([1, 2, 1]);
    await Promise.all(ps);
  });

  it('defers quiet flushes with setImmediate by default (fake timers apply)', async () => {
    const { flushed, push } = setup({ flushWhenIdle: true });
    const p = push('r', 'x');
    expect(flushed).toHaveLength(0);
    jest.runOnlyPendingTimers();
    expect(flushed.map((b) => b.ids)).toEqual([['id-x']]);
    await p;
  });

  it('rejects messages still waiting for admission on close', async () => {
    const { batcher, held, push } = setup({ batch: 1, maxPending: 1 }, false);
    const a = push('r', 'a');
    const b = push('r', 'b');
    batcher.close();
    await expect(b).rejects.toMatchObject({ code: JobErrorCode.CLOSED });
    held[0]!.resolve();
    await a;
  });
});

describe('roomBatchId', () => {
  it('is the message id for a batch of one and a stable hash otherwise', () => {
    expect(roomBatchId(['m1'])).toBe('m1');
    expect(roomBatchId(['m1', 'm2'])).toBe(roomBatchId(['m1', 'm2']));
    expect(roomBatchId(['m1', 'm2'])).not.toBe(roomBatchId(['m2', 'm1']));
    expect(roomBatchId(['m1', 'm2'])).toMatch(/^rb-[0-9a-f]{32}$/);
  });
});
