/**
 * `job` entry point: the only place that reads process.env/argv, installs signal handlers
 * and exits. Flags as goim: -conf -region -zone -deploy.env -host -debug.
 */
import { pino } from 'pino';
import { MemoryCometDirectory } from './comet-directory.js';
import { loadJobConfig, parseBind } from './config.js';
import { createQueueConsumer } from './consumer.js';
import { listenJobHttp, type JobHttpServer } from './http.js';
import { createJob } from './job.js';

async function main(): Promise<void> {
  const config = loadJobConfig(process.argv.slice(2), process.env);
  const logger = pino({ name: 'job', level: config.env.debug ? 'debug' : (process.env.LOG_LEVEL ?? 'info') });
  const comets = MemoryCometDirectory.fromAddresses(config.comets, { deadlineMs: config.comet.deadline });
  const queue = createQueueConsumer(config, logger.child({ component: 'queue' }));
  const job = createJob(config, { consumer: queue.consumer, comets, logger });
  let http: JobHttpServer | undefined;
  if (config.httpServer.addr) {
    const { host, port } = parseBind(config.httpServer.addr);
    http = await listenJobHttp(job, port, host);
  }
  await job.start();
  logger.info(
    { zone: config.env.zone, zoneOnly: config.job.zoneOnly, queue: config.queue.type, comets: config.comets.length, httpPort: http?.port },
    'job started',
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, drainMs: config.shutdown.drain }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ drainMs: config.shutdown.drain }, 'drain deadline passed: exiting; unacknowledged messages will be redelivered');
      process.exit(1);
    }, config.shutdown.drain);
    deadline.unref();
    (async () => {
      await http?.close();
      await job.close();
      await queue.close();
      await comets.close();
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => undefined); // goim ignores SIGHUP
}

main().catch((err: unknown) => {
  process.stderr.write(`job: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
  process.exit(1);
});
