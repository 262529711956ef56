/**
 * The admin API (goim-ts addition, no goim equivalent), used by apps/admin:
 *
 * - `GET  /goim/admin/nodes`        comet instances with region/zone, addrs, weight, offline, counts, updated
 * - `GET  /goim/admin/rooms/top`    rooms of every type, biggest first (`?limit=`, default 50)
 * - `GET  /goim/admin/rooms/:room`  one room (URL-encoded full id, e.g. `live%3A%2F%2F1000`): total + per comet
 * - `POST /goim/admin/push`         JSON `{target: keys|mids|room|all, operation, body, keys?, mids?, room?, speed?}`
 *                                   (the push API behind the admin token, so the dashboard needs no push token)
 * - `POST /goim/admin/kick`         JSON `{keys?, mids?, reason?}` → each comet holding them closes them (op 6 KICKED)
 * - `GET  /goim/admin/metrics`      a JSON snapshot of cumulative counters (the UI turns deltas into rates)
 * - `GET  /goim/admin/config`       logic's resolved config with secrets replaced by "[redacted]"
 *
 * Every route needs `Authorization: Bearer <admin.token>`; with no token configured the whole
 * API answers 404 with a message saying how to enable it, so a forgotten token never leaves it
 * open. Envelope as the push API: `{"code","message","data"?}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createCometClient, type CometService } from '@goim/protocol/rpc';
import type { Instance } from '@goim/discovery-client';
import type { SessionStore } from '@goim/session-store';
import { z } from 'zod';
import type { CometSource } from '../comets.js';
import type { Logger } from '../logger.js';
import type { LogicMetrics } from '../metrics.js';
import type { OnlineAggregator } from '../online.js';
import type { Pusher } from '../push.js';

/** Envelope codes of the admin API (0 and -400/-401/-500 as the push API; -404 = disabled). */
export const AdminCode = { OK: 0, REQUEST_ERR: -400, UNAUTHORIZED: -401, DISABLED: -404, SERVER_ERR: -500 } as const;

/** Cumulative counters of the comet/job side, as read in-process or scraped from `/metrics`. */
export interface AdminCounters {
  /** Pushes queued to a connection, one per recipient (comet `goim_comet_pushes_out_total`). */
  delivered: number;
  /** Connections closed by a kick (`goim_comet_kicked_total`). */
  kicked: number;
  /** Connections closed because their outbound buffer was full (`goim_comet_slow_consumers_total`). */
  slowConsumers: number;
  /** Connections replaced by a newer one with the same key (`goim_comet_replaced_total`). */
  replaced: number;
  /** Messages job gave up on (`goim_job_undeliverable_total`). */
  undeliverable: number;
}

/** What the embedding process may add (apps/standalone passes its in-process comet). */
export interface AdminApiOptions {
  /**
   * The comet service of a hostname, for kick. Default: a gRPC client to the instance's
   * `grpc://host:port` address (one per kick call; kicks are rare).
   */
  cometService?: (hostname: string) => CometService | undefined;
  /** Comet/job counters read in-process; summed with what `metricsUrls` give. */
  counters?: () => Partial<AdminCounters> | Promise<Partial<AdminCounters>>;
  /**
   * Called before nodes and rooms are read (at most once a second), so in-process data is
   * current: apps/standalone refreshes its comet's instance entry and room report. A failure
   * is logged and the last data is shown.
   */
  refresh?: () => void | Promise<void>;
  /** Injected fetch for scraping (tests); default global fetch. */
  fetch?: typeof fetch;
  /** Clock in ms; default Date.now. */
  now?: () => number;
}

export interface AdminApiDeps extends AdminApiOptions {
  /** `admin.token`; '' disables the API. */
  token: string;
  /** The resolved config shown by `/goim/admin/config` (secrets redacted there). */
  config?: unknown;
  /** `admin.metricsUrls`: Prometheus endpoints scraped for {@link AdminCounters}. */
  metricsUrls: readonly string[];
  comets: CometSource;
  online: Pick<OnlineAggregator, 'roomCount' | 'refresh'>;
  sessions: SessionStore;
  pusher: Pusher;
  metrics: LogicMetrics;
  logger: Logger;
}

/** One row of `/goim/admin/nodes`. */
export interface AdminNode {
  hostname: string;
  region: string;
  zone: string;
  env: string;
  /** Discovery addresses (gRPC). */
  addrs: string[];
  /** Public client addresses (metadata `addrs`, comma-separated in goim). */
  clientAddrs: string[];
  weight: number;
  offline: boolean;
  connCount: number;
  ipCount: number;
  /** Last discovery update, ms since the epoch (goim stores ns). */
  updated: number;
}

const KICK_BODY = z
  .object({
    keys: z.array(z.string().min(1).max(256)).max(10_000).default([]),
    mids: z.array(z.number().int().positive()).max(10_000).default([]),
    reason: z.string().max(256).default(''),
  })
  .strict()
  .refine((b) => b.keys.length + b.mids.length > 0, { message: 'give at least one of `keys` or `mids`' });

const PUSH_BODY = z
  .object({
    target: z.enum(['keys', 'mids', 'room', 'all']),
    operation: z.number().int().min(0).max(2 ** 31 - 1),
    /** The message, as UTF-8 text. */
    body: z.string().max(1024 * 1024),
    keys: z.array(z.string().min(1)).max(10_000).default([]),
    mids: z.array(z.number().int().positive()).max(10_000).default([]),
    /** Full room id, `type://id` (e.g. `live://1000`). */
    room: z.string().default(''),
    speed: z.number().int().min(0).default(0),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.target === 'keys' && b.keys.length === 0) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'target "keys" needs keys' });
    if (b.target === 'mids' && b.mids.length === 0) ctx.addIssue({ code: 'custom', path: ['mids'], message: 'target "mids" needs mids' });
    if (b.target === 'room' && !/^[^:/]+:\/\/.+/.test(b.room)) {
      ctx.addIssue({ code: 'custom', path: ['room'], message: 'target "room" needs room as "type://id", e.g. "live://1000"' });
    }
  });

const DISABLED_MESSAGE = 'admin API disabled: set admin.token (env GOIM_ADMIN_TOKEN) to enable it';
/** Online counts re-read for the admin view at most this often (each read hits the session store once per comet). */
const REFRESH_MS = 1_000;
const SCRAPE_TIMEOUT_MS = 1_500;

const METRIC_FIELDS: Record<string, keyof AdminCounters> = {
  goim_comet_pushes_out_total: 'delivered',
  goim_comet_kicked_total: 'kicked',
  goim_comet_slow_consumers_total: 'slowConsumers',
  goim_comet_replaced_total: 'replaced',
  goim_job_undeliverable_total: 'undeliverable',
};

const sha = (s: string) => createHash('sha256').update(s).digest();

function send(res: Response, status: number, code: number, message: string, data?: unknown): void {
  res.status(status).json(data === undefined ? { code, message } : { code, message, data });
}

function issuesText(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`).join('; ');
}

/** Sums the samples of the metrics in {@link METRIC_FIELDS} from Prometheus text exposition. */
export function parsePromCounters(text: string): Partial<AdminCounters> {
  const out: Partial<AdminCounters> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const field = METRIC_FIELDS[m[1]!];
    const v = Number(m[2]);
    if (field && Number.isFinite(v)) out[field] = (out[field] ?? 0) + v;
  }
  return out;
}

/** Keys whose values are secrets wherever they appear in a config (tokens, passwords, auth headers). */
const SECRET_KEY = /^(token|tokens|bearertokens|secret|password|auth|headers|cookie)$/i;
const REDACTED = '[redacted]';

/**
 * A copy of `value` with secret-named keys blanked: non-empty strings become "[redacted]",
 * arrays and maps keep their shape with every entry redacted, and sections (like `auth`,
 * whose `type` is not secret) are walked instead of hidden.
 */
export function redactSecrets(value: unknown, key = ''): unknown {
  const secret = SECRET_KEY.test(key);
  if (typeof value === 'string') return secret && value !== '' ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => (secret ? REDACTED : redactSecrets(v)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = secret && key.toLowerCase() === 'headers' ? REDACTED : redactSecrets(v, k);
    return out;
  }
  return value;
}

function toNode(i: Instance): AdminNode {
  const md = i.metadata ?? {};
  const int = (s: string | undefined) => (s && /^-?\d+$/.test(s) ? Number(s) : 0);
  return {
    hostname: i.hostname,
    region: i.region,
    zone: i.zone,
    env: i.env,
    addrs: [...i.addrs],
    clientAddrs: (md.addrs ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    weight: int(md.weight),
    // Same reading as goim's strconv.ParseBool: anything true-ish means offline.
    offline: ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(md.offline ?? ''),
    connCount: int(md.conn_count),
    ipCount: int(md.ip_count),
    updated: Math.floor(i.latest_timestamp / 1e6),
  };
}

/** The gRPC address of an instance (`grpc://h:p` → `h:p`), if it lists one. */
function grpcAddress(i: Instance): string | undefined {
  for (const a of i.addrs) {
    if (a.startsWith('grpc://')) return a.slice('grpc://'.length);
  }
  return undefined;
}

/** Mounts `/goim/admin/*` on `app` (before its 404 handler). */
export function mountAdminApi(app: express.Express, deps: AdminApiDeps): void {
  const { comets, online, sessions, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const doFetch = deps.fetch ?? fetch;
  const expected = deps.token ? sha(deps.token) : undefined;
  const router = express.Router();

  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!expected) return send(res, 404, AdminCode.DISABLED, DISABLED_MESSAGE);
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
    // Digests compared in constant time so the token cannot be guessed byte by byte.
    if (m && timingSafeEqual(sha(m[1]!), expected)) return next();
    res.setHeader('www-authenticate', 'Bearer realm="goim-admin"');
    send(res, 401, AdminCode.UNAUTHORIZED, 'missing or invalid admin token');
  });

  let lastRefresh = -Infinity;
  let refreshing: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    if (refreshing) return refreshing;
    if (now() - lastRefresh < REFRESH_MS) return Promise.resolve();
    lastRefresh = now();
    refreshing = (async () => {
      try {
        await deps.refresh?.();
      } catch (err) {
        logger.warn({ err }, 'admin refresh hook failed; showing the last data');
      }
      await online.refresh();
    })().finally(() => (refreshing = undefined));
    return refreshing;
  };
  const freshRooms = async () => {
    await refresh();
    return online.roomCount();
  };

  router.get('/nodes', async (_req, res) => {
    await refresh();
    send(res, 200, AdminCode.OK, '', { nodes: comets.current().map(toNode) });
  });

  router.get('/rooms/top', async (req, res) => {
    const raw = typeof req.query.limit === 'string' ? req.query.limit : '50';
    const limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return send(res, 400, AdminCode.REQUEST_ERR, `limit must be an integer in 1..1000, got ${JSON.stringify(raw)}`);
    }
    const rows = [...(await freshRooms())].map(([room, count]) => ({ room, count }));
    rows.sort((a, b) => b.count - a.count || (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
    send(res, 200, AdminCode.OK, '', { rooms: rows.slice(0, limit), total: rows.length });
  });

  router.get('/rooms/:room', async (req, res) => {
    const room = String(req.params.room ?? '');
    const count = (await freshRooms()).get(room) ?? 0;
    const servers: { server: string; count: number; updated: number }[] = [];
    await Promise.all(
      comets.current().map(async (i) => {
        const o = await sessions.serverOnline(i.hostname);
        const n = o?.roomCount[room];
        if (o && n) servers.push({ server: i.hostname, count: n, updated: o.updated * 1000 });
      }),
    );
    servers.sort((a, b) => b.count - a.count);
    send(res, 200, AdminCode.OK, '', { room, count, servers });
  });

  router.post('/push', express.json({ limit: '2mb' }), async (req, res) => {
    const parsed = PUSH_BODY.safeParse(req.body ?? {});
    if (!parsed.success) return send(res, 400, AdminCode.REQUEST_ERR, issuesText(parsed.error.issues));
    const p = parsed.data;
    const body = Buffer.from(p.body, 'utf8');
    const { pusher } = deps;
    let result: { messages: number };
    switch (p.target) {
      case 'keys':
        result = await pusher.pushKeys(p.operation, p.keys, body);
        break;
      case 'mids':
        result = await pusher.pushMids(p.operation, p.mids, body);
        break;
      case 'room': {
        const at = p.room.indexOf('://');
        result = await pusher.pushRoom(p.operation, p.room.slice(0, at), p.room.slice(at + 3), body);
        break;
      }
      case 'all':
        result = await pusher.pushAll(p.operation, p.speed, body);
        break;
    }
    send(res, 200, AdminCode.OK, '', result);
  });

  router.post('/kick', express.json({ limit: '1mb' }), async (req, res) => {
    const parsed = KICK_BODY.safeParse(req.body ?? {});
    if (!parsed.success) {
      return send(res, 400, AdminCode.REQUEST_ERR, issuesText(parsed.error.issues));
    }
    const { keys, mids, reason } = parsed.data;
    // Resolve where each connection lives through the session store, as pushes do.
    const byServer = new Map<string, Set<string>>();
    const add = (server: string, key: string) => {
      let s = byServer.get(server);
      if (!s) byServer.set(server, (s = new Set()));
      s.add(key);
    };
    const notFound: string[] = [];
    const servers = await sessions.serversByKeys(keys);
    keys.forEach((k, n) => (servers[n] ? add(servers[n], k) : notFound.push(k)));
    const midKeys = await sessions.keysByMids(mids);
    for (const [key, server] of midKeys) add(server, key);

    const instances = new Map(comets.current().map((i) => [i.hostname, i]));
    const results = await Promise.all(
      [...byServer].map(async ([server, set]) => {
        const req = { keys: [...set], mids: [], reason };
        const local = deps.cometService?.(server);
        try {
          if (local) return { server, keys: req.keys.length, kicked: (await local.kick(req)).kicked };
          const instance = instances.get(server);
          const addr = instance && grpcAddress(instance);
          if (!addr) return { server, keys: req.keys.length, kicked: 0, error: 'comet not in the instance list (no grpc:// address)' };
          const client = createCometClient(addr);
          try {
            return { server, keys: req.keys.length, kicked: (await client.kick(req)).kicked };
          } finally {
            client.close();
          }
        } catch (err) {
          logger.warn({ err, server }, 'admin kick failed on a comet');
          return { server, keys: req.keys.length, kicked: 0, error: (err as Error).message };
        }
      }),
    );
    const kicked = results.reduce((n, r) => n + r.kicked, 0);
    logger.info({ keys: keys.length, mids: mids.length, kicked, reason }, 'admin kick');
    send(res, 200, AdminCode.OK, '', { kicked, servers: results, notFound });
  });

  router.get('/metrics', async (_req, res) => {
    const pushes: Record<string, number> = { push: 0, room: 0, broadcast: 0 };
    for (const v of (await metrics.pushMessages.get()).values) {
      const type = String(v.labels.type ?? 'unknown');
      pushes[type] = (pushes[type] ?? 0) + v.value;
    }
    const counters: AdminCounters = { delivered: 0, kicked: 0, slowConsumers: 0, replaced: 0, undeliverable: 0 };
    const addAll = (p: Partial<AdminCounters>) => {
      for (const [k, v] of Object.entries(p)) counters[k as keyof AdminCounters] += v ?? 0;
    };
    if (deps.counters) addAll(await deps.counters());
    const scraped = await Promise.all(
      deps.metricsUrls.map(async (url) => {
        try {
          const r = await doFetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
          if (!r.ok) return { url, ok: false, error: `HTTP ${r.status}` };
          addAll(parsePromCounters(await r.text()));
          return { url, ok: true };
        } catch (err) {
          return { url, ok: false, error: (err as Error).message };
        }
      }),
    );
    const accepted = Object.values(pushes).reduce((a, b) => a + b, 0);
    send(res, 200, AdminCode.OK, '', { at: now(), pushes: { ...pushes, total: accepted }, counters, scraped });
  });

  router.get('/config', (_req, res) => {
    send(res, 200, AdminCode.OK, '', redactSecrets(deps.config ?? {}));
  });

  router.use((_req, res) => send(res, 404, AdminCode.REQUEST_ERR, 'unknown admin route'));
  app.use('/goim/admin', router);
}
