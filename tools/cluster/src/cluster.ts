/**
 * A real goim-ts cluster on one machine: Redis, Kafka and etcd (from @goim/test-services, or
 * given), then N comets, M logics and K jobs, each a separate Node process
 * (`node --conditions=@goim/source --import tsx apps/<role>/src/main.ts -conf <file>`) with its
 * own ports, `-host` and log file. Everything started is stopped by pid (process group) —
 * nothing else.
 *
 * Comets share the client ports and listen on distinct loopback addresses (127.0.0.11,
 * 127.0.0.12, …), as goim comets share ports across machines: `nodes/weighted` then answers
 * usable addresses (IPs from the comets' `addrs` metadata, ports from logic's `[node]`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTopic,
  findRepoRoot,
  freePort,
  makeTempDir,
  redisCommand,
  removeDir,
  spawnService,
  startEtcd,
  startKafka,
  tailFile,
  waitReady,
  ensureBinaries,
  type ServiceProcess,
  type StartedService,
} from '@goim/test-services';
import { DEFAULT_TIMING, FAST_TIMING, cometToml, jobToml, logicToml, type Backends, type ClusterCommon, type ClusterTiming } from './config-files.js';

/** A role of the cluster. */
export type Role = 'comet' | 'logic' | 'job';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  comets?: number;
  logics?: number;
  jobs?: number;
  /** Backends to use; any left out is started here (Redis always restartable on its port). */
  backends?: Partial<Backends>;
  /** `fast` (tests, demos: 1-s cadences, 2-s TTL), `goim` (goim's 10-s cadences), or explicit values over `fast`. */
  timing?: 'fast' | 'goim' | Partial<ClusterTiming>;
  /** Partitions of the push topic (created here). Default 4. */
  partitions?: number;
  /** Where configs and logs go. Default a new temp dir, removed by `stop()` unless GOIM_CLUSTER_KEEP=1. */
  dir?: string;
  /** Unique name (etcd prefix, topic, group, deploy env). Default `c<time><random>`. */
  name?: string;
  /** Per-process start timeout, ms. Default 60 000 (tsx compiles on a busy 2-core box). */
  startTimeoutMs?: number;
}

/** One app process of the cluster. */
export interface ClusterProcess {
  readonly role: Role;
  /** `-host` of the process (comet id stored in Redis). */
  readonly host: string;
  readonly configFile: string;
  readonly logFile: string;
  /** Named ports (comet: grpc, admin, tcp, ws; logic: http, grpc; job: http). */
  readonly ports: Readonly<Record<string, number>>;
  /** Comets: the loopback address clients connect to. */
  readonly clientIp?: string;
  /** Pid of the running process (undefined when stopped). */
  readonly pid: number | undefined;
  running(): boolean;
  /** Starts the process (again) and waits for its "<role> started" log line; `extraArgs` go after `-conf` (e.g. `['-offline']`). */
  start(extraArgs?: readonly string[]): Promise<void>;
  /** Sends `signal` to the process group and waits for the exit (SIGKILL after `timeoutMs`). */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The lines of the log file written since the last start. */
  log(): string;
}

/** A Redis server on a fixed port that can be stopped and started again (the "restart Redis" case). */
export interface RestartableRedis {
  readonly url: string;
  readonly port: number;
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A running cluster. */
export interface Cluster {
  readonly name: string;
  readonly dir: string;
  readonly backends: Backends;
  /** The cluster's own Redis (undefined when `backends.redisUrl` was given). */
  readonly redis: RestartableRedis | undefined;
  readonly comets: readonly ClusterProcess[];
  readonly logics: readonly ClusterProcess[];
  readonly jobs: readonly ClusterProcess[];
  readonly common: ClusterCommon;
  /** `http://127.0.0.1:<port>` of logic `i` (push/online/nodes API). */
  logicUrl(i?: number): string;
  /** A human-readable summary (addresses, pids, log files). */
  describe(): string;
  /** Stops every app (SIGTERM, then SIGKILL after a grace) and every backend this cluster started. Safe twice. */
  stop(): Promise<void>;
}

const CLEAN_ENV_KEYS = /^(REGION|ZONE|DEPLOY_ENV|ADDRS|WEIGHT|OFFLINE|DEBUG|HOST|GOIM_.*)$/;

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!CLEAN_ENV_KEYS.test(k)) env[k] = v;
  env.LOG_LEVEL = process.env.GOIM_CLUSTER_LOG_LEVEL ?? 'info';
  return env;
}

function resolveTiming(t: ClusterOptions['timing']): ClusterTiming {
  if (t === 'goim') return { ...DEFAULT_TIMING };
  if (t === undefined || t === 'fast') return { ...FAST_TIMING };
  return { ...FAST_TIMING, ...t };
}

class AppProcess implements ClusterProcess {
  private proc: ServiceProcess | undefined;
  private logOffset = 0;

  constructor(
    readonly role: Role,
    readonly host: string,
    readonly configFile: string,
    readonly logFile: string,
    readonly ports: Record<string, number>,
    private readonly root: string,
    private readonly startTimeoutMs: number,
    readonly clientIp?: string,
  ) {}

  get pid(): number | undefined {
    return this.running() ? this.proc!.pid : undefined;
  }

  running(): boolean {
    return this.proc !== undefined && !this.proc.hasExited();
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(this.logOffset);
    } catch {
      return '';
    }
  }

  async start(extraArgs: readonly string[] = []): Promise<void> {
    if (this.running()) return;
    try {
      this.logOffset = readFileSync(this.logFile).length;
    } catch {
      this.logOffset = 0;
    }
    this.proc = spawnService(
      `${this.role} ${this.host}`,
      process.execPath,
      ['--conditions=@goim/source', '--import', 'tsx', join('apps', this.role, 'src', 'main.ts'), '-conf', this.configFile, ...extraArgs],
      { cwd: this.root, env: childEnv(), logFile: this.logFile },
    );
    const marker = `"msg":"${this.role} started"`;
    await waitReady(this.proc, `"${this.role} started"`, async () => this.log().includes(marker), this.startTimeoutMs, 200);
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const proc = this.proc;
    if (!proc || proc.hasExited()) return proc ? proc.exited : { code: null, signal: null };
    try {
      process.kill(-proc.pid, signal);
    } catch {
      /* already gone */
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(r, timeoutMs, 'timeout')));
    const first = await Promise.race([proc.exited, timeout]);
    clearTimeout(timer);
    if (first === 'timeout') {
      await proc.stop(0);
      throw new Error(`${this.role} ${this.host} did not exit within ${timeoutMs} ms of ${signal} (killed); log tail:\n${tailFile(this.logFile)}`);
    }
    return first;
  }

  async stop(): Promise<void> {
    await this.proc?.stop(10_000);
  }
}

class RedisOnPort implements RestartableRedis {
  private proc: ServiceProcess | undefined;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly bin: string,
    private readonly dir: string,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  running(): boolean {
    return this.proc !== undefined && !this.proc.hasExited();
  }

  async start(): Promise<void> {
    if (this.running()) return;
    this.proc = spawnService(
      'redis',
      this.bin,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      { cwd: this.dir, logFile: join(this.dir, 'redis.log') },
    );
    await waitReady(this.proc, 'PONG', async () => (await redisCommand(this.port, 'PING')) === '+PONG', 20_000);
  }

  async stop(): Promise<void> {
    await this.proc?.stop(5_000);
  }
}

/** The loopback address comet `i` (1-based) listens on for clients. */
export function cometClientIp(i: number): string {
  return `127.0.0.${10 + i}`;
}

/**
 * Starts backends (those not given), creates the push topic, then the logics, comets and
 * jobs (in that order, each role's processes in parallel). On any failure everything started
 * so far is stopped before the error propagates.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const name = options.name ?? `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? makeTempDir(`cluster-${name}`);
  mkdirSync(dir, { recursive: true });
  const root = findRepoRoot(__dirnameOf());
  const timing = resolveTiming(options.timing);
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const started: StartedService[] = [];
  const apps: AppProcess[] = [];
  let redis: RedisOnPort | undefined;

  const stopAll = async (): Promise<void> => {
    // Jobs first (stop consuming), then comets (drain clients), then logics, then backends.
    const byRole = (r: Role) => apps.filter((a) => a.role === r);
    for (const role of ['job', 'comet', 'logic'] as const) await Promise.all(byRole(role).map((a) => a.stop()));
    await redis?.stop();
    for (const s of started.reverse()) await s.stop();
    if (ownDir && process.env.GOIM_CLUSTER_KEEP !== '1') removeDir(dir);
  };

  try {
    const given = options.backends ?? {};
    let redisUrl = given.redisUrl;
    if (!redisUrl) {
      const { 'redis-server': bin } = await ensureBinaries(['redis-server']);
      const rdir = join(dir, 'redis');
      mkdirSync(rdir, { recursive: true });
      redis = new RedisOnPort(await freePort(), bin!, rdir);
      await redis.start();
      redisUrl = redis.url;
    }
    const [etcdUrl, kafkaBrokers] = await Promise.all([
      given.etcdUrl ??
        startEtcd().then((s) => {
          started.push(s);
          return s.url;
        }),
      given.kafkaBrokers ??
        startKafka().then((s) => {
          started.push(s);
          return s.brokers;
        }),
    ]);
    const backends: Backends = { redisUrl, etcdUrl, kafkaBrokers };
    const common: ClusterCommon = {
      backends,
      timing,
      deployEnv: name,
      region: 'local',
      zone: 'local1',
      etcdPrefix: `/goim-cluster/${name}/`,
      kafkaTopic: `goim-push-${name}`,
      kafkaGroup: `goim-push-group-${name}`,
      tcpPort: await freePort(),
      wsPort: await freePort(),
    };
    await createTopic(kafkaBrokers, common.kafkaTopic, options.partitions ?? 4);

    const file = (host: string, toml: string): string => {
      const f = join(dir, `${host}.toml`);
      writeFileSync(f, toml);
      return f;
    };
    const logics: AppProcess[] = [];
    for (let i = 1; i <= (options.logics ?? 1); i++) {
      const host = `logic-${i}`;
      const ports = { http: await freePort(), grpc: await freePort() };
      logics.push(new AppProcess('logic', host, file(host, logicToml(common, { host, httpPort: ports.http, grpcPort: ports.grpc })), join(dir, `${host}.log`), ports, root, startTimeoutMs));
    }
    const comets: AppProcess[] = [];
    for (let i = 1; i <= (options.comets ?? 1); i++) {
      const host = `comet-${i}`;
      const clientIp = cometClientIp(i);
      const ports = { grpc: await freePort(), admin: await freePort(), tcp: common.tcpPort, ws: common.wsPort };
      const toml = cometToml(common, { host, clientIp, grpcPort: ports.grpc, adminPort: ports.admin });
      comets.push(new AppProcess('comet', host, file(host, toml), join(dir, `${host}.log`), ports, root, startTimeoutMs, clientIp));
    }
    const jobs: AppProcess[] = [];
    for (let i = 1; i <= (options.jobs ?? 1); i++) {
      const host = `job-${i}`;
      const ports = { http: await freePort() };
      jobs.push(new AppProcess('job', host, file(host, jobToml(common, { host, httpPort: ports.http })), join(dir, `${host}.log`), ports, root, startTimeoutMs));
    }
    apps.push(...logics, ...comets, ...jobs);
    // Logics first (comets call them), comets next (jobs wait for one), jobs last.
    await Promise.all(logics.map((p) => p.start()));
    await Promise.all(comets.map((p) => p.start()));
    await Promise.all(jobs.map((p) => p.start()));

    let stopping: Promise<void> | undefined;
    const cluster: Cluster = {
      name,
      dir,
      backends,
      redis,
      comets,
      logics,
      jobs,
      common,
      logicUrl: (i = 0) => `http://127.0.0.1:${logics[i]!.ports.http}`,
      describe: () => describeCluster(cluster),
      stop: () => (stopping ??= stopAll()),
    };
    return cluster;
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

function describeCluster(c: Cluster): string {
  const lines = [
    `cluster ${c.name} (configs and logs in ${c.dir})`,
    `  redis  ${c.backends.redisUrl}`,
    `  kafka  ${c.backends.kafkaBrokers}  topic ${c.common.kafkaTopic}  group ${c.common.kafkaGroup}`,
    `  etcd   ${c.backends.etcdUrl}  prefix ${c.common.etcdPrefix}  env ${c.common.deployEnv}`,
  ];
  for (const p of c.logics) lines.push(`  ${p.host}  pid ${p.pid}  http http://127.0.0.1:${p.ports.http}  grpc 127.0.0.1:${p.ports.grpc}  log ${p.logFile}`);
  for (const p of c.comets) {
    lines.push(
      `  ${p.host}  pid ${p.pid}  ws ws://${p.clientIp}:${p.ports.ws}/sub  tcp ${p.clientIp}:${p.ports.tcp}  grpc 127.0.0.1:${p.ports.grpc}  admin http://127.0.0.1:${p.ports.admin}  log ${p.logFile}`,
    );
  }
  for (const p of c.jobs) lines.push(`  ${p.host}  pid ${p.pid}  http http://127.0.0.1:${p.ports.http}  log ${p.logFile}`);
  return lines.join('\n');
}

/** This file's directory in both CJS (jest) and ESM (tsx) without `import.meta`. */
function __dirnameOf(): string {
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}
