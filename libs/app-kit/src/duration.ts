/**
 * Go durations: goim's TOML files write timeouts as Go `time.ParseDuration` strings
 * (`"4m"`, `"200ms"`, `"1h2m3.5s"`); goim-ts configs resolve them to milliseconds.
 */
import { z } from 'zod';

const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/**
 * Parses a Go `time.ParseDuration` string into milliseconds, exactly (`"1.5us"` → 0.0015);
 * undefined if malformed. A bare number other than `"0"` is malformed, as in Go.
 */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * GO_DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === 0 ? undefined : total;
}

/** {@link parseGoDuration} rounded to whole milliseconds (what timers take). */
export function parseGoDurationMs(text: string): number | undefined {
  const ms = parseGoDuration(text);
  return ms === undefined ? undefined : Math.round(ms);
}

/** Options of {@link goDuration}. */
export interface GoDurationOptions {
  /** Examples named in the error message, e.g. `'"5s", "200ms"'`. */
  examples: string;
  /** Round parsed strings to whole ms (default true); numbers pass as given. */
  round?: boolean;
  /**
   * How a negative number fails: `'schema'` (default) with zod's "Too small" issue, or
   * `'message'` with the same "not a duration" message as a bad string.
   */
  negative?: 'schema' | 'message';
}

/**
 * A zod config field holding a duration in ms: a non-negative number of ms, or a Go duration
 * string; `defaultMs` when absent. Its input type is `number | string`, which the config
 * reference (docs/config.md) renders as "duration".
 */
export function goDuration(defaultMs: number, options: GoDurationOptions) {
  const parse = options.round === false ? parseGoDuration : parseGoDurationMs;
  const number = options.negative === 'message' ? z.number() : z.number().nonnegative();
  return z
    .union([number, z.string()])
    .transform((v, ctx) => {
      const ms = typeof v === 'number' ? (v >= 0 ? v : undefined) : parse(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (use e.g. ${options.examples})` });
        return z.NEVER;
      }
      return ms;
    })
    .default(defaultMs);
}
