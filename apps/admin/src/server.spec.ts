import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogic, resolveLogicConfig, type Logic } from '@goim/logic-app';
import { MemoryPushQueue } from '@goim/queue';
import { MemorySessionStore } from '@goim/session-store';
import { loadAdminAssets, renderAdminPage, type AdminAssets } from './assets.js';
import { buildAdminUi } from './build-ui.js';
import { resolveAdminServerConfig } from './config.js';
import { createAdminServer, type AdminServer } from './server.js';

const TOKEN = 'server-spec-token';

describe('admin server', () => {
  let dir: string;
  let assets: AdminAssets;
  let logic: Logic;
  let sessions: MemorySessionStore;
  let queue: MemoryPushQueue;
  let logicUrl: string;
  const servers: AdminServer[] = [];

  async function start(over: Parameters<typeof resolveAdminServerConfig>[0] = {}) {
    const s = createAdminServer(resolveAdminServerConfig({ port: 0, logicUrl, ...over }), assets);
    servers.push(s);
    const a = await s.listen();
    return `http://127.0.0.1:${a.port}`;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'goim-admin-ui-'));
    await buildAdminUi(join(__dirname, 'ui'), dir);
    assets = loadAdminAssets(dir);
    sessions = new MemorySessionStore();
    queue = new MemoryPushQueue();
    logic = createLogic(
      resolveLogicConfig({ object: { httpServer: { addr: '127.0.0.1:0' }, rpcServer: { addr: '127.0.0.1:0' }, admin: { token: TOKEN } }, hostname: 'l' }),
      { sessions, producer: queue.producer() },
    );
    const a = await logic.listen();
    logicUrl = `http://127.0.0.1:${a.http.port}`;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await logic?.close();
    await queue?.close();
    await sessions?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page with a same-origin CSP, the WebSocket URL and no token', async () => {
    const base = await start({ wsUrl: 'ws://comet.example:3102/sub' });
    const res = await fetch(`${base}/`);
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).toContain('<html lang="en" data-ws-url="ws://comet.example:3102/sub">');
    expect(html).toContain('<script src="admin.js"></script>');
    expect(html).not.toContain(TOKEN);
    // Nothing is fetched from another origin: no absolute http(s) URLs in the page or bundle.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const js = await fetch(`${base}/admin.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(1000);
  });

  it('forwards /goim/admin/* with the bearer token and passes refusals through', async () => {
    const base = await start();
    const ok = await fetch(`${base}/goim/admin/rooms/top?limit=3`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ code: 0, message: '', data: { rooms: [], total: 0 } });
    const bad = await fetch(`${base}/goim/admin/nodes`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('Bearer');
    const kick = await fetch(`${base}/goim/admin/kick`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ keys: ['nobody'], reason: 'x' }),
    });
    expect(await kick.json()).toEqual({ code: 0, message: '', data: { kicked: 0, servers: [], notFound: ['nobody'] } });
  });

  it('does not expose the rest of logic (push API, metrics)', async () => {
    const base = await start();
    expect((await fetch(`${base}/goim/push/all?operation=1000`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });

  it('answers 502 with the logic URL when logic is unreachable', async () => {
    const base = await start({ logicUrl: 'http://127.0.0.1:1' });
    const res = await fetch(`${base}/goim/admin/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { message: string }).message).toContain('logic unreachable at http://127.0.0.1:1');
  });
});

describe('admin server config and page rendering', () => {
  it('rejects unknown keys and a non-WebSocket wsUrl', () => {
    expect(() => resolveAdminServerConfig({ wsUrl: 'http://x' })).toThrow('wsUrl must start with ws://');
    expect(() => resolveAdminServerConfig({ token: 'x' } as never)).toThrow();
    expect(resolveAdminServerConfig({}, { GOIM_ADMIN_PORT: '4000', GOIM_ADMIN_LOGIC_URL: 'http://l:1' })).toMatchObject({ port: 4000, logicUrl: 'http://l:1' });
  });

  it('escapes the WebSocket URL into the attribute', () => {
    expect(renderAdminPage('<html lang="en"><body>', 'ws://a/"><script>')).toBe('<html lang="en" data-ws-url="ws://a/&quot;&gt;&lt;script&gt;"><body>');
    expect(renderAdminPage('<html lang="en">', '')).toBe('<html lang="en">');
  });
});
