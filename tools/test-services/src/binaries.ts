/**
 * Finds the engine binaries; on a clean Debian machine running as root (CI) installs the
 * missing ones with apt-get, otherwise fails saying what to install.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TestServiceError } from './errors.js';
import { run } from './process.js';

/** Debian package providing each binary. */
const DEBIAN_PACKAGE: Record<string, string> = {
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  etcd: 'etcd-server',
  etcdctl: 'etcd-client',
  java: 'openjdk-17-jre-headless',
  mvn: 'maven',
};

/** Full path of `bin` on PATH (plus /usr/sbin, /usr/bin), or undefined. */
export function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/bin', '/usr/bin', '/usr/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

// apt-get holds a lock: installs from services started in parallel run one after another.
let aptQueue: Promise<unknown> = Promise.resolve();
let aptUpdated = false;

/**
 * Paths of `bins`, installing the missing ones through apt-get when running as root
 * (set GOIM_TEST_NO_INSTALL=1 to forbid that). Throws GOIM_ERR_TESTSVC_MISSING_BINARY otherwise.
 */
export async function ensureBinaries(bins: readonly string[]): Promise<Record<string, string>> {
  const missing = bins.filter((b) => !which(b));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((b) => DEBIAN_PACKAGE[b] ?? b))];
    const canInstall = process.getuid?.() === 0 && !!which('apt-get') && process.env.GOIM_TEST_NO_INSTALL !== '1';
    if (!canInstall) {
      throw new TestServiceError(
        'GOIM_ERR_TESTSVC_MISSING_BINARY',
        `missing ${missing.join(', ')}: install them (Debian/Ubuntu: sudo apt-get install -y ${pkgs.join(' ')}) and rerun`,
      );
    }
    const job = aptQueue.then(async () => {
      const still = [...new Set(bins.filter((b) => !which(b)).map((b) => DEBIAN_PACKAGE[b] ?? b))];
      if (still.length === 0) return;
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      process.stderr.write(`test-services: apt-get install ${still.join(' ')}\n`);
      try {
        if (!aptUpdated) {
          await run('apt-get', ['update', '-q'], { env, timeoutMs: 600_000 });
          aptUpdated = true;
        }
        await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...still], { env, timeoutMs: 900_000 });
      } catch (err) {
        throw new TestServiceError('GOIM_ERR_TESTSVC_INSTALL_FAILED', `apt-get install ${still.join(' ')} failed: ${(err as Error).message}`);
      }
    });
    aptQueue = job.catch(() => undefined);
    await job;
  }
  const paths: Record<string, string> = {};
  for (const b of bins) {
    const p = which(b);
    if (!p) throw new TestServiceError('GOIM_ERR_TESTSVC_MISSING_BINARY', `${b} still missing after installing its package`);
    paths[b] = p;
  }
  return paths;
}
