/**
 * `createAdminServer(config, assets)`: serves the dashboard at `/` and forwards
 * `/goim/admin/*` to logic (method, body, `Authorization` and `Content-Type` only), so the
 * page talks to one origin. Nothing else of logic's API is reachable through it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { ADMIN_CSP, renderAdminPage, type AdminAssets } from './assets.js';
import type { AdminServerConfig } from './config.js';

export interface AdminServer {
  /** The express app (not listening until {@link listen}). */
  readonly app: express.Express;
  listen(): Promise<{ host: string; port: number }>;
  /** Stops listening; safe to call twice. */
  close(): Promise<void>;
}

/** Mounts the page (`index.html`, `admin.js`) on `app` at `prefix` (`''` or e.g. `/admin`). */
export function mountAdminPage(app: express.Express, assets: AdminAssets, prefix: string, wsUrl: () => string): void {
  const page = (_req: Request, res: Response) => {
    res.setHeader('content-security-policy', ADMIN_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-store');
    res.type('html').send(renderAdminPage(assets.html, wsUrl()));
  };
  // Express matches '/p' and '/p/' alike; the page needs the slash so `admin.js` resolves under it.
  app.get(`${prefix}/`, (req, res) => (prefix && !req.path.endsWith('/') ? res.redirect(301, `${prefix}/`) : page(req, res)));
  app.get(`${prefix}/index.html`, page);
  app.get(`${prefix}/admin.js`, (_req, res) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.type('application/javascript').send(assets.js);
  });
}

export function createAdminServer(config: AdminServerConfig, assets: AdminAssets): AdminServer {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  mountAdminPage(app, assets, '', () => config.wsUrl);

  const logic = config.logicUrl.replace(/\/+$/, '');
  const raw = express.raw({ type: () => true, limit: config.maxBodyBytes });
  app.all('/goim/admin/{*rest}', raw, async (req, res) => {
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type'] as const) {
      const v = req.header(h);
      if (v) headers[h] = v;
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && Buffer.isBuffer(req.body) && req.body.length > 0;
    try {
      const upstream = await fetch(logic + req.originalUrl, {
        method: req.method,
        headers,
        ...(hasBody ? { body: new Uint8Array(req.body as Buffer) } : {}),
        signal: AbortSignal.timeout(config.upstreamTimeoutMs),
      });
      res.status(upstream.status);
      const type = upstream.headers.get('content-type');
      if (type) res.type(type);
      const auth = upstream.headers.get('www-authenticate');
      if (auth) res.setHeader('www-authenticate', auth);
      res.send(Buffer.from(await upstream.arrayBuffer()));
    } catch (err) {
      res.status(502).json({ code: -500, message: `logic unreachable at ${logic}: ${(err as Error).message}` });
    }
  });
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found');
  });

  let server: Server | undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    async listen() {
      const s = createServer(app);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(config.port, config.bind, () => {
          s.off('error', reject);
          resolve();
        });
      });
      server = s;
      const a = s.address() as AddressInfo;
      return { host: a.address, port: a.port };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
