/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and lists the functions with the
 * most self time — the "hot spots" the report prints.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

/** The parts of the V8 CPU profile format used here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  /** `name (file:line)`, the file relative to the repository or node_modules. */
  where: string;
  selfMs: number;
  /** Share of the busy (non-idle) samples, percent. */
  selfPct: number;
}

/** Strips the file URL down to the part a reader recognises. */
export function shortUrl(url: string): string {
  if (!url) return '';
  const s = url.replace(/^file:\/\//, '');
  const nm = s.lastIndexOf('/node_modules/');
  if (nm >= 0) return s.slice(nm + '/node_modules/'.length);
  const m = /\/(libs|apps|tools)\/(.*)$/.exec(s);
  return m ? `${m[1]}/${m[2]}` : s;
}

/**
 * Top `limit` functions by self time. `(idle)` is left out of the ranking and of the
 * denominator (a mostly idle server would otherwise show nothing but idle); `(garbage
 * collector)` and `(program)` stay in, they are real cost.
 */
export function hotSpots(profile: CpuProfile, limit = 12): { busyMs: number; totalMs: number; spots: HotSpot[] } {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<string, number>();
  let busyUs = 0;
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const f = node.callFrame;
    if (f.functionName === '(idle)') continue;
    busyUs += dt;
    const file = shortUrl(f.url);
    const key = file ? `${f.functionName || '(anonymous)'} (${file}:${f.lineNumber + 1})` : f.functionName || '(anonymous)';
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  }
  const spots = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([where, us]) => ({ where, selfMs: Math.round(us / 100) / 10, selfPct: busyUs ? Math.round((us / busyUs) * 1000) / 10 : 0 }));
  return { busyMs: Math.round(busyUs / 1000), totalMs: Math.round(totalUs / 1000), spots };
}
