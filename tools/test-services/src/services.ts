/** Starts several test services in parallel and stops them together. */
import { TestServiceError } from './errors.js';
import { startEtcd } from './etcd.js';
import { startKafka } from './kafka.js';
import { startRedis, startRedisCluster, type StartedService } from './redis.js';

/** Names accepted by startServices() and the CLI. */
export const SERVICE_NAMES = ['redis', 'cluster', 'etcd', 'kafka'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const STARTERS: Record<ServiceName, () => Promise<StartedService>> = {
  redis: () => startRedis(),
  cluster: () => startRedisCluster(),
  etcd: () => startEtcd(),
  kafka: () => startKafka(),
};

/**
 * Starts one service, once more if it exited during start-up: a port picked as free can be
 * taken by another process before the server binds it.
 */
async function startWithRetry(name: ServiceName): Promise<StartedService> {
  try {
    return await STARTERS[name]();
  } catch (err) {
    if (err instanceof TestServiceError && err.code === 'GOIM_ERR_TESTSVC_EXITED') return STARTERS[name]();
    throw err;
  }
}

export interface StartedServices {
  /** Variables of every service that started (GOIM_TEST_*). */
  readonly env: Record<string, string>;
  /** Services that failed to start, with the reason (only when `allowPartial`). */
  readonly failures: { name: ServiceName; error: Error }[];
  /** Stops every started service (in parallel); safe to call twice. */
  stop(): Promise<void>;
}

/** `all` or a list of names → the names, validated. */
export function parseServiceNames(args: readonly string[]): ServiceName[] {
  if (args.length === 0 || args.includes('all')) return [...SERVICE_NAMES];
  for (const a of args) {
    if (!(SERVICE_NAMES as readonly string[]).includes(a)) {
      throw new TestServiceError('GOIM_ERR_TESTSVC_BAD_ARGUMENT', `unknown service ${JSON.stringify(a)}; expected one of ${SERVICE_NAMES.join(', ')}, all`);
    }
  }
  return [...new Set(args)] as ServiceName[];
}

/**
 * Starts `names` in parallel. If one fails, the others are stopped and the error is thrown,
 * unless `allowPartial` (then the failures are reported and the rest keep running).
 */
export async function startServices(names: readonly ServiceName[], opts: { allowPartial?: boolean } = {}): Promise<StartedServices> {
  const results = await Promise.allSettled(names.map((n) => startWithRetry(n)));
  const started: StartedService[] = [];
  const failures: { name: ServiceName; error: Error }[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') started.push(r.value);
    else failures.push({ name: names[i]!, error: r.reason instanceof Error ? r.reason : new Error(String(r.reason)) });
  });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= Promise.all(started.map((s) => s.stop().catch(() => undefined))).then(() => undefined));
  if (failures.length > 0 && !opts.allowPartial) {
    await stop();
    const f = failures[0]!;
    throw new TestServiceError(
      f.error instanceof TestServiceError ? f.error.code : 'GOIM_ERR_TESTSVC_EXITED',
      failures.map((x) => `${x.name}: ${x.error.message}`).join('\n'),
    );
  }
  return { env: Object.assign({}, ...started.map((s) => s.env)) as Record<string, string>, failures, stop };
}
