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

/**
 * Ports handed out here come from outside the kernel's ephemeral range, so an outgoing
 * connection elsewhere on the machine (a Kafka client, a Redis client, another jest worker)
 * can never take a port between the moment we pick it and the moment a server binds it —
 * with OS-assigned ports that race made a spawned comet fail with EADDRINUSE in CI. Each
 * jest worker of a run gets its own slice of the range, so workers never race each other
 * either, and within a process a port is never handed out twice.
 */
const SLICES = 40;
let nextInSlice = -1;
const handedOut = new Set<number>();

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi && lo <= hi) return [lo, hi];
  } catch {
    /* not Linux: fall back to the IANA dynamic range */
  }
  return [49152, 65535];
}

/** [start, end) of this process's slice of the non-ephemeral range. */
function mySlice(): [number, number] {
  const [lo, hi] = ephemeralRange();
  // Prefer the ports below the ephemeral range (from 10000); else those above it.
  const [from, to] = lo - 10_000 >= 2_000 ? [10_000, lo] : [hi + 1, 65_536];
  const size = Math.floor((to - from) / SLICES);
  // Workers of one jest run share a parent: consecutive slices from an offset set by that
  // parent, so workers never collide and two concurrent runs rarely do.
  const worker = Number(process.env.JEST_WORKER_ID ?? 0);
  const slice = ((worker > 0 ? process.ppid : process.pid) + worker) % SLICES;
  return [from + slice * size, from + (slice + 1) * size];
}

/** True if nothing listens on `port` on any IPv4 address (binding the wildcard also conflicts with 127.0.0.x). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port free on every loopback address, outside the ephemeral range, never returned before by this process. */
export async function freePort(): Promise<number> {
  const [start, end] = mySlice();
  const size = end - start;
  if (nextInSlice < 0) nextInSlice = Math.floor(Math.random() * size);
  for (let tried = 0; tried < size; tried++) {
    const port = start + (nextInSlice++ % size);
    if (handedOut.has(port)) continue;
    if (await isFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new TestServiceError('GOIM_ERR_TESTSVC_NO_PORT', `no free port left in ${start}..${end - 1}`);
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await freePort());
  return ports;
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
