/**
 * The end-to-end scenarios: each starts its own server process(es) and load client(s),
 * measures, stops everything it started and returns a ScenarioResult. Every wait is bounded.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from './lib/child.js';
import { hotSpots, type CpuProfile } from './lib/cpu-profile.js';
import { benchBody, nowMs } from './lib/goim-frames.js';
import type { BenchOptions, FanoutCaseId } from './lib/options.js';
import { cpuMsOf, sampleProc } from './lib/proc.js';
import type { ScenarioResult } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { runPushes, type PushTarget } from './load/pusher.js';
import type { ClientCommand, ClientEvent, ClientProto, ServerCommand, ServerEvent } from './load/protocol.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const CLIENT = here('./load/client.ts');
const GOIM_SERVER = here('./servers/goim-server.ts');
const SIO_SERVER = here('./servers/socketio-server.ts');

type ServerKind = 'goim' | 'sio';
type ServerProc = Child<ServerCommand, ServerEvent> & { ready: Extract<ServerEvent, { t: 'ready' }>; label: string; kind: ServerKind };
type ClientProc = Child<ClientCommand, ClientEvent>;

export interface Ctx {
  opts: BenchOptions;
  reportDir: string;
  /** Environment for the goim-ts server per queue engine (set by the runner once engines are up). */
  engines: { redisUrl?: string; kafkaBrokers?: string };
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KB = 1024;

async function startServer(ctx: Ctx, kind: ServerKind, label: string, env: Record<string, string> = {}): Promise<ServerProc> {
  const flags = ['--expose-gc'];
  if (kind === 'goim' && ctx.opts.cpuProf) {
    // One folder per server: tsx's loader thread writes a profile of its own next to the main one.
    const dir = join(ctx.reportDir, 'profiles', label);
    mkdirSync(dir, { recursive: true });
    flags.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const fullEnv = ctx.opts.serverConfig ? { ...env, BENCH_SERVER_CONFIG: ctx.opts.serverConfig } : env;
  const child = new Child<ServerCommand, ServerEvent>(kind === 'goim' ? GOIM_SERVER : SIO_SERVER, { name: label, env: fullEnv, nodeFlags: flags });
  try {
    const ready = await child.next('ready', 180_000);
    return Object.assign(child, { ready, label, kind });
  } catch (err) {
    child.proc.kill('SIGKILL');
    throw err;
  }
}

/** Stops the server; with --cpu-prof, adds its hot spots to `result`. */
async function stopServer(ctx: Ctx, s: ServerProc, result: ScenarioResult): Promise<void> {
  s.send({ t: 'exit' });
  await s.stop(15_000);
  if (s.kind === 'goim' && ctx.opts.cpuProf) {
    const dir = join(ctx.reportDir, 'profiles', s.label);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
    // The main thread is the one that did the work: the profile with the most busy time.
    const best = files
      .map((f) => hotSpots(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile, 12))
      .sort((a, b) => b.busyMs - a.busyMs)[0];
    if (best) result.profiles.push({ server: s.label, busyMs: best.busyMs, spots: best.spots });
    else result.notes.push(`no CPU profile written for ${s.label}`);
  }
}

async function startClient(name: string): Promise<ClientProc> {
  return new Child<ClientCommand, ClientEvent>(CLIENT, { name });
}

async function stopClient(c: ClientProc): Promise<void> {
  try {
    await c.request({ t: 'close' }, 'closed', 30_000);
  } catch {
    // stopping anyway
  }
  c.proc.disconnect();
  await c.stop(5_000);
}

function connectCmd(s: ServerProc, transport: ClientProto, first: number, count: number, rooms: number, latency = false): ClientCommand {
  // A Socket.IO server is always reached with the Socket.IO client (over WebSocket).
  const proto: ClientProto = s.kind === 'sio' ? 'sio' : transport;
  return {
    t: 'connect',
    proto,
    host: '127.0.0.1',
    port: proto === 'tcp' ? s.ready.tcp : s.ready.ws,
    first,
    count,
    rooms,
    roomPrefix: 'live://',
    concurrency: 200,
    latency,
    sourceAddrs: 8,
  };
}

async function connectAll(c: ClientProc, cmd: ClientCommand, ctx: Ctx, what: string): Promise<Extract<ClientEvent, { t: 'connected' }>> {
  const r = await c.request(cmd, 'connected', 300_000);
  if (r.failed) ctx.log(`  ${what}: ${r.failed} connections failed (${r.firstError ?? ''})`);
  return r;
}

function emptyResult(id: string, title: string, columns: string[]): ScenarioResult {
  return { id, title, columns, rows: [], charts: [], notes: [], profiles: [] };
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------------------------------
// memory

export async function memoryScenario(ctx: Ctx): Promise<ScenarioResult> {
  const counts = ctx.opts.sizes.memoryCounts;
  const res = emptyResult('memory', 'Memory per idle authenticated connection (server process only)', [
    'server',
    'transport',
    'connections',
    'RSS/conn KB',
    'heap/conn KB',
    'external/conn KB',
    'server RSS MB',
  ]);
  const contenders: { kind: ServerKind; proto: ClientProto; name: string }[] = [
    { kind: 'goim', proto: 'ws', name: 'goim-ts' },
    { kind: 'goim', proto: 'tcp', name: 'goim-ts' },
    ...(ctx.opts.socketio ? [{ kind: 'sio' as const, proto: 'ws' as const, name: 'Socket.IO' }] : []),
  ];
  const atMax = new Map<string, number>();
  const heapAtMax = new Map<string, number>();
  for (const c of contenders) {
    ctx.log(`  memory: ${c.name} ${c.proto}`);
    const s = await startServer(ctx, c.kind, `memory-${c.kind}-${c.proto}`);
    const client = await startClient('client');
    try {
      // Warm-up: connect and drop a few hundred clients first, so code paths, pools and
      // heap spaces touched by any connection are in the baseline, not billed per connection.
      const warm = await startClient('warm-up');
      await connectAll(warm, connectCmd(s, c.proto, 1_000_000, 200, 100), ctx, `${c.name} warm-up`);
      await stopClient(warm);
      await sleep(300);
      const base = await s.request({ t: 'mem' }, 'mem');
      let have = 0;
      for (const n of counts) {
        await connectAll(client, connectCmd(s, c.proto, have, n - have, 100), ctx, `${c.name} ${c.proto}`);
        have = n;
        await sleep(500);
        const m = await s.request({ t: 'mem' }, 'mem');
        const conns = m.connections || n;
        const rss = (m.rss - base.rss) / conns / KB;
        res.rows.push([
          c.name,
          c.proto === 'ws' ? 'WebSocket' : 'TCP',
          conns,
          round(rss),
          round((m.heapUsed - base.heapUsed) / conns / KB),
          round((m.external + m.arrayBuffers - base.external - base.arrayBuffers) / conns / KB),
          round(m.rss / 2 ** 20, 1),
        ]);
        atMax.set(`${c.name} ${c.proto}`, rss);
        heapAtMax.set(`${c.name} ${c.proto}`, (m.heapUsed + m.external + m.arrayBuffers - base.heapUsed - base.external - base.arrayBuffers) / conns / KB);
      }
    } finally {
      await stopClient(client);
      await stopServer(ctx, s, res);
    }
  }
  const max = counts[counts.length - 1]!;
  res.charts.push({ title: `RSS per idle connection at ${max} connections`, unit: 'KB', bars: [...atMax].map(([label, value]) => ({ label, value: round(value) })) });
  res.charts.push({ title: `Heap + external per idle connection at ${max} connections`, unit: 'KB', bars: [...heapAtMax].map(([label, value]) => ({ label, value: round(value) })) });
  const ours = atMax.get('goim-ts ws');
  const sio = atMax.get('Socket.IO ws');
  const oursHeap = heapAtMax.get('goim-ts ws');
  const sioHeap = heapAtMax.get('Socket.IO ws');
  res.notes.push(`target (DESIGN §5): ≤ 4 KB RSS per idle authenticated WebSocket connection at 10 k; measured ${ours?.toFixed(2)} KB RSS, ${oursHeap?.toFixed(2)} KB heap at ${max}`);
  // Below the heap growth, the RSS delta only says V8 reused pages it had freed after start-up.
  const rssUsable = (rss?: number, heap?: number) => rss !== undefined && heap !== undefined && rss >= heap * 0.8;
  if (![...atMax.keys()].every((k) => rssUsable(atMax.get(k), heapAtMax.get(k)))) {
    res.notes.push(`RSS/conn below heap/conn somewhere: at ${max} connections RSS growth is lost in reused start-up pages; compare heap/conn (RSS is meaningful at 10 k)`);
  }
  if (oursHeap && sioHeap) res.notes.push(`Socket.IO uses ${(sioHeap / oursHeap).toFixed(2)}× the heap per WebSocket connection of goim-ts`);
  if (ours && sio && rssUsable(ours, oursHeap) && rssUsable(sio, sioHeap)) res.notes.push(`Socket.IO uses ${(sio / ours).toFixed(2)}× the RSS per WebSocket connection of goim-ts`);
  res.notes.push('per-connection figures = (server memory after 3 GCs − before any connection) / connections; clients run in another process');
  return res;
}

// ---------------------------------------------------------------------------------------
// room fan-out

interface FanoutCase {
  id: FanoutCaseId;
  name: string;
  members: number;
  /** Rooms the members are spread over; 0 = a broadcast to everyone (`/goim/push/all`). */
  rooms: number;
  rate: number;
}

interface Drained {
  messages: number;
  frames: number;
  open: number;
  lastProgressAt: number;
  latencies: number[];
  errors: number;
}

/** Polls the clients until `expected` messages arrived, nothing arrived for 2 s, or `maxMs`. */
async function drain(clients: ClientProc[], expected: number, maxMs: number): Promise<Drained> {
  const t0 = performance.now();
  let last = -1;
  let lastProgressAt = performance.now();
  for (;;) {
    const stats = await Promise.all(clients.map((c) => c.request({ t: 'stats' }, 'stats', 30_000)));
    const messages = stats.reduce((n, s) => n + s.messages, 0);
    if (messages !== last) {
      last = messages;
      lastProgressAt = performance.now();
    }
    const idleFor = performance.now() - lastProgressAt;
    if (messages >= expected || idleFor > 2_000 || performance.now() - t0 > maxMs) {
      const sum = (f: (s: (typeof stats)[number]) => number) => stats.reduce((n, s) => n + f(s), 0);
      return { messages, frames: sum((s) => s.frames), open: sum((s) => s.open), lastProgressAt, latencies: stats.flatMap((s) => s.latencies), errors: sum((s) => s.errors) };
    }
    await sleep(200);
  }
}

function roomPath(kind: ServerKind, fc: FanoutCase, n: number): string {
  if (fc.rooms === 0) return kind === 'goim' ? '/goim/push/all?operation=1000' : '/push/all';
  const room = n % fc.rooms;
  return kind === 'goim' ? `/goim/push/room?operation=1000&type=live&room=${room}` : `/push/room?room=${encodeURIComponent(`live://${room}`)}`;
}

export async function fanoutScenario(ctx: Ctx): Promise<ScenarioResult> {
  const z = ctx.opts.sizes;
  const res = emptyResult('fanout', 'Room and broadcast fan-out (WebSocket): delivered logical messages and server CPU per message', [
    'server',
    'case',
    'pushes',
    'expected',
    'delivered',
    'delivered/s',
    'msgs/frame',
    'server CPU %',
    'server CPU-µs/msg',
    'msgs per server CPU-s',
    'client CPU %',
  ]);
  const allCases: FanoutCase[] = [
    { id: 'room', name: `1 room × ${z.fanoutMembers} at ${z.fanoutRate}/s`, members: z.fanoutMembers, rooms: 1, rate: z.fanoutRate },
    // Offered load above what two cores deliver: shows capacity and how batching grows with load.
    { id: 'heavy', name: `1 room × ${z.fanoutMembers} at ${z.fanoutHeavyRate}/s`, members: z.fanoutMembers, rooms: 1, rate: z.fanoutHeavyRate },
    {
      id: 'small',
      name: `${z.fanoutMembers / z.smallRoomSize} rooms × ${z.smallRoomSize} at ${z.smallRoomsRate}/s`,
      members: z.fanoutMembers,
      rooms: z.fanoutMembers / z.smallRoomSize,
      rate: z.smallRoomsRate,
    },
    { id: 'broadcast', name: `broadcast to all ${z.fanoutMembers} at ${z.broadcastRate}/s`, members: z.fanoutMembers, rooms: 0, rate: z.broadcastRate },
  ];
  const cases = allCases.filter((c) => ctx.opts.fanoutCases.includes(c.id));
  const kinds: ServerKind[] = ctx.opts.socketio ? ['goim', 'sio'] : ['goim'];
  const perCpuSec = new Map<string, number>();
  const perSec = new Map<string, number>();
  for (const kind of kinds) {
    const name = kind === 'goim' ? 'goim-ts' : 'Socket.IO';
    const s = await startServer(ctx, kind, `fanout-${kind}`);
    try {
      for (const fc of cases) {
        ctx.log(`  fan-out: ${name}, ${fc.name}`);
        // Two client processes: one would be the bottleneck at 10 k members on two cores.
        const clients = [await startClient('client-a'), await startClient('client-b')];
        try {
          const half = Math.ceil(fc.members / 2);
          await Promise.all([
            connectAll(clients[0]!, connectCmd(s, 'ws', 0, half, Math.max(1, fc.rooms)), ctx, name),
            connectAll(clients[1]!, { ...(connectCmd(s, 'ws', half, fc.members - half, Math.max(1, fc.rooms)) as Extract<ClientCommand, { t: 'connect' }>) }, ctx, name),
          ]);
          await sleep(500);
          await Promise.all(clients.map((c) => c.request({ t: 'reset' }, 'stats')));
          const pids = clients.map((c) => c.pid);
          const srv0 = sampleProc(s.pid).cpuMs;
          const cli0 = cpuMsOf(pids) + process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
          const t0 = performance.now();
          const pushed = await runPushes({
            port: s.ready.http,
            rate: fc.rate,
            durationMs: z.fanoutSeconds * 1000,
            target: (n): PushTarget => ({ path: roomPath(kind, fc, n), body: benchBody(nowMs(), 32) }),
          });
          const expected = pushed.ok * (fc.rooms === 0 ? fc.members : fc.members / fc.rooms);
          const d = await drain(clients, expected, 15_000);
          const srvMs = sampleProc(s.pid).cpuMs - srv0;
          const cliMs = cpuMsOf(pids) + process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 - cli0;
          const wallMs = Math.max(pushed.ms, d.lastProgressAt - t0);
          if (pushed.failed || pushed.skipped) res.notes.push(`${name} ${fc.name}: ${pushed.failed} pushes failed, ${pushed.skipped} skipped (${pushed.firstError ?? ''})`);
          if (d.messages < expected) {
            res.notes.push(
              `${name} ${fc.name}: server saturated — ${expected - d.messages} of ${expected} messages still queued when the drain window ended (${d.open} of ${fc.members} clients connected, ${d.errors} client errors); delivered/s is its capacity`,
            );
          }
          const cpuPerMsgUs = d.messages ? (srvMs * 1000) / d.messages : Number.NaN;
          const msgsPerCpuSec = srvMs ? d.messages / (srvMs / 1000) : Number.NaN;
          res.rows.push([
            name,
            fc.name,
            pushed.ok,
            expected,
            d.messages,
            Math.round(d.messages / (wallMs / 1000)),
            d.frames ? round(d.messages / d.frames) : Number.NaN,
            round((srvMs / wallMs) * 100, 1),
            round(cpuPerMsgUs, 3),
            Math.round(msgsPerCpuSec),
            round((cliMs / wallMs) * 100, 1),
          ]);
          perCpuSec.set(`${name}: ${fc.name}`, msgsPerCpuSec);
          perSec.set(`${name}: ${fc.name}`, d.messages / (wallMs / 1000));
        } finally {
          await Promise.all(clients.map(stopClient));
        }
        await sleep(500);
      }
    } finally {
      await stopServer(ctx, s, res);
    }
  }
  res.charts.push({ title: 'Delivered messages per server CPU-second', unit: 'msgs/CPU-s', bars: [...perCpuSec].map(([label, value]) => ({ label, value: Math.round(value) })) });
  res.charts.push({ title: 'Delivered messages per second', unit: 'msgs/s', bars: [...perSec].map(([label, value]) => ({ label, value: Math.round(value) })) });
  for (const fc of cases) {
    const a = perCpuSec.get(`goim-ts: ${fc.name}`);
    const b = perCpuSec.get(`Socket.IO: ${fc.name}`);
    if (a && b) res.notes.push(`${fc.name}: goim-ts delivers ${(a / b).toFixed(2)}× Socket.IO's messages per server CPU-second (target ≥ 2×)`);
  }
  res.notes.push('targets (DESIGN §5): ≥ 1 M delivered messages/s per comet core for room pushes (= "msgs per server CPU-s"), ≥ 2× Socket.IO per CPU-second');
  res.notes.push('msgs/frame = logical messages per WebSocket message received (goim op-9 batching; Socket.IO: always 1)');
  res.notes.push('client CPU % = both load-client processes + the runner (pushers), of one core; 200 % would mean the generator used both cores');
  return res;
}

// ---------------------------------------------------------------------------------------
// key / mid push latency

export async function latencyScenario(ctx: Ctx): Promise<ScenarioResult> {
  const z = ctx.opts.sizes;
  const res = emptyResult('latency', `Key/mid push latency, publish → receive, ${z.latencyRate} pushes/s to ${z.latencyConnections} WebSocket clients`, [
    'queue',
    'pushes',
    'received',
    'p50 ms',
    'p99 ms',
    'p999 ms',
    'max ms',
    'server CPU %',
    'target p99',
  ]);
  const engines: { name: string; env: Record<string, string>; target: number }[] = [{ name: 'memory', env: { BENCH_QUEUE: 'memory' }, target: 10 }];
  if (ctx.engines.redisUrl) engines.push({ name: 'redis-streams', env: { BENCH_QUEUE: 'redis', BENCH_REDIS_URL: ctx.engines.redisUrl }, target: 10 });
  if (ctx.engines.kafkaBrokers) engines.push({ name: 'kafka', env: { BENCH_QUEUE: 'kafka', BENCH_KAFKA_BROKERS: ctx.engines.kafkaBrokers }, target: 30 });
  const p99s: { label: string; value: number }[] = [];
  for (const e of engines) {
    ctx.log(`  latency: ${e.name}`);
    const s = await startServer(ctx, 'goim', `latency-${e.name}`, e.env);
    const client = await startClient('client');
    try {
      await connectAll(client, connectCmd(s, 'ws', 0, z.latencyConnections, 1, true), ctx, e.name);
      const n = z.latencyConnections;
      const target = (i: number): PushTarget => {
        const who = Math.floor(Math.random() * n);
        const path = i % 2 === 0 ? `/goim/push/keys?operation=1000&keys=k${who}` : `/goim/push/mids?operation=1000&mids=${who + 1}`;
        return { path, body: benchBody(nowMs(), 32) };
      };
      // Warm-up (JIT, consumer groups, connection pools), then measure from zero.
      const warm = await runPushes({ port: s.ready.http, rate: z.latencyRate, durationMs: 2_000, target });
      await drain([client], warm.ok, 10_000);
      await client.request({ t: 'reset' }, 'stats');
      const srv0 = sampleProc(s.pid).cpuMs;
      const pushed = await runPushes({ port: s.ready.http, rate: z.latencyRate, durationMs: z.latencySeconds * 1000, target });
      const d = await drain([client], pushed.ok, 10_000);
      const srvMs = sampleProc(s.pid).cpuMs - srv0;
      const sum = summarize(d.latencies);
      if (pushed.failed || pushed.skipped) res.notes.push(`${e.name}: ${pushed.failed} pushes failed, ${pushed.skipped} skipped (${pushed.firstError ?? ''})`);
      res.rows.push([e.name, pushed.ok, d.messages, round(sum.p50), round(sum.p99), round(sum.p999), round(sum.max), round((srvMs / pushed.ms) * 100, 1), `< ${e.target} ms`]);
      p99s.push({ label: `${e.name} p99`, value: round(sum.p99) });
    } finally {
      await stopClient(client);
      await stopServer(ctx, s, res);
    }
  }
  res.charts.push({ title: 'Key/mid push p99 latency', unit: 'ms', bars: p99s });
  res.notes.push('pushes alternate /goim/push/keys and /goim/push/mids (one random connected client each) over keep-alive HTTP; latency = receive time − publish time written in the body (same machine clock)');
  if (!ctx.engines.redisUrl && ctx.opts.redis) res.notes.push('Redis Streams: not run (no redis-server started)');
  if (!ctx.engines.kafkaBrokers && ctx.opts.kafka) res.notes.push('Kafka: not run (broker did not start)');
  return res;
}

// ---------------------------------------------------------------------------------------
// connect rate and reconnect storm

export async function connectScenario(ctx: Ctx): Promise<ScenarioResult> {
  const n = ctx.opts.sizes.connectCount;
  const res = emptyResult('connect', `Connect rate and reconnect storm (${n} clients, 200 handshakes in flight per client process)`, [
    'server',
    'transport',
    'connected',
    'connect s',
    'connects/s',
    'storm: all back s',
    'storm failures',
    'server CPU-s',
  ]);
  const contenders: { kind: ServerKind; proto: ClientProto; name: string }[] = [
    { kind: 'goim', proto: 'ws', name: 'goim-ts' },
    { kind: 'goim', proto: 'tcp', name: 'goim-ts' },
    ...(ctx.opts.socketio ? [{ kind: 'sio' as const, proto: 'ws' as const, name: 'Socket.IO' }] : []),
  ];
  const bars: { label: string; value: number }[] = [];
  for (const c of contenders) {
    ctx.log(`  connect: ${c.name} ${c.proto}`);
    const s = await startServer(ctx, c.kind, `connect-${c.kind}-${c.proto}`);
    const client = await startClient('client');
    try {
      const cpu0 = sampleProc(s.pid).cpuMs;
      const r = await connectAll(client, connectCmd(s, c.proto, 0, n, 100), ctx, c.name);
      await sleep(500);
      const storm = await client.request({ t: 'storm' }, 'storm', 300_000);
      const cpuMs = sampleProc(s.pid).cpuMs - cpu0;
      res.rows.push([c.name, c.proto === 'ws' ? 'WebSocket' : 'TCP', r.opened, round(r.ms / 1000), Math.round(r.opened / (r.ms / 1000)), round(storm.backMs / 1000), storm.failed, round(cpuMs / 1000)]);
      bars.push({ label: `${c.name} ${c.proto}`, value: Math.round(r.opened / (r.ms / 1000)) });
    } finally {
      await stopClient(client);
      await stopServer(ctx, s, res);
    }
  }
  res.charts.push({ title: 'Connect rate (handshake + auth)', unit: 'connections/s', bars });
  res.notes.push('storm: every client drops at once and reconnects immediately; "all back" is from the drop until the last one is authenticated again');
  return res;
}
