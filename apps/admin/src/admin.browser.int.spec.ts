/**
 * The dashboard in a real browser (Debian chromium through playwright-core) against
 * apps/standalone with real WebSocket test clients: login, nodes and rooms with real counts,
 * push form, live tail, kick with reason (and the session mapping removed), wrong token.
 * Screenshots go to apps/admin/test-artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DisconnectCode, GoimClient, webSocketTransport, type DisconnectNotice, type WebSocketConstructor } from '@goim/protocol';
import { MemorySessionStore } from '@goim/session-store';
import { createStandalone, resolveStandaloneConfig, type Standalone } from '@goim/standalone-app';
import { waitFor } from '@goim/testkit';
import { launchChromium } from '@goim/testkit/browser';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { buildAdminUi } from './build-ui.js';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const TOKEN = 'browser-spec-admin-token';
const decoder = new TextDecoder();
/** Generous waits: the full suite shares 2 cores with chromium. */
const WAIT_MS = 20_000;
const TEST_MS = 90_000;

interface TestClient {
  client: GoimClient;
  mid: number;
  key?: string;
  messages: string[];
  notices: DisconnectNotice[];
  closes: number;
}

describe('admin dashboard in a real browser against standalone', () => {
  let uiDir: string;
  let app: Standalone;
  let sessions: MemorySessionStore;
  let browser: Browser;
  let http: string;
  let wsPort: number;
  let page: Page;
  const external: string[] = [];
  const pageErrors: string[] = [];
  const clients: TestClient[] = [];

  async function connect(mid: number, room: string): Promise<TestClient> {
    const t: TestClient = {
      client: new GoimClient({
        url: `ws://127.0.0.1:${wsPort}/sub`,
        transport: webSocketTransport(WebSocket as unknown as WebSocketConstructor),
        token: { mid, room_id: room, platform: 'test', accepts: [1000] },
        reconnect: { baseDelayMs: 50, maxDelayMs: 200 },
      }),
      mid,
      messages: [],
      notices: [],
      closes: 0,
    };
    t.client.on('auth', (reply) => (t.key = reply?.key));
    t.client.on('message', (m) => t.messages.push(`${m.op}:${decoder.decode(m.body)}`));
    t.client.on('disconnect', (n) => t.notices.push(n));
    t.client.on('close', () => t.closes++);
    t.client.connect();
    clients.push(t);
    await waitFor(() => t.key, `client mid ${mid} authenticated`, WAIT_MS);
    return t;
  }

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    uiDir = mkdtempSync(join(tmpdir(), 'goim-admin-ui-'));
    await buildAdminUi(join(__dirname, 'ui'), uiDir);
    sessions = new MemorySessionStore();
    app = createStandalone(
      resolveStandaloneConfig({
        ports: { tcp: 0, ws: 0, http: 0, cometGrpc: 0, logicGrpc: 0, cometAdmin: 0, jobAdmin: 0 },
        demo: false,
        logic: { admin: { token: TOKEN } },
      }),
      { sessions, adminDir: uiDir },
    );
    const a = await app.listen();
    http = `http://127.0.0.1:${a.http.port}`;
    wsPort = a.ws.port;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    // The page must work offline: anything not on this loopback server is refused and recorded.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${http}/`)) return route.continue();
      external.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.client.close();
    await browser?.close();
    await app?.close(100);
    await sessions?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  it('refuses a wrong token and shows no dashboard', async () => {
    await page.goto(`${http}/admin/`);
    const source = await (await fetch(`${http}/admin/`)).text();
    expect(source).not.toContain(TOKEN);
    await page.fill('#token', 'not-the-token');
    await page.click('#login-button');
    await page.waitForFunction(() => document.getElementById('login-error')?.textContent?.includes('refused'), undefined, { timeout: WAIT_MS });
    expect(await page.textContent('#login-error')).toBe('refused: invalid admin token');
    expect(await page.isHidden('#dashboard')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('goim-admin-token'))).toBeNull();
    await shot('01-wrong-token');
  }, TEST_MS);

  it('logs in and shows nodes and top rooms with real counts of the connected clients', async () => {
    await connect(101, 'live://1000');
    await connect(102, 'live://1000');
    await connect(103, 'live://2000');
    // No manual report round: standalone's admin refresh hook makes comet report on read.
    await page.fill('#token', TOKEN);
    await page.click('#login-button');
    await page.waitForSelector('#dashboard:not([hidden])', { timeout: WAIT_MS });
    expect(await page.evaluate(() => sessionStorage.getItem('goim-admin-token'))).toBe(TOKEN);
    // The config panel shows logic's settings with the admin token redacted.
    await page.waitForFunction(() => document.getElementById('config')?.textContent?.includes('"admin"'), undefined, { timeout: WAIT_MS });
    const config = JSON.parse((await page.textContent('#config'))!) as { admin: { token: string } };
    expect(config.admin.token).toBe('[redacted]');
    expect(await page.content()).not.toContain(TOKEN);

    const node = page.locator('#nodes tr[data-host="standalone"]');
    await waitFor(async () => (await node.locator('td').nth(4).textContent()) === '3', 'node shows 3 connections', WAIT_MS);
    expect(await node.locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['standalone', '127.0.0.1', '3', '1', '10', 'no']),
    );
    await waitFor(
      async () => (await page.locator('#rooms tr[data-room="live://1000"] td').nth(1).textContent()) === '2',
      'live://1000 shows 2 online',
      WAIT_MS,
    );
    expect(await page.locator('#rooms tr[data-room="live://2000"] td').nth(1).textContent()).toBe('1');
    expect(await page.locator('#rooms tr').first().getAttribute('data-room')).toBe('live://1000');

    // The room view shows the per-comet breakdown.
    await page.click('#rooms tr[data-room="live://1000"] a');
    await page.waitForFunction(() => document.querySelector('#room-view .room-count')?.textContent === '2 online', undefined, { timeout: WAIT_MS });
    expect(await page.textContent('#room-view')).toContain('standalone');
    await shot('02-dashboard');
  }, TEST_MS);

  it('pushes from the form to a room, a mid and a key, reaching the test clients', async () => {
    const [c101, , c103] = clients as [TestClient, TestClient, TestClient];
    await page.selectOption('#push-target', 'room');
    await page.fill('#push-operation', '1000');
    await page.fill('#push-to', 'live://2000');
    await page.fill('#push-body', 'hello room 2000 from admin');
    await page.click('#push-send');
    await waitFor(() => c103.messages.includes('1000:hello room 2000 from admin'), 'room push reaches mid 103', WAIT_MS);
    expect(await page.textContent('#push-result')).toContain('accepted');

    await page.selectOption('#push-target', 'mids');
    await page.fill('#push-to', '101');
    await page.fill('#push-body', 'hello mid 101');
    await page.click('#push-send');
    await waitFor(() => c101.messages.includes('1000:hello mid 101'), 'mid push reaches mid 101', WAIT_MS);

    await page.selectOption('#push-target', 'keys');
    await page.fill('#push-to', c103.key!);
    await page.fill('#push-body', 'hello key');
    await page.click('#push-send');
    await waitFor(() => c103.messages.includes('1000:hello key'), 'key push reaches mid 103', WAIT_MS);
    // Nobody else got the targeted pushes.
    expect(c101.messages).not.toContain('1000:hello key');
    expect(c103.messages).not.toContain('1000:hello mid 101');
    await shot('03-push');
  }, TEST_MS);

  it('tails a room live: a pushed message appears in the page', async () => {
    await page.fill('#tail-room', 'live://1000');
    await page.click('#tail-start');
    await page.waitForFunction(() => document.getElementById('tail-state')?.textContent === 'tailing live://1000', undefined, { timeout: WAIT_MS });
    const res = await fetch(`${http}/goim/push/room?operation=1000&type=live&room=1000`, { method: 'POST', body: 'seen in the tail' });
    expect(res.status).toBe(200);
    await page.waitForFunction(() => document.getElementById('tail-log')?.textContent?.includes('op 1000  seen in the tail'), undefined, { timeout: WAIT_MS });
    // The dashboard's own tail connection shows up in the live room count.
    await page.waitForFunction(
      () => document.querySelector('#rooms tr[data-room="live://1000"] td:nth-child(2)')?.textContent === '3',
      undefined,
      { timeout: WAIT_MS },
    );
    await shot('04-live-tail');
  }, TEST_MS);

  it('kicks a mid with a reason: the client gets op 6 KICKED with it and its session mapping is removed', async () => {
    const c102 = clients[1]!;
    expect((await sessions.keysByMids([102])).size).toBe(1);
    await page.selectOption('#kick-by', 'mids');
    await page.fill('#kick-targets', '102');
    await page.fill('#kick-reason', 'kicked by the browser spec');
    await page.click('#kick-send');
    await waitFor(() => c102.notices.length > 0, 'kick notice at mid 102', WAIT_MS);
    expect(c102.notices).toEqual([{ code: DisconnectCode.KICKED, reason: 'kicked by the browser spec', reconnect: false }]);
    await page.waitForFunction(() => document.getElementById('kick-result')?.textContent?.startsWith('kicked 1 connection'), undefined, { timeout: WAIT_MS });
    // Comet's close calls logic's Disconnect, which deletes the mapping (compare-and-delete).
    await waitFor(async () => (await sessions.keysByMids([102])).size === 0, 'mid_102 mapping removed', WAIT_MS);
    expect(await sessions.serversByKeys([c102.key!])).toEqual([undefined]);
    await page.waitForFunction(
      () => document.querySelector('#rooms tr[data-room="live://1000"] td:nth-child(2)')?.textContent === '2',
      undefined,
      { timeout: WAIT_MS },
    );
    // The others stay connected.
    expect(clients[0]!.notices).toEqual([]);
    expect(clients[2]!.notices).toEqual([]);

    // The kick shows up in the kicked chart's total, fed from comet's counters.
    await page.waitForFunction(
      () => document.querySelector('[data-series="kicked"] .total')?.textContent === 'total 1',
      undefined,
      { timeout: WAIT_MS },
    );
    const accepted = await page.textContent('[data-series="accepted"] .total');
    expect(Number(accepted?.replace('total ', ''))).toBeGreaterThanOrEqual(4);
    await shot('05-kick');
  }, TEST_MS);

  it('loaded nothing from outside the server and raised no page errors', () => {
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
