/**
 * Private test helpers shared by every spec (not published): conformance vectors, the
 * addresses of the real test services, waiting helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Root of the repository (jest runs each project with its own rootDir two levels down). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/** Parsed JSON of `vectors/<name>` (frames.json, cityhash32.json). */
export function loadVectors<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'vectors', name), 'utf8')) as T;
}

/**
 * The error codes in the first column of one section's table in `docs/errors.md` (the section
 * starting at the heading `## <section>`), in document order; fails the calling test if the
 * section is missing.
 */
export function documentedErrorCodes(section: string): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
  const start = doc.indexOf(`## ${section}`);
  if (start < 0) throw new Error(`docs/errors.md has no section "## ${section}"`);
  const rest = doc.slice(start + 3);
  const end = rest.search(/^## /m);
  const body = end < 0 ? rest : rest.slice(0, end);
  return [...body.matchAll(/^\|\s*`(GOIM_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!);
}

/** A deterministic PRNG (mulberry32) in [0, 1): a failing randomized test reproduces from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The parts back to back in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * The `code` of the error `fn` throws (the typed errors of every lib carry one), or
 * `'no error'`; an error without a string `code` is rethrown.
 */
export function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string') return code;
    throw err;
  }
  return 'no error';
}

/** Bytes of a hex string. */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** Hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Environment variables set by `npm test` (tools/test-services) for the real engines:
 *   GOIM_TEST_REDIS_URL            redis://127.0.0.1:<port>
 *   GOIM_TEST_REDIS_CLUSTER_NODES  127.0.0.1:<p1>,127.0.0.1:<p2>,127.0.0.1:<p3>
 *   GOIM_TEST_KAFKA_BROKERS        127.0.0.1:<port>
 *   GOIM_TEST_ETCD_URL             http://127.0.0.1:<port>
 */
export type TestService = 'GOIM_TEST_REDIS_URL' | 'GOIM_TEST_REDIS_CLUSTER_NODES' | 'GOIM_TEST_KAFKA_BROKERS' | 'GOIM_TEST_ETCD_URL';

/**
 * The address of a real test service. Integration specs never skip: without the variable
 * they fail, saying how to start the services.
 */
export function requireService(name: TestService): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the suite with \`npm test\` (starts Redis, Kafka and etcd), ` +
        `or start them with \`npx tsx tools/test-services/src/cli.ts start\` and export the variables it prints.`,
    );
  }
  return value;
}

/** A prefix unique to this test process and call, so suites can share one server. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-`;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5_000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A goim-ts app (`apps/<role>/src/main.ts`) running as a child process, its output captured. */
export interface AppChild {
  readonly child: ChildProcess;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The JSON (pino) lines of the output so far. */
  lines<T = { level: number; msg: string }>(): T[];
  /** SIGKILLs the process if it still runs. */
  kill(): void;
}

/** Starts `apps/<role>/src/main.ts` from source (tsx) with `args` (e.g. `-conf <file> -host <name>`). */
export function spawnApp(role: 'comet' | 'logic' | 'job', args: readonly string[]): AppChild {
  let out = '';
  const child = spawn(process.execPath, ['--conditions=@goim/source', '--import', 'tsx', join(REPO_ROOT, 'apps', role, 'src', 'main.ts'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    output: () => out,
    lines: <T>() =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as T),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
