/**
 * Starts `registry-child.ts` in its own Node process (through tsx) and resolves once it has
 * registered. Test-only helper for the int specs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@goim/testkit';
import type { InstanceSnapshot, Registry } from '../registry.js';

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

/**
 * The SIGKILL check both shared backends run: a child process registers `child` through
 * `config`, stays visible to `observer`'s watch past 1.5 TTL (its renewals work), is SIGKILLed,
 * and must vanish within TTL + 4 s without anyone cancelling it.
 */
export async function expectKilledChildDropped(observer: Registry, config: Record<string, unknown> & { ttlSec: number }): Promise<void> {
  const seen: InstanceSnapshot[] = [];
  await observer.watch('goim.comet', (s) => {
    seen.push(s);
  });
  const child = await spawnRegisteredChild({ ...config, hostname: 'child' });
  try {
    await waitFor(() => seen[seen.length - 1]?.instances.some((i) => i.hostname === 'child' && i.version === 'child'), 'the child registered');
    await new Promise((r) => setTimeout(r, config.ttlSec * 1000 * 1.5));
    expect(seen[seen.length - 1]!.instances.map((i) => i.hostname)).toEqual(['child']);
  } finally {
    await child.kill();
  }
  const killedAt = Date.now();
  await waitFor(() => seen[seen.length - 1]?.instances.length === 0, 'the killed child gone', (config.ttlSec + 4) * 1000);
  expect(Date.now() - killedAt).toBeLessThan((config.ttlSec + 4) * 1000);
}
