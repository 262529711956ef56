/**
 * Turns cumulative counter snapshots (GET /goim/admin/metrics) into per-second rates for the
 * charts. Counters only grow while a process lives; a drop means a restart, which reads as a
 * new baseline (rate 0 for that interval) rather than a negative spike.
 */
import type { MetricsSnapshot } from './api.js';

/** The series drawn on the dashboard. */
export const SERIES = ['accepted', 'delivered', 'dropped', 'kicked'] as const;
export type SeriesName = (typeof SERIES)[number];

/** Reads the cumulative value of each series from a snapshot. */
export function seriesValues(s: MetricsSnapshot): Record<SeriesName, number> {
  return {
    accepted: s.pushes.total,
    delivered: s.counters.delivered,
    // Dropped: messages job gave up on plus connections cut for being too slow.
    dropped: s.counters.undeliverable + s.counters.slowConsumers,
    kicked: s.counters.kicked,
  };
}

/** Keeps the last `capacity` snapshots and answers rates between neighbours. */
export class RateHistory {
  private readonly snapshots: MetricsSnapshot[] = [];

  constructor(private readonly capacity = 60) {}

  add(s: MetricsSnapshot): void {
    const last = this.snapshots[this.snapshots.length - 1];
    if (last && s.at <= last.at) return;
    this.snapshots.push(s);
    if (this.snapshots.length > this.capacity + 1) this.snapshots.shift();
  }

  /** Per-second rates of `name`, oldest first (one fewer than the snapshots kept). */
  rates(name: SeriesName): number[] {
    const out: number[] = [];
    for (let i = 1; i < this.snapshots.length; i++) {
      const a = this.snapshots[i - 1]!;
      const b = this.snapshots[i]!;
      const dv = seriesValues(b)[name] - seriesValues(a)[name];
      const dt = (b.at - a.at) / 1000;
      out.push(dv < 0 || dt <= 0 ? 0 : dv / dt);
    }
    return out;
  }

  /** The newest cumulative values, or undefined before the first snapshot. */
  totals(): Record<SeriesName, number> | undefined {
    const last = this.snapshots[this.snapshots.length - 1];
    return last && seriesValues(last);
  }
}

/**
 * SVG polyline points for a sparkline of `values` in a `width`×`height` box (y grows down,
 * the top is the series maximum, at least 1 so a flat zero line sits at the bottom).
 */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  // One value draws as a flat line across the box (a single point would be invisible).
  const vs = values.length === 1 ? [values[0]!, values[0]!] : values;
  const max = Math.max(1, ...vs);
  const step = width / (vs.length - 1);
  return vs
    .map((v, i) => `${round(i * step)},${round(height - (v / max) * height)}`)
    .join(' ');
}

const round = (n: number) => Math.round(n * 10) / 10;
