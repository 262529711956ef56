import { BucketError, TimerWheel } from './index.js';

interface Conn {
  id: number;
}

describe('TimerWheel', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function wheel(opts: { resolutionMs?: number; slots?: number } = {}) {
    const expired: Conn[] = [];
    const w = new TimerWheel<Conn>({ onExpire: (c) => expired.push(c), ...opts });
    return { w, expired };
  }

  it('expires an entry after its delay, at most one tick late, and not before', () => {
    const { w, expired } = wheel({ resolutionMs: 1000 });
    const c = { id: 1 };
    w.add(c, 5000);
    jest.advanceTimersByTime(4999);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual([c]);
    expect(w.has(c)).toBe(false);
    expect(w.size).toBe(0);
  });

  it('uses one interval timer for many entries and none when empty', () => {
    const { w, expired } = wheel({ resolutionMs: 100 });
    expect(jest.getTimerCount()).toBe(0);
    const conns = Array.from({ length: 1000 }, (_, id) => ({ id }));
    conns.forEach((c, i) => w.add(c, 100 + (i % 10) * 100));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1100);
    expect(expired).toHaveLength(1000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('postpones an entry on reset (heartbeat received)', () => {
    const { w, expired } = wheel({ resolutionMs: 1000 });
    const c = { id: 1 };
    w.add(c, 3000);
    jest.advanceTimersByTime(2000);
    w.reset(c, 3000);
    jest.advanceTimersByTime(2500);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1500);
    expect(expired).toEqual([c]);
  });

  it('never fires a removed entry', () => {
    const { w, expired } = wheel({ resolutionMs: 10 });
    const a = { id: 1 };
    const b = { id: 2 };
    w.add(a, 50);
    w.add(b, 50);
    expect(w.remove(a)).toBe(true);
    expect(w.remove(a)).toBe(false);
    jest.advanceTimersByTime(100);
    expect(expired).toEqual([b]);
  });

  it('handles delays longer than one turn of the wheel', () => {
    const { w, expired } = wheel({ resolutionMs: 10, slots: 8 });
    const short = { id: 1 };
    const long = { id: 2 };
    w.add(short, 30);
    w.add(long, 30 + 8 * 10 * 3);
    jest.advanceTimersByTime(40);
    expect(expired).toEqual([short]);
    jest.advanceTimersByTime(220); // 260 ms: three turns minus one tick
    expect(expired).toEqual([short]);
    jest.advanceTimersByTime(20);
    expect(expired).toEqual([short, long]);
  });

  it('fires a zero delay on the next tick', () => {
    const { w, expired } = wheel({ resolutionMs: 10 });
    const c = { id: 1 };
    w.add(c, 0);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(10);
    expect(expired).toEqual([c]);
  });

  it('catches up after a stalled event loop', () => {
    let now = 0;
    const expired: number[] = [];
    const w = new TimerWheel<Conn>({ onExpire: (c) => expired.push(c.id), resolutionMs: 10, slots: 4, now: () => now });
    w.add({ id: 1 }, 15);
    w.add({ id: 2 }, 95);
    now = 1000;
    w.advance();
    expect(expired).toEqual([1, 2]);
    w.close();
  });

  it('keeps expiring other entries when onExpire throws', () => {
    const seen: number[] = [];
    const errors: unknown[] = [];
    const w = new TimerWheel<Conn>({
      resolutionMs: 10,
      onExpire: (c) => {
        seen.push(c.id);
        if (c.id === 1) throw new Error('boom');
      },
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: (o) => errors.push(o) },
    });
    w.add({ id: 1 }, 10);
    w.add({ id: 2 }, 10);
    jest.advanceTimersByTime(20);
    expect(seen.sort()).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
  });

  it('lets onExpire re-arm an entry', () => {
    let fired = 0;
    const w: TimerWheel<Conn> = new TimerWheel<Conn>({
      resolutionMs: 10,
      onExpire: (c) => {
        if (++fired < 3) w.add(c, 10);
      },
    });
    w.add({ id: 1 }, 10);
    jest.advanceTimersByTime(100);
    expect(fired).toBe(3);
    expect(w.size).toBe(0);
  });

  it('stops and refuses new entries after close with GOIM_ERR_BUCKET_TIMER_CLOSED', () => {
    const { w, expired } = wheel({ resolutionMs: 10 });
    w.add({ id: 1 }, 10);
    w.close();
    w.close();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(100);
    expect(expired).toEqual([]);
    expect(() => w.add({ id: 2 }, 10)).toThrow(expect.objectContaining({ code: 'GOIM_ERR_BUCKET_TIMER_CLOSED' }));
  });

  it('rejects bad options and delays', () => {
    const onExpire = (): void => {};
    expect(() => new TimerWheel({ onExpire, resolutionMs: 0 })).toThrow(BucketError);
    expect(() => new TimerWheel({ onExpire, slots: 0 })).toThrow(/slots/);
    expect(() => new TimerWheel({ onExpire: undefined as never })).toThrow(/onExpire/);
    const { w } = wheel();
    expect(() => w.add({ id: 1 }, -1)).toThrow(expect.objectContaining({ code: 'GOIM_ERR_BUCKET_INVALID_ARGUMENT' }));
    expect(() => w.add({ id: 1 }, Number.POSITIVE_INFINITY)).toThrow(BucketError);
  });
});
