/**
 * Starts `registry-child.ts` in its own Node process (through tsx) and resolves once it has
 * registered. Test-only helper for the int specs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface RegisteredChild {
  /** SIGKILL: no cancel, no revoke, no more renewals — the process is simply gone. */
  kill(): Promise<void>;
}

export function spawnRegisteredChild(config: Record<string, unknown>, timeoutMs = 20_000): Promise<RegisteredChild> {
  const script = join(__dirname, 'registry-child.ts');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return new Promise<RegisteredChild>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`child did not register within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('registered\n')) {
        clearTimeout(timer);
        resolve({ kill });
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${String(code ?? signal)}) before registering: ${err}`));
    });
  });
}
