/**
 * Process plumbing shared by every engine: free loopback ports, temp dirs, spawning a
 * server in its own process group with its output in a log file, waiting until it is
 * ready, and stopping exactly what was started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TestServiceError } from './errors.js';

/** A started server: its pid and a way to stop it (safe to call twice). */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited; carries its exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  stop(graceMs?: number): Promise<void>;
}

/** Process groups still alive; killed synchronously if this process exits without stopping them. */
const live = new Set<number>();
process.once('exit', () => {
  for (const pid of live) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Group already gone; fall back to the pid itself in case it left its group.
    try {
      process.kill(pid, signal);
    } catch {
      /* already exited */
    }
  }
}

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** A fresh temp dir `goim-<label>-XXXX`; removed by the service's stop() unless GOIM_TEST_KEEP_DATA=1. */
export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `goim-${label}-`));
}

export function removeDir(dir: string): void {
  if (process.env.GOIM_TEST_KEEP_DATA === '1') return;
  rmSync(dir, { recursive: true, force: true });
}

/** Last `lines` lines of a log file (for error messages). */
export function tailFile(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout+stderr go here (appended). */
  logFile: string;
}

/**
 * Starts `cmd args` in its own process group (so stop() also ends any children it forks)
 * with stdout/stderr in `logFile`.
 */
export function spawnService(name: string, cmd: string, args: string[], opts: SpawnOptions): ServiceProcess {
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { cwd: opts.cwd ?? dirname(opts.logFile), env: opts.env ?? process.env, stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  // A detached child must not keep our event loop alive; we track it explicitly.
  child.unref();
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      if (child.pid) live.delete(child.pid);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      done = true;
      if (child.pid) live.delete(child.pid);
      // Spawn failures (ENOENT…) go to the log so the readiness error shows them.
      appendFileSync(opts.logFile, `spawn ${cmd} failed: ${err.message}\n`);
      resolve({ code: -1, signal: null });
    });
  });
  const pid = child.pid ?? -1;
  if (pid > 0) live.add(pid);
  return {
    name,
    pid,
    logFile: opts.logFile,
    exited,
    hasExited: () => done,
    async stop(graceMs = 5_000) {
      if (done || pid <= 0) return;
      // Hold the event loop open until the child is gone, or node could exit mid-stop.
      child.ref();
      killGroup(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(r, graceMs, 'timeout')));
      const first = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (first === 'timeout') {
        killGroup(pid, 'SIGKILL');
        await exited;
      }
      // The leader has exited; make sure nothing it forked survives.
      killGroup(pid, 'SIGKILL');
    },
  };
}

/**
 * Polls `check` until it returns true. Fails early (with the log tail) if `proc` exits,
 * and after `timeoutMs` with GOIM_ERR_TESTSVC_START_TIMEOUT.
 */
export async function waitReady(proc: ServiceProcess, what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    if (proc.hasExited()) {
      const { code, signal } = await proc.exited;
      throw new TestServiceError(
        'GOIM_ERR_TESTSVC_EXITED',
        `${proc.name} exited (code ${code}, signal ${signal}) before ${what}; log ${proc.logFile}:\n${tailFile(proc.logFile)}`,
      );
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new TestServiceError(
        'GOIM_ERR_TESTSVC_START_TIMEOUT',
        `${proc.name} not ready after ${timeoutMs} ms waiting for ${what}` +
          (lastErr ? ` (last error: ${lastErr instanceof Error ? lastErr.message : String(lastErr)})` : '') +
          `; log ${proc.logFile}:\n${tailFile(proc.logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs a command to completion; resolves stdout, rejects with GOIM_ERR_TESTSVC_COMMAND_FAILED and its output. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; inheritStderr?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', opts.inheritStderr ? 'inherit' : 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new TestServiceError('GOIM_ERR_TESTSVC_COMMAND_FAILED', `${cmd} ${args.join(' ')}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new TestServiceError(
            'GOIM_ERR_TESTSVC_COMMAND_FAILED',
            `${cmd} ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${(out + err).trim().split('\n').slice(-30).join('\n')}`,
          ),
        );
    });
  });
}

/** Repository root: the nearest directory above `from` holding nx.json (works under tsx and jest alike). */
export function findRepoRoot(from = process.cwd()): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'nx.json')) && existsSync(join(dir, 'tools', 'test-services'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new TestServiceError('GOIM_ERR_TESTSVC_BAD_ARGUMENT', `no goim-ts repository (nx.json) above ${from}`);
    dir = up;
  }
}
