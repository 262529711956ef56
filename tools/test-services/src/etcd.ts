/** A single-member etcd for integration tests. */
import { join } from 'node:path';
import { ensureBinaries } from './binaries.js';
import { freePorts, makeTempDir, removeDir, spawnService, waitReady } from './process.js';
import type { StartedService } from './redis.js';

export interface StartEtcdOptions {
  /** Milliseconds to wait until /health says true (default 30 s). */
  timeoutMs?: number;
  /** Client port to listen on instead of a free one (a spec that starts etcd late or restarts it at one address). */
  port?: number;
}

export interface StartedEtcd extends StartedService {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
}

/** Starts `etcd` on free loopback client/peer ports with data in a temp dir → GOIM_TEST_ETCD_URL. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<StartedEtcd> {
  const { etcd: bin } = await ensureBinaries(['etcd']);
  const dir = makeTempDir('etcd');
  const [clientPort, peerPort] = opts.port !== undefined ? [opts.port, ...(await freePorts(1))] : await freePorts(2);
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = spawnService(
    'etcd',
    bin!,
    [
      '--name', 'goim-test',
      '--data-dir', join(dir, 'data'),
      '--listen-client-urls', url,
      '--advertise-client-urls', url,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `goim-test=${peer}`,
      '--log-level', 'warn',
    ],
    // etcd 3.4 on non-amd64 refuses to start without this; harmless elsewhere.
    { cwd: dir, logFile: join(dir, 'etcd.log'), env: process.arch === 'arm64' ? { ...process.env, ETCD_UNSUPPORTED_ARCH: 'arm64' } : process.env },
  );
  const stop = async () => {
    await proc.stop();
    removeDir(dir);
  };
  try {
    await waitReady(
      proc,
      '/health',
      async () => {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      opts.timeoutMs ?? 30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, env: { GOIM_TEST_ETCD_URL: url }, stop };
}
