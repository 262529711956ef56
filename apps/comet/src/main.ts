/**
 * `comet` entry point: the only place that reads process.env/argv, installs signal handlers
 * and exits. Flags as goim: -conf -region -zone -deploy.env -host -weight -addrs -offline
 * -debug (plus -logic host:port, goim-ts).
 *
 * With `discovery.registry` configured the comet follows `goim.logic` instances and registers
 * itself as `goim.comet`; otherwise it calls the static `rpcClient.logicAddr`.
 */
import { pino } from 'pino';
import { advertiseHost, handleShutdownSignals, runMain, within } from '@goim/app-kit';
import { createRegistry, type Registry, type Watch } from '@goim/discovery-client';
import { createLogicClient, type Closable, type LogicService } from '@goim/protocol/rpc';
import { createComet } from './comet.js';
import { loadCometConfig } from './config.js';
import { ConfigError, ConfigErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import { FollowingLogicClient, followLogic, registerComet, type CometRegistration } from './registration.js';

/** Longest wait for one shutdown step (leaving discovery, closing the registry). */
const SHUTDOWN_STEP_MS = 5_000;

async function main(): Promise<void> {
  const config = loadCometConfig(process.argv.slice(2), process.env);
  const logger = pino({
    name: 'comet',
    level: config.env.debug ? 'debug' : (process.env.LOG_LEVEL ?? 'info'),
    redact: ['token', '*.token', 'cookie', '*.cookie'],
  }) as unknown as Logger;

  let registry: Registry | undefined;
  let logicWatch: Watch | undefined;
  let logic: Closable<LogicService>;
  if (config.discovery.registry) {
    registry = createRegistry(config.discovery.registry, { logger: logger.child({ component: 'discovery' }) });
    const following = new FollowingLogicClient({
      zone: config.env.zone,
      deadlineMs: config.rpcClient.timeout,
      logger: logger.child({ component: 'logic-client' }),
    });
    // Discovery may still be starting: the registry retries the watch (each attempt under
    // `attemptTimeoutMs`, capped backoff, a warning naming the backend per failure) until it
    // is established, and so does registerComet below — never a crash or a silent hang.
    logicWatch = await followLogic(registry, following);
    logger.info({ type: config.discovery.registry.type, logics: following.targets() }, 'watching goim.logic in discovery');
    logic = following;
  } else {
    logic = createLogicClient(config.rpcClient.logicAddr, { deadlineMs: config.rpcClient.timeout });
  }

  const comet = createComet(config, { logic, logger });
  const addresses = await comet.listen();
  let registration: CometRegistration | undefined;

  // Installed as soon as clients can connect, so a signal while registration still waits for
  // discovery drains them too (op 6) instead of killing the process.
  // Bounded exit: the drain window plus time for discovery and the listeners, then give up.
  const deadlineMs = config.shutdown.drain + 2 * SHUTDOWN_STEP_MS;
  const tolerate = { tolerateFailure: true };
  const shutdown = handleShutdownSignals({
    logger,
    fields: { drainMs: config.shutdown.drain },
    deadline: { ms: deadlineMs, fields: { deadlineMs }, message: 'shutdown did not finish in time: exiting' },
    steps: async () => {
      // Leave discovery first: logic stops handing this comet out and job stops routing to it
      // while its clients are told (op 6, reconnect) to move.
      if (registration) await within(SHUTDOWN_STEP_MS, 'leaving discovery', () => registration!.cancel(), logger, tolerate);
      await comet.close();
      await logicWatch?.stop();
      logic.close();
      if (registry) await within(SHUTDOWN_STEP_MS, 'closing discovery', () => registry.close(), logger, tolerate);
    },
  });

  if (registry) {
    if (!addresses.grpc) throw new ConfigError(ConfigErrorCode.INVALID, 'discovery.registry needs rpcServer.addr (job calls the comet over gRPC)');
    try {
      registration = await registerComet(
        registry,
        {
          region: config.env.region,
          zone: config.env.zone,
          host: config.env.host,
          weight: config.env.weight,
          offline: config.env.offline,
          addrs: config.env.addrs,
          grpcAddr: `${advertiseHost(addresses.grpc.host)}:${addresses.grpc.port}`,
        },
        comet.buckets,
        { intervalMs: config.discovery.metadataInterval, logger: logger.child({ component: 'discovery' }) },
      );
    } catch (err) {
      // Shutting down while registration waited: closing the registry ended the wait.
      if (shutdown.stopping) return;
      throw err;
    }
    // A signal that arrived while the registration was being written found nothing to cancel.
    if (shutdown.stopping) {
      await registration.cancel().catch(() => undefined);
      return;
    }
  }
  logger.info(
    { host: config.env.host, region: config.env.region, zone: config.env.zone, addresses, registered: registration !== undefined },
    'comet started',
  );
}

runMain('comet', main);
