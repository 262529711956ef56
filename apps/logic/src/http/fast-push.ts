/**
 * A fast path for `POST /goim/push/keys|mids|room|all` in front of the express app.
 *
 * Express's router, `express.raw` and `res.json` were 50–70 % of logic's main thread per push
 * (tools/bench README); this listener answers the four push routes with the same binding,
 * bearer check, body limit, {@link Pusher} calls, envelopes and metrics, and hands every other
 * request (other paths or methods, a compressed body) to express unchanged.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';
import type { LogicConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { LogicMetrics } from '../metrics.js';
import type { Pusher } from '../push.js';
import { bindQuery } from './binding.js';
import {
  bearerCheck,
  clientIP,
  debugEnabled,
  errorReply,
  PUSH_ROUTES,
  tooLargeBody,
  UNAUTHORIZED_BODY,
  type Envelope,
  type PushRoute,
} from './common.js';

/** What the fast path needs: the same config, pusher, metrics and logger as the express app. */
export interface PushFastPathDeps {
  config: LogicConfig;
  pusher: Pusher;
  metrics: LogicMetrics;
  logger: Logger;
}

// What express's res.json sends for the success envelope, serialised once.
const OK_BODY = Buffer.from(JSON.stringify({ code: 0, message: '' }));
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Wraps `fallback` (the express app) with the push fast path. Only exact paths with method
 * POST and an identity (or absent) `Content-Encoding` take it; express inflates compressed
 * bodies, so those go the slow way to keep its answers.
 */
export function withPushFastPath(fallback: RequestListener, deps: PushFastPathDeps): RequestListener {
  const { config, pusher, metrics, logger } = deps;
  const authorized = bearerCheck(config);
  const limit = config.push.maxBodyBytes;
  // The success count of each route, bound on first use: inc({…}) hashes the labels each call.
  const okByRoute = new Map<string, Counter.Internal>();
  const countRequest = (path: string, status: number): void => {
    if (status !== 200) return metrics.httpRequests.inc({ route: path, status: String(status) });
    let c = okByRoute.get(path);
    if (c === undefined) okByRoute.set(path, (c = metrics.httpRequests.labels({ route: path, status: '200' })));
    c.inc();
  };

  function reply(req: IncomingMessage, res: ServerResponse, path: string, status: number, body: Buffer, started: bigint): void {
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': body.length });
    res.end(body, () => {
      countRequest(path, status);
      if (started !== 0n) {
        logger.debug(
          { method: req.method, path: req.url, status, ip: clientIP(req), ms: Number(process.hrtime.bigint() - started) / 1e6 },
          'http request',
        );
      }
    });
  }
  const envelope = (e: Envelope) => Buffer.from(JSON.stringify(e));

  function handle(req: IncomingMessage, res: ServerResponse, path: string, query: string, route: PushRoute): void {
    const started = debugEnabled(logger) ? process.hrtime.bigint() : 0n;
    if (!authorized(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      reply(req, res, path, 401, envelope(UNAUTHORIZED_BODY), started);
      return;
    }
    // Like body-parser: refuse an announced oversize body at once, an unannounced one when it
    // passes the limit, and answer 413 only after the rest has been read (drained).
    const announced = req.headers['content-length'];
    let tooLarge = announced !== undefined && Number(announced) > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    // A request error is the client going away (aborted): nobody is left to answer.
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooLarge) return reply(req, res, path, 413, envelope(tooLargeBody(config)), started);
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      let run: Promise<unknown>;
      try {
        run = route.run(pusher, bindQuery(new URLSearchParams(query), route.fields), body);
      } catch (err) {
        run = Promise.reject(err);
      }
      run.then(
        () => reply(req, res, path, 200, OK_BODY, started),
        (err: unknown) => {
          const r = errorReply(err, config, logger);
          reply(req, res, path, r.status, envelope(r.body), started);
        },
      );
    });
  }

  return (req, res) => {
    if (req.method === 'POST') {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const route = PUSH_ROUTES.get(path);
      const encoding = req.headers['content-encoding'];
      if (route && (encoding === undefined || encoding.toLowerCase() === 'identity')) {
        handle(req, res, path, q < 0 ? '' : url.slice(q + 1), route);
        return;
      }
    }
    fallback(req, res);
  };
}
