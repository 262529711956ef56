/** redis-server for integration tests: one standalone server, or a 3-master cluster. */
import { connect } from 'node:net';
import { join } from 'node:path';
import { ensureBinaries } from './binaries.js';
import { freePorts, makeTempDir, removeDir, run, spawnService, waitReady, type ServiceProcess } from './process.js';

/** A running test service: its environment variables and a stop() that is safe to call twice. */
export interface StartedService {
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Milliseconds to wait until it answers PING (default 20 s). */
  timeoutMs?: number;
  /**
   * Listen on this port instead of a free one (startRedis only): a spec that points a client at
   * an address before the server exists, or restarts a server, reuses a port from `freePort()`.
   */
  port?: number;
  /** The three node ports of startRedisCluster, instead of free ones (same reason as `port`). */
  ports?: [number, number, number];
}

export interface StartedRedis extends StartedService {
  readonly url: string;
  readonly port: number;
}

/** Sends one inline command over RESP and resolves the first reply line (tiny, no client needed). */
export function redisCommand(port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`redis :${port} did not answer ${command}`));
    }, timeoutMs);
    sock.once('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', (d) => {
      buf += d.toString();
      // A bulk reply ($len) needs its body too: wait until the announced length arrived.
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (m && buf.length < m[0].length + Number(m[1]) + 2) return;
      if (!buf.includes('\r\n')) return;
      clearTimeout(timer);
      sock.destroy();
      resolve(m ? buf.slice(m[0].length, m[0].length + Number(m[1])) : buf.split('\r\n')[0]!);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function spawnRedis(bin: string, dir: string, name: string, port: number, extra: string[]): ServiceProcess {
  return spawnService(name, bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], {
    cwd: dir,
    logFile: join(dir, `${name}.log`),
  });
}

/** Starts `redis-server` on a free loopback port → GOIM_TEST_REDIS_URL. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<StartedRedis> {
  const { 'redis-server': bin } = await ensureBinaries(['redis-server']);
  const dir = makeTempDir('redis');
  const [port] = opts.port !== undefined ? [opts.port] : await freePorts(1);
  const proc = spawnRedis(bin!, dir, 'redis', port!, []);
  const stop = async () => {
    await proc.stop();
    removeDir(dir);
  };
  try {
    await waitReady(proc, 'PONG', async () => (await redisCommand(port!, 'PING')) === '+PONG', opts.timeoutMs ?? 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const url = `redis://127.0.0.1:${port}`;
  return { url, port: port!, env: { GOIM_TEST_REDIS_URL: url }, stop };
}

export interface StartedRedisCluster extends StartedService {
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` */
  readonly nodes: string;
  readonly ports: number[];
}

/**
 * Starts three `--cluster-enabled yes` masters (no replicas), joins them with
 * `redis-cli --cluster create` and waits for `cluster_state:ok` on each
 * → GOIM_TEST_REDIS_CLUSTER_NODES.
 */
export async function startRedisCluster(opts: StartRedisOptions = {}): Promise<StartedRedisCluster> {
  const bins = await ensureBinaries(['redis-server', 'redis-cli']);
  const dir = makeTempDir('redis-cluster');
  const all = opts.ports ? [...opts.ports, ...(await freePorts(3))] : await freePorts(6);
  const ports = all.slice(0, 3);
  const busPorts = all.slice(3);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const procs = ports.map((port, i) =>
    spawnRedis(bins['redis-server']!, dir, `redis-cluster-${port}`, port, [
      '--cluster-enabled', 'yes',
      // Explicit bus port: port+10000 may be taken or out of range.
      '--cluster-port', String(busPorts[i]),
      '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', '5000',
    ]),
  );
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    removeDir(dir);
  };
  try {
    await Promise.all(procs.map((p, i) => waitReady(p, 'PONG', async () => (await redisCommand(ports[i]!, 'PING')) === '+PONG', timeoutMs)));
    await run(bins['redis-cli']!, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeoutMs,
    });
    await Promise.all(
      procs.map((p, i) =>
        waitReady(p, 'cluster_state:ok', async () => (await redisCommand(ports[i]!, 'CLUSTER INFO')).includes('cluster_state:ok'), timeoutMs),
      ),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const nodes = ports.map((p) => `127.0.0.1:${p}`).join(',');
  return { nodes, ports, env: { GOIM_TEST_REDIS_CLUSTER_NODES: nodes }, stop };
}
