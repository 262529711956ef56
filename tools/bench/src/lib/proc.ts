/**
 * Reads CPU time and RSS of a process from Linux `/proc` (how the runner measures the server
 * and the load generator from outside, so their own instrumentation costs nothing).
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux build. */
export const CLOCK_TICKS_PER_SEC = 100;

export interface ProcSample {
  /** user + system CPU time in milliseconds. */
  cpuMs: number;
  /** Resident set size in bytes (VmRSS). */
  rssBytes: number;
}

/**
 * Parses the content of `/proc/<pid>/stat`: utime and stime are fields 14 and 15, counted
 * after the `(comm)` field, whose name may itself contain spaces and parentheses.
 */
export function parseProcStat(text: string): { utimeTicks: number; stimeTicks: number } {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new TypeError('not a /proc/<pid>/stat line');
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const utimeTicks = Number(rest[14 - 3]);
  const stimeTicks = Number(rest[15 - 3]);
  if (!Number.isFinite(utimeTicks) || !Number.isFinite(stimeTicks)) throw new TypeError('malformed /proc/<pid>/stat line');
  return { utimeTicks, stimeTicks };
}

/** Parses `VmRSS:   1234 kB` out of `/proc/<pid>/status`; bytes. */
export function parseVmRss(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (!m) throw new TypeError('no VmRSS line in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

/** CPU time and RSS of `pid` now. */
export function sampleProc(pid: number): ProcSample {
  const { utimeTicks, stimeTicks } = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return {
    cpuMs: ((utimeTicks + stimeTicks) * 1000) / CLOCK_TICKS_PER_SEC,
    rssBytes: parseVmRss(readFileSync(`/proc/${pid}/status`, 'utf8')),
  };
}

/** Sum of CPU milliseconds of several processes (missing ones count 0: they already exited). */
export function cpuMsOf(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += sampleProc(pid).cpuMs;
    } catch {
      // exited
    }
  }
  return total;
}
