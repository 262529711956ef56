/**
 * What the express app and the push fast path ({@link ./fast-push.ts}) share, so both answer
 * push requests with the same code: the push route table, the bearer check, the error →
 * envelope mapping and gin's client IP.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LogicConfig } from '../config.js';
import { LogicError, LogicErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Pusher } from '../push.js';
import { BindingError, type FieldSpec } from './binding.js';

/** Envelope codes (goim's ecode values; -401 is a goim-ts addition for the bearer token). */
export const HttpCode = { OK: 0, REQUEST_ERR: -400, UNAUTHORIZED: -401, SERVER_ERR: -500 } as const;

/** The JSON envelope every goim route answers with. */
export type Envelope = { code: number; message: string; data?: unknown };

/** A push route: its query fields and what it calls on the {@link Pusher}. */
export interface PushRoute {
  fields: readonly FieldSpec[];
  run(pusher: Pusher, q: Record<string, unknown>, body: Buffer): Promise<unknown>;
}

/** `POST /goim/push/*` (spec §3.1), keyed by exact path. */
export const PUSH_ROUTES: ReadonlyMap<string, PushRoute> = new Map<string, PushRoute>([
  [
    '/goim/push/keys',
    {
      fields: [
        { field: 'Op', form: 'operation', kind: 'int32' },
        { field: 'Keys', form: 'keys', kind: 'string[]' },
      ],
      run: (p, q, body) => p.pushKeys(q.operation as number, q.keys as string[], body),
    },
  ],
  [
    '/goim/push/mids',
    {
      fields: [
        { field: 'Op', form: 'operation', kind: 'int32' },
        { field: 'Mids', form: 'mids', kind: 'int64[]' },
      ],
      run: (p, q, body) => p.pushMids(q.operation as number, q.mids as number[], body),
    },
  ],
  [
    '/goim/push/room',
    {
      fields: [
        { field: 'Op', form: 'operation', kind: 'int32', required: true },
        { field: 'Type', form: 'type', kind: 'string', required: true },
        { field: 'Room', form: 'room', kind: 'string', required: true },
      ],
      run: (p, q, body) => p.pushRoom(q.operation as number, q.type as string, q.room as string, body),
    },
  ],
  [
    '/goim/push/all',
    {
      fields: [
        { field: 'Op', form: 'operation', kind: 'int32', required: true },
        { field: 'Speed', form: 'speed', kind: 'int32' },
      ],
      run: (p, q, body) => p.pushAll(q.operation as number, q.speed as number, body),
    },
  ],
]);

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The envelope of a refused bearer token (HTTP 401, with `WWW-Authenticate: Bearer`). */
export const UNAUTHORIZED_BODY: Envelope = { code: HttpCode.UNAUTHORIZED, message: 'missing or invalid bearer token' };

/**
 * A check of the `Authorization` header against `push.bearerTokens` (every request passes when
 * none are configured). Digests are compared in constant time so a token cannot be guessed
 * byte by byte.
 */
export function bearerCheck(config: LogicConfig): (authorization: string | undefined) => boolean {
  const tokens = config.push.bearerTokens.map(digest);
  if (tokens.length === 0) return () => true;
  return (authorization) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const given = m ? digest(m[1]!) : undefined;
    return !!given && tokens.some((t) => timingSafeEqual(t, given));
  };
}

/** The 413 answer for a push body over `push.maxBodyBytes`. */
export function tooLargeBody(config: LogicConfig): Envelope {
  return { code: HttpCode.REQUEST_ERR, message: `request body larger than push.maxBodyBytes (${config.push.maxBodyBytes} bytes)` };
}

/**
 * Maps a handler error to HTTP status + envelope: binding errors 400 (gin's BindQuery), a
 * logic-level failure HTTP 200 with -400/-500 (as goim), an oversize body 413, other client
 * errors their 4xx, anything else 500.
 */
export function errorReply(err: unknown, config: LogicConfig, logger: Logger): { status: number; body: Envelope } {
  if (err instanceof BindingError) return { status: 400, body: { code: HttpCode.REQUEST_ERR, message: err.message } };
  if (err instanceof LogicError) {
    if (err.code === LogicErrorCode.BAD_REQUEST) return { status: 200, body: { code: HttpCode.REQUEST_ERR, message: err.message } };
    logger.warn({ err }, 'push failed');
    return { status: 200, body: { code: HttpCode.SERVER_ERR, message: err.message } };
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') return { status: 413, body: tooLargeBody(config) };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, body: { code: HttpCode.REQUEST_ERR, message: e.message ?? 'bad request' } };
  }
  logger.error({ err }, 'unexpected error in HTTP handler');
  return { status: 500, body: { code: HttpCode.SERVER_ERR, message: (err as Error)?.message ?? 'internal error' } };
}

/** gin's ClientIP(): first X-Forwarded-For entry, then X-Real-Ip, then the peer address. */
export function clientIP(req: IncomingMessage): string {
  const xff = header(req, 'x-forwarded-for')?.split(',')[0]?.trim();
  if (xff) return xff;
  const real = header(req, 'x-real-ip')?.trim();
  if (real) return real;
  return req.socket.remoteAddress ?? '';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Whether debug lines would be written (pino's isLevelEnabled; assume yes for other loggers). */
export function debugEnabled(logger: Logger): boolean {
  const l = logger as Logger & { isLevelEnabled?: (level: string) => boolean };
  return typeof l.isLevelEnabled === 'function' ? l.isLevelEnabled('debug') : true;
}
