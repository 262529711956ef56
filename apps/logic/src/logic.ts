/**
 * `createLogic(config, deps)`: the logic role wired from its parts, without process globals.
 * Creating and listening are separate so specs run it on port 0 and apps/standalone can use
 * `service` as the in-process link for its comet.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PushMsg_Type, type LogicService } from '@goim/protocol/rpc';
import type { PushQueueProducer } from '@goim/queue';
import type { SessionStore } from '@goim/session-store';
import type express from 'express';
import { createAuthenticator } from './auth/index.js';
import type { Authenticator } from './auth/types.js';
import { WeightedBalancer } from './balancer.js';
import { StaticCometSource, eligibleComets, type CometSource } from './comets.js';
import { isDevelopmentEnv, parseListenAddr, type LogicConfig } from './config.js';
import { LogicError, LogicErrorCode } from './errors.js';
import { grpcServerOptions, startLogicGrpcServer, type BoundGrpcServer } from './grpc/server.js';
import { createHttpApp } from './http/app.js';
import { withPushFastPath } from './http/fast-push.js';
import type { AdminApiOptions } from './http/admin.js';
import { silentLogger, type Logger } from './logger.js';
import { createLogicMetrics, type LogicMetrics } from './metrics.js';
import type { Counter } from 'prom-client';
import { OnlineAggregator } from './online.js';
import { Pusher } from './push.js';
import { createReceiveSink, type RawTopicPublisher, type ReceiveSink } from './receive.js';
import { createLogicService } from './service.js';

/** What logic is built from. Adapters passed in are closed by the caller, not by logic. */
export interface LogicDeps {
  sessions: SessionStore;
  producer: PushQueueProducer;
  /** Comet instances; default a static source of `config.discovery.comets`. */
  comets?: CometSource;
  /** Default: the one `config.auth.type` names. */
  authenticator?: Authenticator;
  /** Publisher for `receive.sink = "queue"`. */
  receivePublisher?: RawTopicPublisher;
  /** Overrides the configured receive sink. */
  receiveSink?: ReceiveSink;
  logger?: Logger;
  metrics?: LogicMetrics;
  /** Clock in ms; default Date.now. */
  now?: () => number;
  /** PushMsg.msgID generator; default crypto.randomUUID. */
  newMsgID?: () => string;
  /** Connection key generator for clients without one; default crypto.randomUUID (goim: UUID v4). */
  newKey?: () => string;
  /** Region of a client IP for the balancer; default none (goim's stub). */
  locate?: (clientIP: string) => string;
  /** Extra HTTP routes mounted before the 404 handler (standalone's demo page, admin). */
  routes?: (app: express.Express) => void;
  /** In-process extras for the admin API (apps/standalone: its comet service and counters). */
  admin?: AdminApiOptions;
}

/** Listening addresses. */
export interface LogicAddresses {
  http: { host: string; port: number };
  grpc: { host: string; port: number };
}

export interface Logic {
  /** The comet-facing service (the in-process link). */
  service: LogicService;
  /** The HTTP API app (not listening until {@link listen}). */
  app: express.Express;
  online: OnlineAggregator;
  balancer: WeightedBalancer;
  metrics: LogicMetrics;
  /** Starts the online loop, the HTTP server and the gRPC server. */
  listen(): Promise<LogicAddresses>;
  /** Stops listeners (HTTP, gRPC) and loops; safe to call twice. Adapters stay open. */
  close(): Promise<void>;
}

const PUSH_TYPE_LABEL: Record<number, string> = { [PushMsg_Type.PUSH]: 'push', [PushMsg_Type.ROOM]: 'room', [PushMsg_Type.BROADCAST]: 'broadcast' };

/** Builds logic from a resolved config. Throws ConfigError for unusable auth/receive settings. */
export function createLogic(config: LogicConfig, deps: LogicDeps): Logic {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createLogicMetrics();
  const comets = deps.comets ?? new StaticCometSource(config.discovery.comets);
  const authenticator = deps.authenticator ?? createAuthenticator(config.auth);
  if (authenticator.type === 'goim-json' && !isDevelopmentEnv(config.env.deployEnv)) {
    logger.warn(
      { deployEnv: config.env.deployEnv },
      'auth.type "goim-json" trusts every client-supplied mid/key/room; use "jwt" or "webhook" outside development',
    );
  }
  const receiveSink =
    deps.receiveSink ?? createReceiveSink(config.receive, { logger: logger.child({ component: 'receive' }), publisher: deps.receivePublisher });

  const balancer = new WeightedBalancer();
  const updateNodes = (instances: Parameters<typeof eligibleComets>[0]) => {
    if (!balancer.update(eligibleComets(instances))) {
      logger.warn({ instances: instances.length, current: balancer.list().length }, 'comet list update ignored (empty or under half the current list)');
    }
  };
  if (comets.current().length) updateNodes(comets.current());
  const unsubscribe = comets.onChange(updateNodes);

  const online = new OnlineAggregator(deps.sessions, comets, {
    now,
    refreshMs: config.online.refresh,
    staleMs: config.online.stale,
    logger: logger.child({ component: 'online' }),
  });
  // One bound counter per message type, made on first use (inc({…}) hashes the labels each call).
  const pushMessagesByType = new Map<number, Counter.Internal>();
  const pusher = new Pusher(deps.sessions, deps.producer, deps.newMsgID, (type) => {
    let c = pushMessagesByType.get(type);
    if (c === undefined) pushMessagesByType.set(type, (c = metrics.pushMessages.labels(PUSH_TYPE_LABEL[type] ?? 'unknown')));
    c.inc();
  });
  const service = createLogicService({
    config,
    sessions: deps.sessions,
    authenticator,
    online,
    balancer,
    receiveSink,
    metrics,
    logger: logger.child({ component: 'grpc' }),
    now,
    locate: deps.locate,
    newKey: deps.newKey,
  });

  let state: 'new' | 'listening' | 'closing' | 'closed' = 'new';
  let http: HttpServer | undefined;
  let grpc: BoundGrpcServer | undefined;
  const httpLogger = logger.child({ component: 'http' });
  const app = createHttpApp({
    config,
    pusher,
    online,
    comets,
    balancer,
    sessions: deps.sessions,
    metrics,
    logger: httpLogger,
    locate: deps.locate,
    isReady: () => state === 'listening',
    ...(deps.routes ? { routes: deps.routes } : {}),
    ...(deps.admin ? { admin: deps.admin } : {}),
  });

  async function listen(): Promise<LogicAddresses> {
    if (state !== 'new') throw new LogicError(LogicErrorCode.BAD_STATE, `listen() called in state ${state}`);
    state = 'listening';
    const httpAddr = parseListenAddr(config.httpServer.addr);
    const rpcAddr = parseListenAddr(config.rpcServer.addr);
    await online.start();
    try {
      grpc = await startLogicGrpcServer(service, rpcAddr.host ?? '0.0.0.0', rpcAddr.port, grpcServerOptions(config.rpcServer));
      // goim never applied its read timeout (§10.17). Node checks the timeouts every
      // connectionsCheckingInterval (30 s by default), so check at least twice per timeout.
      const readTimeout = config.httpServer.readTimeout;
      const server = createServer(
        readTimeout > 0
          ? { requestTimeout: readTimeout, headersTimeout: readTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1_000, readTimeout / 2)) }
          : { requestTimeout: 0 },
        // Push routes skip express (its per-request cost dominated a push); the rest goes to `app`.
        withPushFastPath(app, { config, pusher, metrics, logger: httpLogger }),
      );
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(httpAddr.port, httpAddr.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      http = server;
    } catch (err) {
      // Undo what started (e.g. the HTTP port was taken) so the caller may fix and retry.
      await Promise.all([grpc?.close(0), online.stop()]);
      grpc = undefined;
      state = 'new';
      throw err;
    }
    const addr = http.address() as AddressInfo;
    const result = { http: { host: addr.address, port: addr.port }, grpc: { host: grpc.host, port: grpc.port } };
    logger.info(result, 'logic listening');
    return result;
  }

  async function stop(): Promise<void> {
    unsubscribe();
    const h = http;
    http = undefined;
    await Promise.all([
      h &&
        new Promise<void>((resolve) => {
          h.close(() => resolve());
          h.closeIdleConnections();
        }),
      grpc?.close(),
      online.stop(),
    ]);
    grpc = undefined;
    await authenticator.close?.();
    await receiveSink.close?.();
  }

  let closing: Promise<void> | undefined;
  return {
    service,
    app,
    online,
    balancer,
    metrics,
    listen,
    close() {
      closing ??= (async () => {
        state = 'closing';
        await stop();
        state = 'closed';
      })();
      return closing;
    },
  };
}
