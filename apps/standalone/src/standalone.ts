/**
 * `createStandalone(config)`: comet + logic + job in one process, linked in-process
 * (comet calls `logic.service`, job calls `comet.service`) on embedded backends — the
 * memory session store and the memory queue — unless others are passed in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createComet, resolveCometConfig, type Comet } from '@goim/comet-app';
import type { Logger } from '@goim/app-kit';
import type { Instance } from '@goim/discovery-client';
import { createJob, MemoryCometDirectory, resolveJobConfig, type Job } from '@goim/job-app';
import { createLogic, resolveLogicConfig, StaticCometSource, type Logic } from '@goim/logic-app';
import { MemoryPushQueue, type PushQueueConsumer, type PushQueueProducer } from '@goim/queue';
import { MemorySessionStore, type SessionStore } from '@goim/session-store';
import type { Express, Request, Response } from 'express';
import type { StandaloneConfig } from './config.js';

/** pino-compatible logger (a pino instance fits): the shape every goim-ts app takes. */
export type StandaloneLogger = Logger;

export interface StandaloneDeps {
  logger?: StandaloneLogger;
  /** Session store; default MemorySessionStore. Closed by the caller if passed in. */
  sessions?: SessionStore;
  /** Queue producer + consumer; default one MemoryPushQueue. Closed by the caller if passed in. */
  queue?: { producer: PushQueueProducer; consumer: PushQueueConsumer };
  /** Directory holding the built demo assets (index.html, goim-client.js). */
  demoDir?: string;
  /**
   * Directory holding the built admin dashboard (index.html, admin.js from apps/admin's
   * build-ui); served at `/admin/`. Its API (`/goim/admin/*`) needs `logic.admin.token`.
   */
  adminDir?: string;
}

export interface StandaloneAddresses {
  tcp: { host: string; port: number };
  ws: { host: string; port: number };
  http: { host: string; port: number };
  cometGrpc: { host: string; port: number };
  logicGrpc: { host: string; port: number };
}

export interface Standalone {
  readonly comet: Comet;
  readonly logic: Logic;
  readonly job: Job;
  listen(): Promise<StandaloneAddresses>;
  /** Drains comet (op 6 reconnect), stops job and logic, closes owned backends; safe twice. */
  close(drainMs?: number): Promise<void>;
}

/** How often the comet's connection counts are copied into logic's instance list. */
const INSTANCE_REFRESH_MS = 10_000;

export function createStandalone(config: StandaloneConfig, deps: StandaloneDeps = {}): Standalone {
  const log = deps.logger;
  const b = config.bind;
  const ownedSessions = deps.sessions ? undefined : new MemorySessionStore();
  const sessions = deps.sessions ?? ownedSessions!;
  const ownedQueue = deps.queue ? undefined : new MemoryPushQueue();
  const producer = deps.queue?.producer ?? ownedQueue!.producer();
  const consumer = deps.queue?.consumer ?? ownedQueue!.consumer();

  const logicConfig = resolveLogicConfig({
    object: deepMerge(
      {
        env: { deployEnv: 'dev' },
        httpServer: { addr: `${b}:${config.ports.http}` },
        rpcServer: { addr: `${b}:${config.ports.logicGrpc}` },
        node: { tcpPort: config.ports.tcp, wsPort: config.ports.ws, defaultDomain: b },
      },
      config.logic,
    ),
    hostname: config.host,
  });
  const cometSource = new StaticCometSource([]);
  const demo = config.demo ? loadDemo(deps.demoDir) : undefined;
  const adminUi = loadAdminUi(deps.adminDir);
  const logic = createLogic(logicConfig, {
    sessions,
    producer,
    comets: cometSource,
    ...(log ? { logger: log.child({ role: 'logic' }) } : {}),
    routes: (app: Express) => {
      if (demo) mountDemo(app, demo, () => wsPort);
      if (adminUi) mountAdminUi(app, adminUi, () => wsPort);
    },
    // The admin API reaches this process's comet directly (kick, counters, live node counts).
    admin: {
      cometService: (hostname) => (hostname === comet.host ? comet.service : undefined),
      counters: () => {
        const c = comet.buckets.counters;
        return { delivered: c.delivered, kicked: c.kicked, slowConsumers: c.overflowed, replaced: c.replaced };
      },
      // Live counts for the dashboard: this comet's instance entry and a room report now,
      // rather than on the 10-s cycles (logic throttles this to once a second).
      refresh: async () => {
        if (grpcPort === undefined) return;
        cometSource.set([instance(grpcPort)]);
        await comet.reportOnline();
      },
    },
  });

  const cometConfig = resolveCometConfig({
    object: deepMerge(
      {
        env: { host: config.host, deployEnv: 'dev', addrs: [b] },
        tcp: { bind: [`${b}:${config.ports.tcp}`] },
        websocket: { bind: [`${b}:${config.ports.ws}`] },
        rpcServer: { addr: `${b}:${config.ports.cometGrpc}` },
        admin: { addr: `${b}:${config.ports.cometAdmin}` },
      },
      config.comet,
    ),
    hostname: config.host,
  });
  const comet = createComet(cometConfig, { logic: logic.service, ...(log ? { logger: log.child({ role: 'comet' }) } : {}) });

  const jobConfig = resolveJobConfig({ object: deepMerge({ queue: { type: 'memory' } }, config.job) });
  const directory = new MemoryCometDirectory([{ hostname: comet.host, zone: cometConfig.env.zone, service: comet.service }]);
  const job = createJob(jobConfig, { consumer, comets: directory, ...(log ? { logger: log.child({ role: 'job' }) } : {}) });

  let wsPort = config.ports.ws;
  let grpcPort: number | undefined;
  let refresh: ReturnType<typeof setInterval> | undefined;
  let closing: Promise<void> | undefined;

  function instance(grpcPort: number): Instance {
    const stats = comet.buckets.stats();
    return {
      region: cometConfig.env.region,
      zone: cometConfig.env.zone,
      env: cometConfig.env.deployEnv,
      appid: 'goim.comet',
      hostname: comet.host,
      addrs: [`grpc://${b}:${grpcPort}`],
      version: '',
      latest_timestamp: Date.now() * 1e6,
      metadata: {
        addrs: b,
        weight: String(cometConfig.env.weight),
        offline: 'false',
        conn_count: String(stats.channels),
        ip_count: String(stats.ips),
      },
    };
  }

  return {
    comet,
    logic,
    job,
    async listen() {
      const l = await logic.listen();
      const c = await comet.listen();
      await job.start();
      const tcp = c.tcp[0]!;
      const ws = c.ws[0]!;
      wsPort = ws.port;
      const grpc = c.grpc!;
      const port = grpc.port;
      grpcPort = port;
      cometSource.set([instance(port)]);
      refresh = setInterval(() => cometSource.set([instance(port)]), INSTANCE_REFRESH_MS);
      refresh.unref();
      return {
        tcp: { host: tcp.host, port: tcp.port },
        ws: { host: ws.host, port: ws.port },
        http: l.http,
        cometGrpc: { host: grpc.host, port: grpc.port },
        logicGrpc: l.grpc,
      };
    },
    close(drainMs?: number) {
      closing ??= (async () => {
        if (refresh) clearInterval(refresh);
        await comet.close(drainMs);
        await job.close();
        await logic.close();
        await directory.close();
        await ownedQueue?.close();
        await ownedSessions?.close();
      })();
      return closing;
    },
  };
}

interface DemoAssets {
  html: string;
  clientJs: string;
}

function loadDemo(dir: string | undefined): DemoAssets | undefined {
  if (!dir) return undefined;
  try {
    return { html: readFileSync(join(dir, 'index.html'), 'utf8'), clientJs: readFileSync(join(dir, 'goim-client.js'), 'utf8') };
  } catch {
    return undefined;
  }
}

function mountDemo(app: Express, demo: DemoAssets, wsPort: () => number): void {
  app.get('/demo', (_req: Request, res: Response) => {
    res.type('html').send(demo.html.replace('<html lang="en">', `<html lang="en" data-ws-port="${wsPort()}">`));
  });
  app.get('/demo/', (_req: Request, res: Response) => res.redirect(301, '/demo'));
  app.get('/demo/goim-client.js', (_req: Request, res: Response) => {
    res.type('application/javascript').send(demo.clientJs);
  });
  app.get('/', (_req: Request, res: Response) => res.redirect(302, '/demo'));
}

interface AdminUi {
  html: string;
  js: string;
}

function loadAdminUi(dir: string | undefined): AdminUi | undefined {
  if (!dir) return undefined;
  try {
    return { html: readFileSync(join(dir, 'index.html'), 'utf8'), js: readFileSync(join(dir, 'admin.js'), 'utf8') };
  } catch {
    return undefined;
  }
}

/** Same headers as apps/admin's own server: scripts only from this origin, WebSockets allowed. */
const ADMIN_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function mountAdminUi(app: Express, ui: AdminUi, wsPort: () => number): void {
  app.get('/admin', (req: Request, res: Response) => {
    // Express matches '/admin' and '/admin/' alike; the page needs the slash so `admin.js` resolves under it.
    if (!req.path.endsWith('/')) return res.redirect(301, '/admin/');
    // The live tail's WebSocket URL: this host, comet's WS port (an address, not a secret).
    const host = /^[\w.-]+$/.test(req.hostname) ? req.hostname : '127.0.0.1';
    res.setHeader('content-security-policy', ADMIN_CSP);
    res.setHeader('cache-control', 'no-store');
    res.type('html').send(ui.html.replace('<html lang="en">', `<html lang="en" data-ws-url="ws://${host}:${wsPort()}/sub">`));
  });
  app.get('/admin/admin.js', (_req: Request, res: Response) => {
    res.type('application/javascript').send(ui.js);
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges `over` into `base` recursively (arrays and scalars replace). */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out;
}
