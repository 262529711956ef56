/**
 * `job` entry point: the only place that reads process.env/argv, installs signal handlers
 * and exits. Flags as goim: -conf -region -zone -deploy.env -host -debug.
 *
 * With `discovery.registry` the comet directory follows `goim.comet` in discovery; the job
 * waits (backoff, a log line per attempt) until a comet is registered instead of panicking
 * like goim's job (§10.28).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { handleShutdownSignals, runMain, type ShutdownHandle } from '@goim/app-kit';
import { createRegistry, type Registry, type Watch } from '@goim/discovery-client';
import { MemoryCometDirectory, followRegistry } from './comet-directory.js';
import { loadJobConfig, parseBind } from './config.js';
import { createQueueConsumer, type QueueConsumerHandle } from './consumer.js';
import { listenJobHttp, type JobHttpServer } from './http.js';
import { createJob, type Job } from './job.js';

async function main(): Promise<void> {
  const config = loadJobConfig(process.argv.slice(2), process.env);
  const logger = pino({ name: 'job', level: config.env.debug ? 'debug' : (process.env.LOG_LEVEL ?? 'info') });
  const comets = MemoryCometDirectory.fromAddresses(config.comets, { deadlineMs: config.comet.deadline });
  let registry: Registry | undefined;
  let cometWatch: Watch | undefined;
  // Installed once the job runs; until then a signal ends the process at once (node's default).
  let shutdown: ShutdownHandle | undefined;
  const stopping = (): boolean => shutdown?.stopping === true;
  if (config.discovery.registry) {
    registry = createRegistry(config.discovery.registry, { logger: logger.child({ component: 'discovery' }) });
    // The registry backend may still be starting: the registry retries the watch (a deadline
    // per attempt, capped backoff, a warning naming the backend per failure), never a crash.
    cometWatch = await followRegistry(comets, registry);
    for (let attempt = 1, delay = 250; comets.list().length === 0 && !stopping(); attempt++, delay = Math.min(delay * 2, config.discovery.waitMax)) {
      logger.warn({ attempt, retryInMs: delay }, 'no goim.comet instance in discovery yet; waiting before consuming');
      await sleep(delay);
    }
    logger.info({ type: config.discovery.registry.type, comets: comets.list().map((c) => c.hostname) }, 'following goim.comet in discovery');
  }
  // The queue engine may still be starting (goim's job crashed here): a failed start is retried
  // with a fresh consumer, with backoff and a log line per attempt. Config errors stay fatal.
  let queue: QueueConsumerHandle;
  let job: Job;
  for (let attempt = 1, delay = 500; ; attempt++, delay = Math.min(delay * 2, 10_000)) {
    queue = createQueueConsumer(config, logger.child({ component: 'queue' }));
    job = createJob(config, { consumer: queue.consumer, comets, logger });
    try {
      await job.start();
      break;
    } catch (err) {
      logger.warn({ err, attempt, retryInMs: delay }, 'could not start consuming (queue not reachable?); retrying');
      await job.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      await sleep(delay);
    }
  }
  let http: JobHttpServer | undefined;
  if (config.httpServer.addr) {
    const { host, port } = parseBind(config.httpServer.addr);
    http = await listenJobHttp(job, port, host);
  }
  logger.info(
    { zone: config.env.zone, zoneOnly: config.job.zoneOnly, queue: config.queue.type, comets: comets.list().length, httpPort: http?.port },
    'job started',
  );

  const drainMs = config.shutdown.drain;
  shutdown = handleShutdownSignals({
    logger,
    fields: { drainMs },
    deadline: { ms: drainMs, fields: { drainMs }, message: 'drain deadline passed: exiting; unacknowledged messages will be redelivered' },
    steps: async () => {
      await http?.close();
      await job.close();
      await queue.close();
      await cometWatch?.stop();
      await comets.close();
      await registry?.close();
    },
  });
}

runMain('job', main);
