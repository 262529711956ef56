/**
 * `npm test`: starts Redis, a Redis Cluster, etcd and Kafka (in parallel), runs jest over
 * the whole repository with their GOIM_TEST_* variables, stops them, and prints exactly one
 * last line `N passed, N failed` (exit code 1 on any failure). Extra arguments go to jest.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from './process.js';
import { parseServiceNames, startServices, type StartedServices } from './services.js';
import { formatSummary, summarizeJestResults, type JestJson, type JestSummary } from './summary.js';

async function main(jestArgs: string[]): Promise<number> {
  const root = findRepoRoot();
  const started = Date.now();
  // GOIM_TEST_SERVICES=redis,etcd narrows what starts (e.g. when running one project's specs).
  const names = parseServiceNames((process.env.GOIM_TEST_SERVICES ?? 'all').split(',').filter(Boolean));
  process.stderr.write(`test-services: starting ${names.join(', ')}…\n`);
  let services: StartedServices | undefined;
  let jest: ReturnType<typeof spawn> | undefined;
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = true;
    process.stderr.write(`\n${sig}: stopping tests and services…\n`);
    jest?.kill(sig);
    // Also stop services that are still starting once startServices returns.
    void services?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const extraFailures: string[] = [];
  let summary: JestSummary = { passed: 0, failed: 0, failures: [] };
  const outDir = mkdtempSync(join(tmpdir(), 'goim-jest-'));
  try {
    services = await startServices(names, { allowPartial: true });
    for (const f of services.failures) {
      extraFailures.push(`test service ${f.name} did not start: ${f.error.message.split('\n')[0]}`);
      process.stderr.write(`test-services: ${f.name} failed to start:\n${f.error.message}\n`);
    }
    Object.assign(process.env, services.env);
    process.stderr.write(
      `test-services: ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${Object.entries(services.env).map(([k, v]) => `${k}=${v}`).join(' ')}\n`,
    );
    if (interrupted) return 130;

    const outFile = join(outDir, 'jest.json');
    const jestBin = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    // --forceExit: a spec that leaks a socket must not hang the run (and lose the summary);
    // jest still names such leaks with --detectOpenHandles when asked.
    jest = spawn(process.execPath, [jestBin, '--json', `--outputFile=${outFile}`, '--forceExit', ...jestArgs], { cwd: root, stdio: 'inherit', env: process.env });
    const code = await new Promise<number>((resolve) => {
      jest!.once('exit', (c, s) => resolve(c ?? (s ? 128 : 1)));
      jest!.once('error', (e) => {
        process.stderr.write(`could not run jest: ${e.message}\n`);
        resolve(1);
      });
    });
    if (existsSync(outFile)) {
      summary = summarizeJestResults(JSON.parse(readFileSync(outFile, 'utf8')) as JestJson, root);
    } else {
      extraFailures.push(`jest wrote no results (exit code ${code})`);
    }
    if (code !== 0 && summary.failed === 0 && extraFailures.length === 0) extraFailures.push(`jest exited with code ${code}`);
  } catch (err) {
    extraFailures.push(`test run failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await services?.stop();
    rmSync(outDir, { recursive: true, force: true });
  }

  const failed = summary.failed + extraFailures.length;
  const lines = [...summary.failures, ...extraFailures];
  if (lines.length > 0) {
    process.stdout.write(`\nFailed (${lines.length}):\n${lines.map((l) => `  ✕ ${l}`).join('\n')}\n`);
  }
  process.stdout.write(`\n${formatSummary({ passed: summary.passed, failed })}\n`);
  return failed > 0 || interrupted ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.stdout.write(`0 passed, 1 failed\n`);
    process.exit(1);
  },
);
