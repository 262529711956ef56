/**
 * `npm run bench -- [sub-commands] [flags]`: the benchmark runner. End-to-end scenarios
 * (memory, room fan-out, key/mid latency on memory/Redis Streams/Kafka, connect rate and
 * reconnect storm) against goim-ts and, side by side, Socket.IO; micro benchmarks of
 * @goim/protocol and @goim/bucket; the in-process comet memory probe. Prints a table per
 * scenario and writes JSON, one SVG chart per scenario and (for full runs) RESULTS.md.
 * Loopback only; every run is bounded (a hard stop aborts after 14 min, 3 min for --quick).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, UsageError, type BenchOptions, type ToolId } from './lib/options.js';
import { barChartSvg, machineLines, resultsMarkdown, scenarioText, type MachineInfo, type RunReport, type ScenarioResult } from './lib/report.js';
import { connectScenario, fanoutScenario, latencyScenario, memoryScenario, type Ctx } from './scenarios.js';

const benchRoot = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

function machineInfo(opts: BenchOptions): MachineInfo {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'libs', 'apps', 'tools/bench'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    if (dirty) commit += ' (+ uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    commit,
    date: new Date().toISOString(),
    loadAvgAtStart: loadavg(),
    mode: opts.quick ? 'quick' : 'full',
  };
}

/** Runs an existing stand-alone benchmark script with inherited output. */
function runTool(script: string, args: string[], nodeFlags: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--conditions=@goim/source', '--import', 'tsx', ...nodeFlags, join(benchRoot, 'src', script), ...args], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_MS: process.env.BENCH_MS ?? '300' },
    });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`))));
  });
}

async function runTools(tools: ToolId[], quick: boolean): Promise<void> {
  for (const t of tools) {
    if (t === 'micro') {
      await runTool('protocol.bench.ts', []);
      await runTool('bucket.bench.ts', [quick ? '1000' : '10000'], ['--expose-gc']);
    } else {
      await runTool('comet-memory.ts', [quick ? '1000' : '10000', '300'], ['--expose-gc', '--max-semi-space-size=1']);
    }
  }
}

/** Starts the queue engines the latency scenario needs (test-services), if wanted and possible. */
async function startEngines(ctx: Ctx, stops: (() => Promise<void>)[]): Promise<void> {
  const ts = await import('@goim/test-services');
  if (ctx.opts.redis) {
    try {
      const r = await ts.startRedis();
      stops.push(() => r.stop());
      ctx.engines.redisUrl = r.url;
    } catch (err) {
      ctx.log(`  redis-server did not start: ${String(err)}`);
    }
  }
  if (ctx.opts.kafka) {
    try {
      const t0 = Date.now();
      const k = await ts.startKafka({ timeoutMs: 90_000 });
      stops.push(() => k.stop());
      ctx.engines.kafkaBrokers = k.brokers;
      ctx.log(`  kafka broker up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      ctx.log(`  kafka did not start: ${String(err)}`);
    }
  }
}

async function main(): Promise<void> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const started = Date.now();
  const hardStopMs = opts.quick ? 3 * 60_000 : 14 * 60_000;
  const hardStop = setTimeout(() => {
    process.stderr.write(`bench: hard stop after ${hardStopMs / 60_000} min — aborting\n`);
    process.exit(3);
  }, hardStopMs);
  hardStop.unref();

  await runTools(opts.tools, opts.quick);
  if (opts.scenarios.length === 0) return;

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const reportDir = opts.outDir ?? join(benchRoot, 'reports', stamp);
  mkdirSync(reportDir, { recursive: true });
  const machine = machineInfo(opts);
  const ctx: Ctx = { opts, reportDir, engines: {}, log: (l) => process.stdout.write(`${l}\n`) };
  for (const l of machineLines(machine)) ctx.log(l);

  const stops: (() => Promise<void>)[] = [];
  const scenarios: ScenarioResult[] = [];
  try {
    const table = { memory: memoryScenario, fanout: fanoutScenario, latency: latencyScenario, connect: connectScenario };
    for (const id of opts.scenarios) {
      ctx.log(`\n-- ${id}`);
      if (id === 'latency') await startEngines(ctx, stops);
      const t0 = Date.now();
      const r = await table[id](ctx);
      r.notes.push(`scenario wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      scenarios.push(r);
      r.charts.forEach((c, i) => writeFileSync(join(reportDir, `${r.id}${r.charts.length > 1 ? `-${i + 1}` : ''}.svg`), barChartSvg(c)));
      ctx.log(`\n${scenarioText(r)}`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }

  const report: RunReport = { machine, scenarios, durationSec: (Date.now() - started) / 1000 };
  writeFileSync(join(reportDir, 'report.json'), JSON.stringify(report, null, 2));
  const noise = [
    `> Numbers from one run on a shared 2-core machine. Load average at start: ${machine.loadAvgAtStart.map((l) => l.toFixed(2)).join(' ')}` +
      ' — other work running on the same cores makes CPU-per-message and latency figures noisy.',
    '> Server and load clients are separate processes on the same two cores; "client CPU %" shows what the generator used.',
  ];
  writeFileSync(join(reportDir, 'RESULTS.md'), resultsMarkdown(report, noise));
  if (opts.writeResults) writeFileSync(join(benchRoot, 'RESULTS.md'), resultsMarkdown(report, noise));
  ctx.log(`\nreport: ${reportDir} (report.json, RESULTS.md, *.svg)${opts.writeResults ? '; tools/bench/RESULTS.md regenerated' : ''}`);
  ctx.log(`total ${report.durationSec.toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
