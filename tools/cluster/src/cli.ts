/**
 * `npx tsx tools/cluster/src/cli.ts up --comets 2 --logics 2 --jobs 2`: starts a local
 * cluster, prints its addresses and keeps it running until Ctrl-C (SIGINT) or SIGTERM, then
 * stops exactly what it started.
 *
 * Options: --comets N --logics N --jobs N (default 2/2/2), --redis redis://host:port,
 * --kafka host:port[,…], --etcd http://host:port (use running backends instead of starting
 * them), --timing fast|goim (default fast), --partitions N, --dir DIR.
 */
import { spawn } from 'node:child_process';
import type { ClusterOptions } from './cluster.js';

const SOURCE_CONDITION = '--conditions=@goim/source';

function usage(): never {
  process.stderr.write(
    'usage: tsx tools/cluster/src/cli.ts up [--comets N] [--logics N] [--jobs N] [--redis URL] [--kafka BROKERS] [--etcd URL] [--timing fast|goim] [--partitions N] [--dir DIR]\n',
  );
  process.exit(2);
}

function parse(argv: string[]): ClusterOptions {
  if (argv[0] !== 'up') usage();
  const opts: ClusterOptions = { comets: 2, logics: 2, jobs: 2, backends: {} };
  const int = (v: string | undefined, flag: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) {
      process.stderr.write(`${flag} needs a non-negative integer, got ${JSON.stringify(v)}\n`);
      usage();
    }
    return n;
  };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[++i];
    if (value === undefined) usage();
    switch (flag) {
      case '--comets':
        opts.comets = int(value, flag);
        break;
      case '--logics':
        opts.logics = int(value, flag);
        break;
      case '--jobs':
        opts.jobs = int(value, flag);
        break;
      case '--partitions':
        opts.partitions = int(value, flag);
        break;
      case '--redis':
        opts.backends!.redisUrl = value;
        break;
      case '--kafka':
        opts.backends!.kafkaBrokers = value;
        break;
      case '--etcd':
        opts.backends!.etcdUrl = value;
        break;
      case '--dir':
        opts.dir = value;
        break;
      case '--timing':
        if (value !== 'fast' && value !== 'goim') usage();
        opts.timing = value;
        break;
      default:
        process.stderr.write(`unknown option ${flag}\n`);
        usage();
    }
  }
  return opts;
}

/**
 * Workspace packages resolve to their sources only under the `@goim/source` condition; when
 * started as plain `npx tsx …/cli.ts`, run again with it (signals are forwarded).
 */
function reexecWithSourceCondition(): boolean {
  if (process.execArgv.includes(SOURCE_CONDITION) || process.env.GOIM_CLUSTER_REEXEC === '1') return false;
  const child = spawn(process.execPath, [SOURCE_CONDITION, '--import', 'tsx', process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, GOIM_CLUSTER_REEXEC: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return true;
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  if (reexecWithSourceCondition()) return;
  const { startCluster } = await import('./cluster.js');
  let interrupted = false;
  // Signals during start-up are remembered; the cluster is stopped as soon as start returns or fails.
  const early = () => {
    interrupted = true;
  };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  process.stderr.write(`starting ${opts.logics} logic(s), ${opts.comets} comet(s), ${opts.jobs} job(s) and missing backends…\n`);
  const cluster = await startCluster(opts);
  process.off('SIGINT', early);
  process.off('SIGTERM', early);
  let stopping = false;
  const stop = (signal: string) => {
    // Ctrl-C reaches this process twice when it was re-executed (terminal group + forwarding).
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the cluster…\n`);
    cluster.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  if (interrupted) return stop('signal during start-up');
  process.stdout.write(`${cluster.describe()}\n\n`);
  process.stdout.write(
    `try:  curl -s '${cluster.logicUrl()}/goim/nodes/weighted?platform=' ; curl -s -XPOST '${cluster.logicUrl()}/goim/push/all?operation=1000' -d hello\n` +
      'Ctrl-C stops everything listed above.\n',
  );
  // The app processes are detached and unref'd: hold the event loop open until a signal.
  setInterval(() => undefined, 1 << 30);
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
