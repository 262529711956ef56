import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoimClient, webSocketTransport, type WebSocketConstructor } from '@goim/protocol';
import { waitFor } from '@goim/testkit';
import { launchChromium } from '@goim/testkit/browser';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { buildDemo } from './build-demo.js';
import { resolveStandaloneConfig } from './config.js';
import { createStandalone, type Standalone } from './standalone.js';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const decoder = new TextDecoder();

describe('demo page in a real browser (Debian chromium via playwright-core)', () => {
  let demoDir: string;
  let app: Standalone;
  let browser: Browser;
  let http: string;
  let wsPort: number;

  beforeAll(async () => {
    demoDir = mkdtempSync(join(tmpdir(), 'goim-demo-'));
    await buildDemo(join(__dirname, 'demo'), demoDir);
    app = createStandalone(resolveStandaloneConfig({ ports: { tcp: 0, ws: 0, http: 0, cometGrpc: 0, logicGrpc: 0, cometAdmin: 0, jobAdmin: 0 } }), { demoDir });
    const a = await app.listen();
    http = `http://127.0.0.1:${a.http.port}`;
    wsPort = a.ws.port;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close(100);
    if (demoDir) rmSync(demoDir, { recursive: true, force: true });
  });

  it('authenticates, shows the online count, receives an HTTP push and sends one from the form', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${http}/demo?mid=4242`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'authenticated', undefined, { timeout: 15_000 });
    await page.waitForFunction(() => document.getElementById('online')?.textContent === '1', undefined, { timeout: 15_000 });
    expect(await page.textContent('#mid')).toBe('4242');
    expect(await page.textContent('#room')).toBe('live://1000');

    // A second, non-browser member of the room sees what the form sends.
    const peer = new GoimClient({
      url: `ws://127.0.0.1:${wsPort}/sub`,
      transport: webSocketTransport(WebSocket as unknown as WebSocketConstructor),
      token: { mid: 1, room_id: 'live://1000' },
    });
    const peerGot: string[] = [];
    let authed = false;
    peer.on('auth', () => (authed = true));
    peer.on('message', (m) => peerGot.push(decoder.decode(m.body)));
    peer.connect();
    try {
      await waitFor(() => authed, 'peer authenticated');

      const res = await fetch(`${http}/goim/push/room?operation=1000&type=live&room=1000`, { method: 'POST', body: 'pushed by curl' });
      expect(((await res.json()) as { code: number }).code).toBe(0);
      await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('op 1000: pushed by curl'), undefined, { timeout: 10_000 });

      await page.fill('#body', 'sent from the form');
      await page.click('#send');
      await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('op 1000: sent from the form'), undefined, { timeout: 10_000 });
      expect(await page.textContent('#pushResult')).toContain('"code":0');
      await waitFor(() => peerGot.includes('sent from the form'), 'peer received the form push');
      expect(await page.textContent('#count')).toBe('2');

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
      expect(existsSync(join(ARTIFACTS, 'demo.png'))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      peer.close();
      await page.close();
    }
  }, 60_000);
});
