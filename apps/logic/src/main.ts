/**
 * `logic` entry point: the only place that reads process.env/argv, installs signal handlers
 * and exits. Flags as goim: -conf -region -zone -deploy.env -host -weight.
 *
 * Backends: Redis (`redis.addr` / `redis.clusterNodes`) for sessions, else the memory store;
 * the push queue per `queue.type` (kafka, redis-streams, memory);
 * comets from `discovery.registry` (etcd/Redis/static) when set, else `discovery.comets`.
 */
import { pino } from 'pino';
import { advertiseHost, handleShutdownSignals, runMain, within } from '@goim/app-kit';
import { createRegistry, type Registration, type Registry } from '@goim/discovery-client';
import { KafkaPushQueue, MemoryPushQueue, RedisStreamsPushQueue, type PushQueue } from '@goim/queue';
import { MemorySessionStore, RedisSessionStore, type SessionStore } from '@goim/session-store';
import { loadLogicConfig, type LogicConfig } from './config.js';
import { registryCometSource, type CometSource } from './comets.js';
import { KafkaTopicPublisher } from './kafka-topic-publisher.js';
import { createLogic } from './logic.js';
import type { Logger } from './logger.js';
import { createLogicMetrics } from './metrics.js';

const SHUTDOWN_STEP_MS = 10_000;

function sessionStore(config: LogicConfig, logger: Logger): SessionStore {
  const { redis } = config;
  const sessionTtlSec = Math.max(1, Math.round(redis.expire / 1000));
  if (!redis.addr && redis.clusterNodes.length === 0) {
    logger.warn({}, 'redis.addr is empty: sessions live in process memory (one logic only, lost on restart)');
    return new MemorySessionStore({ sessionTtlSec });
  }
  logger.info({ addr: redis.addr || undefined, clusterNodes: redis.clusterNodes.length ? redis.clusterNodes : undefined }, 'session store: redis');
  return new RedisSessionStore({
    ...(redis.clusterNodes.length ? { clusterNodes: redis.clusterNodes } : { url: `redis://${redis.addr}` }),
    ...(redis.auth ? { password: redis.auth } : {}),
    sessionTtlSec,
    commandTimeoutMs: Math.round(redis.readTimeout),
    connectTimeoutMs: Math.max(1, Math.round(redis.dialTimeout)),
    logger: logger.child({ component: 'session-store' }),
  });
}

/** The push-queue engine `queue.type` names (unset: kafka with brokers, else memory). */
function pushQueue(config: LogicConfig, logger: Logger): PushQueue {
  const type = config.queue.type ?? (config.kafka.brokers.length ? 'kafka' : 'memory');
  const qlog = logger.child({ component: 'queue' });
  switch (type) {
    case 'redis-streams':
      logger.info({ stream: config.kafka.topic }, 'push queue: redis streams');
      return new RedisStreamsPushQueue({ redis: config.queue.redisUrl, stream: config.kafka.topic, logger: qlog });
    case 'kafka':
      logger.info({ brokers: config.kafka.brokers, topic: config.kafka.topic }, 'push queue: kafka');
      return new KafkaPushQueue({
        brokers: [...config.kafka.brokers],
        clientId: `goim-logic-${config.env.host || 'ts'}`,
        topic: config.kafka.topic,
        logger: qlog,
      });
    case 'memory':
      logger.warn({}, 'push queue: in-process memory queue (only an in-process job can read it)');
      return new MemoryPushQueue({ topic: config.kafka.topic, logger: qlog });
  }
}

async function main(): Promise<void> {
  const config = loadLogicConfig(process.argv.slice(2), process.env);
  const logger = pino({
    name: 'logic',
    level: config.log.level,
    redact: ['token', '*.token', 'cookie', '*.cookie', 'authorization', '*.authorization'],
  }) as unknown as Logger;

  const sessions = sessionStore(config, logger);
  const queue = pushQueue(config, logger);

  // receive.sink = "queue": upstream messages go to their own Kafka topic (needs kafka.brokers).
  const receivePublisher =
    config.receive.sink === 'queue' && config.kafka.brokers.length
      ? new KafkaTopicPublisher({ brokers: config.kafka.brokers, topic: config.receive.queue.topic })
      : undefined;

  // Comets from a discovery registry when configured, else the static `discovery.comets`.
  let registry: Registry | undefined;
  let comets: (CometSource & { stop(): Promise<void> }) | undefined;
  if (config.discovery.registry) {
    registry = createRegistry(config.discovery.registry, { logger: logger.child({ component: 'discovery' }) });
    // Discovery may still be starting: the registry retries the watch (and the registration
    // below) with a deadline per attempt and a capped backoff, warning with the backend address.
    comets = await registryCometSource(registry);
    logger.info({ type: config.discovery.registry.type, comets: comets.current().length }, 'watching goim.comet in discovery');
  }

  const logic = createLogic(config, {
    sessions,
    producer: queue.producer(),
    comets,
    receivePublisher,
    logger,
    metrics: createLogicMetrics(true),
  });
  const addresses = await logic.listen();
  logger.info(
    { host: config.env.host, region: config.env.region, zone: config.env.zone, auth: config.auth.type, addresses },
    'logic started',
  );

  let registration: Registration | undefined;
  if (registry) {
    registration = await registry.register({
      region: config.env.region,
      zone: config.env.zone,
      appid: 'goim.logic',
      hostname: config.env.host,
      addrs: [`grpc://${advertiseHost(addresses.grpc.host)}:${addresses.grpc.port}`],
      version: '',
      metadata: { weight: String(config.env.weight) },
    });
  }

  // Listeners first (no new work), then the adapters they used.
  handleShutdownSignals({
    logger,
    steps: async () => {
      // Leave discovery first so comets stop picking this logic while it drains.
      if (registration) await within(SHUTDOWN_STEP_MS, 'leaving discovery', () => registration.cancel(), logger);
      await within(SHUTDOWN_STEP_MS, 'closing listeners', () => logic.close(), logger);
      if (comets) await within(SHUTDOWN_STEP_MS, 'stopping the comet watch', () => comets.stop(), logger);
      if (registry) await within(SHUTDOWN_STEP_MS, 'closing discovery', () => registry.close(), logger);
      await within(SHUTDOWN_STEP_MS, 'closing the push queue', () => queue.close(), logger);
      if (receivePublisher) await within(SHUTDOWN_STEP_MS, 'closing the receive publisher', () => receivePublisher.close(), logger);
      await within(SHUTDOWN_STEP_MS, 'closing the session store', () => sessions.close(), logger);
    },
  });
}

runMain('logic', main);
