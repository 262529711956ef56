/**
 * Child processes of the runner (servers, load clients) with an IPC channel. Each is
 * started through `sh -c 'ulimit -n <hard>; exec node …'` so it raises its own soft
 * file-descriptor limit to the hard limit (10 k connections need 10 k descriptors) — Node
 * has no setrlimit of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildOptions {
  env?: Record<string, string>;
  /** Extra node flags (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Prefix of the child's stderr lines on the terminal. */
  name: string;
}

/** A child process speaking typed IPC messages `{ t: … }`. */
export class Child<Cmd extends { t: string }, Ev extends { t: string }> {
  readonly proc: ChildProcess;
  private readonly queue: Ev[] = [];
  private waiters: { type: string; resolve: (e: Ev) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }[] = [];
  private exited: Error | undefined;
  readonly exitedPromise: Promise<number | null>;

  constructor(script: string, opts: ChildOptions) {
    const nodeArgs = ['--conditions=@goim/source', '--import', 'tsx', ...(opts.nodeFlags ?? []), script];
    this.proc = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...nodeArgs], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: { ...process.env, ...opts.env },
    });
    this.proc.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) process.stderr.write(`[${opts.name}] ${line}\n`);
    });
    this.proc.on('message', (e: Ev) => {
      const i = this.waiters.findIndex((w) => w.type === e.t || e.t === 'error');
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w!.timer);
        if (e.t === 'error' && w!.type !== 'error') w!.reject(new Error(`${opts.name}: ${(e as unknown as { message: string }).message}`));
        else w!.resolve(e);
      } else this.queue.push(e);
    });
    this.exitedPromise = new Promise((resolve) => {
      this.proc.on('exit', (code) => {
        this.exited = new Error(`${opts.name} exited with code ${code}`);
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(this.exited);
        }
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  send(cmd: Cmd): void {
    this.proc.send(cmd);
  }

  /** The next event of `type` (an `error` event rejects). */
  next<T extends Ev['t']>(type: T, timeoutMs = 120_000): Promise<Extract<Ev, { t: T }>> {
    const i = this.queue.findIndex((e) => e.t === type || e.t === 'error');
    if (i >= 0) {
      const [e] = this.queue.splice(i, 1);
      if (e!.t === 'error' && type !== 'error') return Promise.reject(new Error((e as unknown as { message: string }).message));
      return Promise.resolve(e as Extract<Ev, { t: T }>);
    }
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for "${type}"`));
      }, timeoutMs);
      this.waiters.push({ type, resolve: resolve as (e: Ev) => void, reject, timer });
    });
  }

  /** Sends `cmd` and waits for the reply of `type`. */
  request<T extends Ev['t']>(cmd: Cmd, type: T, timeoutMs?: number): Promise<Extract<Ev, { t: T }>> {
    const p = this.next(type, timeoutMs);
    this.send(cmd);
    return p;
  }

  /** Waits for the process to exit, killing it (by its pid) after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exitedPromise;
    clearTimeout(t);
  }
}
