/**
 * The HTTP API (goim's gin routes, spec §3.1) plus /metrics, /healthz, /readyz.
 *
 * Envelope `{"code","message","data"?}`: code 0 OK, -400 request error, -500 server error.
 * HTTP 400 only for binding errors (as gin's BindQuery), 413 for an oversize body, 401 for a
 * missing/wrong bearer token (goim-ts additions); logic-level failures are HTTP 200 with a
 * negative code, as goim.
 *
 * `logic.listen()` serves the four push routes through `withPushFastPath` (fast-push.ts) in
 * front of this app, with the same answers; the routes here serve what it passes on.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { SessionStore } from '@goim/session-store';
import { eligibleComets, type CometSource } from '../comets.js';
import type { WeightedBalancer } from '../balancer.js';
import type { LogicConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { LogicMetrics } from '../metrics.js';
import type { OnlineAggregator } from '../online.js';
import type { Pusher } from '../push.js';
import { nodesReply } from '../service.js';
import { mountAdminApi, type AdminApiOptions } from './admin.js';
import { BindingError, bindQuery, type FieldSpec } from './binding.js';
import { bearerCheck, clientIP, errorReply, HttpCode, PUSH_ROUTES, UNAUTHORIZED_BODY, type Envelope } from './common.js';

export { HttpCode };

export interface HttpAppDeps {
  config: LogicConfig;
  pusher: Pusher;
  online: OnlineAggregator;
  comets: CometSource;
  balancer: WeightedBalancer;
  sessions: SessionStore;
  metrics: LogicMetrics;
  logger: Logger;
  /** Region of a client IP (default: none, as goim's stub). */
  locate?: (clientIP: string) => string;
  /** False until listening and after close starts (readiness). */
  isReady: () => boolean;
  /** Extra routes mounted before the 404 handler (apps/standalone's demo page, admin). */
  routes?: (app: express.Express) => void;
  /** In-process extras for the admin API (`/goim/admin/*`, enabled by `admin.token`). */
  admin?: AdminApiOptions;
}

function send(res: Response, status: number, body: Envelope): void {
  res.status(status).json(body);
}

const ok = (res: Response, data?: unknown) => send(res, 200, data === undefined ? { code: 0, message: '' } : { code: 0, message: '', data });

const ONLINE_TOP: FieldSpec[] = [
  { field: 'Type', form: 'type', kind: 'string', required: true },
  { field: 'Limit', form: 'limit', kind: 'int', required: true },
];
const ONLINE_ROOM: FieldSpec[] = [
  { field: 'Type', form: 'type', kind: 'string', required: true },
  { field: 'Rooms', form: 'rooms', kind: 'string[]', required: true },
];
const NODES_WEIGHTED: FieldSpec[] = [{ field: 'Platform', form: 'platform', kind: 'string' }];

function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl;
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** NodesReply as goim's JSON (protobuf json tags, zero values omitted). */
function nodesJson(r: ReturnType<typeof nodesReply>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (v !== 0 && v !== '' && !(Array.isArray(v) && v.length === 0) && v !== undefined) out[k] = v;
  };
  put('domain', r.domain);
  put('tcp_port', r.tcpPort);
  put('ws_port', r.wsPort);
  put('wss_port', r.wssPort);
  put('heartbeat', r.heartbeat);
  put('nodes', r.nodes);
  if (r.backoff) {
    const b: Record<string, number> = {};
    if (r.backoff.maxDelay) b.max_delay = r.backoff.maxDelay;
    if (r.backoff.baseDelay) b.base_delay = r.backoff.baseDelay;
    if (r.backoff.factor) b.factor = r.backoff.factor;
    if (r.backoff.jitter) b.jitter = r.backoff.jitter;
    out.backoff = b;
  }
  put('heartbeat_max', r.heartbeatMax);
  return out;
}

/** Builds the express app (not listening). */
export function createHttpApp(deps: HttpAppDeps): express.Express {
  const { config, pusher, online, comets, balancer, sessions, metrics, logger } = deps;
  const locate = deps.locate ?? (() => '');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Counts and access-logs every request (debug level: pushes are a hot path).
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      logger.debug(
        { method: req.method, path: req.originalUrl, status: res.statusCode, ip: clientIP(req), ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'http request',
      );
    });
    next();
  });

  const authorized = bearerCheck(config);
  const requireBearer = (req: Request, res: Response, next: NextFunction) => {
    if (authorized(req.header('authorization'))) return next();
    res.setHeader('www-authenticate', 'Bearer');
    send(res, 401, UNAUTHORIZED_BODY);
  };
  // The push body is the raw message, whatever its content type (goim's GetRawData).
  const rawBody = express.raw({ type: () => true, limit: config.push.maxBodyBytes });
  // The same routes as the fast path in front of this app (fast-push.ts); requests it passes
  // on (e.g. a compressed body) and apps serving this app directly land here.
  for (const [path, route] of PUSH_ROUTES) {
    app.post(path, requireBearer, rawBody, async (req, res) => {
      const q = bindQuery(queryOf(req), route.fields);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      await route.run(pusher, q, body);
      ok(res);
    });
  }

  app.get('/goim/online/top', (req, res) => {
    const q = bindQuery(queryOf(req), ONLINE_TOP);
    const limit = q.limit as number;
    if (limit < 0) throw new BindingError(`limit must be positive, got ${limit}`);
    ok(res, online.top(q.type as string, limit));
  });
  app.get('/goim/online/room', (req, res) => {
    const q = bindQuery(queryOf(req), ONLINE_ROOM);
    ok(res, online.rooms(q.type as string, q.rooms as string[]));
  });
  app.get('/goim/online/total', (_req, res) => {
    let conn_count = 0;
    let ip_count = 0;
    for (const c of eligibleComets(comets.current())) {
      conn_count += c.connCount;
      ip_count += c.ipCount;
    }
    ok(res, { conn_count, ip_count });
  });
  app.get('/goim/nodes/weighted', (req, res) => {
    const q = bindQuery(queryOf(req), NODES_WEIGHTED);
    ok(res, nodesJson(nodesReply(config, balancer, q.platform as string, locate(clientIP(req)))));
  });
  app.get('/goim/nodes/instances', (_req, res) => {
    ok(res, comets.current());
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', async (_req, res) => {
    if (!deps.isReady()) {
      res.status(503).type('text/plain').send('not ready: not listening');
      return;
    }
    try {
      await Promise.race([
        sessions.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('session store ping timed out')), 1_000).unref()),
      ]);
      res.type('text/plain').send('ready');
    } catch (err) {
      res.status(503).type('text/plain').send(`not ready: ${(err as Error).message}`);
    }
  });

  mountAdminApi(app, { ...deps.admin, config, token: config.admin.token, metricsUrls: config.admin.metricsUrls, comets, online, sessions, pusher, metrics, logger: logger.child({ component: 'admin' }) });
  deps.routes?.(app);

  // Unknown paths (and wrong methods) answer like gin: plain-text 404.
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found');
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const r = errorReply(err, config, logger);
    send(res, r.status, r.body);
  });
  return app;
}
