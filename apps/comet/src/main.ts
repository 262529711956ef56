/**
 * `comet` entry point: the only place that reads process.env/argv, installs signal handlers
 * and exits. Flags as goim: -conf -region -zone -deploy.env -host -weight -addrs -offline
 * -debug (plus -logic host:port, goim-ts).
 */
import { pino } from 'pino';
import { createLogicClient } from '@goim/protocol/rpc';
import { createComet } from './comet.js';
import { loadCometConfig } from './config.js';

async function main(): Promise<void> {
  const config = loadCometConfig(process.argv.slice(2), process.env);
  const logger = pino({
    name: 'comet',
    level: config.env.debug ? 'debug' : (process.env.LOG_LEVEL ?? 'info'),
    redact: ['token', '*.token', 'cookie', '*.cookie'],
  });
  const logic = createLogicClient(config.rpcClient.logicAddr, { deadlineMs: config.rpcClient.timeout });
  const comet = createComet(config, { logic, logger });
  const addresses = await comet.listen();
  logger.info({ host: config.env.host, region: config.env.region, zone: config.env.zone, addresses }, 'comet started');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, drainMs: config.shutdown.drain }, 'shutting down');
    comet
      .close()
      .then(() => {
        logic.close();
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => undefined); // goim ignores SIGHUP
}

main().catch((err: unknown) => {
  process.stderr.write(`comet: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
  process.exit(1);
});
