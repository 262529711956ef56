/**
 * npx tsx tools/test-services/src/cli.ts start [redis|cluster|etcd|kafka|all]...
 *
 * Starts the services, prints `export GOIM_TEST_…=…` lines, and stays in the foreground
 * until SIGINT/SIGTERM, then stops what it started.
 */
import { parseServiceNames, startServices } from './services.js';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== 'start') {
    process.stderr.write('usage: npx tsx tools/test-services/src/cli.ts start [redis|cluster|etcd|kafka|all]...\n');
    return cmd === undefined || cmd === '-h' || cmd === '--help' ? 0 : 2;
  }
  const names = parseServiceNames(rest);
  process.stderr.write(`starting ${names.join(', ')}…\n`);
  const services = await startServices(names);
  for (const [k, v] of Object.entries(services.env)) process.stdout.write(`export ${k}=${v}\n`);
  process.stderr.write('ready; Ctrl-C stops them\n');
  // Stay in the foreground: the services belong to this process.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  clearInterval(keepAlive);
  process.stderr.write(`${signal}: stopping…\n`);
  await services.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
