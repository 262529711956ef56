import type { MetricsSnapshot } from './api.js';
import { RateHistory, seriesValues, sparklinePoints } from './rates.js';

const snap = (at: number, total: number, delivered: number, extra: Partial<MetricsSnapshot['counters']> = {}): MetricsSnapshot => ({
  at,
  pushes: { push: total, room: 0, broadcast: 0, total },
  counters: { delivered, kicked: 0, slowConsumers: 0, replaced: 0, undeliverable: 0, ...extra },
  scraped: [],
});

describe('RateHistory', () => {
  it('computes per-second rates between consecutive snapshots', () => {
    const h = new RateHistory();
    h.add(snap(0, 0, 0));
    h.add(snap(2_000, 10, 40));
    h.add(snap(4_000, 30, 40));
    expect(h.rates('accepted')).toEqual([5, 10]);
    expect(h.rates('delivered')).toEqual([20, 0]);
    expect(h.totals()).toEqual({ accepted: 30, delivered: 40, dropped: 0, kicked: 0 });
  });

  it('reads a counter reset (process restart) as a new baseline, not a negative rate', () => {
    const h = new RateHistory();
    h.add(snap(0, 100, 0));
    h.add(snap(1_000, 3, 0));
    h.add(snap(2_000, 5, 0));
    expect(h.rates('accepted')).toEqual([0, 2]);
  });

  it('ignores snapshots that are not newer and keeps at most capacity intervals', () => {
    const h = new RateHistory(2);
    for (let i = 0; i < 6; i++) h.add(snap(i * 1000, i, 0));
    h.add(snap(3_000, 99, 0));
    expect(h.rates('accepted')).toEqual([1, 1]);
  });

  it('counts undeliverable and slow consumers as dropped', () => {
    expect(seriesValues(snap(0, 0, 0, { undeliverable: 2, slowConsumers: 3, kicked: 4 }))).toMatchObject({ dropped: 5, kicked: 4 });
  });
});

describe('sparklinePoints', () => {
  it('scales to the maximum and puts zero at the bottom', () => {
    expect(sparklinePoints([0, 5, 10], 100, 40)).toBe('0,40 50,20 100,0');
    expect(sparklinePoints([0, 0], 100, 40)).toBe('0,40 100,40');
    expect(sparklinePoints([], 100, 40)).toBe('');
    expect(sparklinePoints([2], 100, 40)).toBe('0,0 100,0');
  });
});
