import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoimClient, webSocketTransport, type ClientMessage, type DisconnectNotice, type WebSocketConstructor } from '@goim/protocol';
import { tcpTransport } from '@goim/protocol/node';
import { waitFor } from '@goim/testkit';
import WebSocket from 'ws';
import { buildDemo } from './build-demo.js';
import { resolveStandaloneConfig } from './config.js';
import { createStandalone, type Standalone, type StandaloneAddresses } from './standalone.js';

const decoder = new TextDecoder();
const ZERO_PORTS = { tcp: 0, ws: 0, http: 0, cometGrpc: 0, logicGrpc: 0, cometAdmin: 0, jobAdmin: 0 };

interface Received {
  messages: ClientMessage[];
  notices: DisconnectNotice[];
  auths: number;
  online: number[];
}

function track(client: GoimClient): Received {
  const r: Received = { messages: [], notices: [], auths: 0, online: [] };
  client.on('message', (m) => r.messages.push({ ...m, body: m.body.slice() }));
  client.on('disconnect', (n) => r.notices.push(n));
  client.on('auth', () => r.auths++);
  client.on('online', (n) => r.online.push(n));
  return r;
}

const texts = (r: Received) => r.messages.map((m) => `${m.op}:${decoder.decode(m.body)}`);

describe('standalone (comet + logic + job in one process)', () => {
  let demoDir: string;
  let app: Standalone;
  let addr: StandaloneAddresses;
  let http: string;
  const clients: GoimClient[] = [];

  function wsClient(token: object, extra: Partial<ConstructorParameters<typeof GoimClient>[0]> = {}) {
    const c = new GoimClient({
      url: `ws://127.0.0.1:${addr.ws.port}/sub`,
      token,
      reconnect: { baseDelayMs: 50, maxDelayMs: 200 },
      ...extra,
    });
    clients.push(c);
    return c;
  }

  async function push(path: string, body: string) {
    const res = await fetch(`${http}${path}`, { method: 'POST', body });
    const json = (await res.json()) as { code: number; message: string };
    expect({ status: res.status, code: json.code, message: json.message }).toEqual({ status: 200, code: 0, message: '' });
  }

  beforeAll(async () => {
    demoDir = mkdtempSync(join(tmpdir(), 'goim-demo-'));
    await buildDemo(join(__dirname, 'demo'), demoDir);
    // Node 20 has no global WebSocket: GoimClient's default transport finds `ws` here.
    (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
    app = createStandalone(resolveStandaloneConfig({ ports: ZERO_PORTS }), { demoDir });
    addr = await app.listen();
    http = `http://127.0.0.1:${addr.http.port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await app?.close(100);
    rmSync(demoDir, { recursive: true, force: true });
  });

  it('delivers a room push to a WebSocket client and a TCP client in live://1000', async () => {
    const ws = wsClient({ mid: 1, room_id: 'live://1000', platform: 'web', accepts: [1000] });
    const tcp = new GoimClient({ url: `tcp://127.0.0.1:${addr.tcp.port}`, transport: tcpTransport(), token: { mid: 2, room_id: 'live://1000' } });
    clients.push(tcp);
    const rw = track(ws);
    const rt = track(tcp);
    ws.connect();
    tcp.connect();
    await waitFor(() => rw.auths === 1 && rt.auths === 1, 'both clients authenticated');
    expect(ws.session).toMatchObject({ mid: 1, room_id: 'live://1000' });
    expect(tcp.session?.key).toMatch(/^[0-9a-f-]{36}$/);

    await push('/goim/push/room?operation=1000&type=live&room=1000', 'hello');
    await waitFor(() => rw.messages.length === 1 && rt.messages.length === 1, 'room push on both transports', 5_000);
    expect(texts(rw)).toEqual(['1000:hello']);
    expect(texts(rt)).toEqual(['1000:hello']);
  });

  it('pushes by key, by mid and to all, honouring accepts', async () => {
    const a = wsClient({ mid: 77, key: 'key-a', room_id: '', accepts: [1001] });
    const b = wsClient({ mid: 78, key: 'key-b', room_id: '', accepts: [] });
    const ra = track(a);
    const rb = track(b);
    a.connect();
    b.connect();
    await waitFor(() => ra.auths === 1 && rb.auths === 1, 'authenticated');

    await push('/goim/push/keys?operation=1001&keys=key-a&keys=key-b', 'by-key');
    await push('/goim/push/mids?operation=1001&mids=77&mids=78', 'by-mid');
    await push('/goim/push/all?operation=1001', 'to-all');
    await waitFor(() => ra.messages.length === 3, 'three pushes for the accepting client');
    expect(texts(ra)).toEqual(['1001:by-key', '1001:by-mid', '1001:to-all']);
    // b accepts nothing: goim delivers key pushes and broadcasts only for accepted ops (§2.7).
    await push('/goim/push/keys?operation=1001&keys=key-a', 'fence');
    await waitFor(() => ra.messages.length === 4, 'fence push');
    expect(rb.messages).toEqual([]);
  });

  it('joins and leaves extra rooms (ops 18/20) and reports the room online count', async () => {
    const c = wsClient({ mid: 5, room_id: 'live://2000', accepts: [] });
    const r = track(c);
    const replies: number[] = [];
    c.on('reply', (m) => replies.push(m.op));
    c.connect();
    await waitFor(() => r.auths === 1, 'authenticated');
    await waitFor(() => r.online.length > 0, 'heartbeat reply');
    expect(r.online[0]).toBe(1);

    c.joinRoom('live://2001');
    await waitFor(() => replies.includes(19), 'join reply');
    await push('/goim/push/room?operation=1000&type=live&room=2001', 'in-2001');
    await push('/goim/push/room?operation=1000&type=live&room=2000', 'in-2000');
    await waitFor(() => r.messages.length === 2, 'pushes to both rooms');
    c.leaveRoom('live://2001');
    await waitFor(() => replies.includes(21), 'leave reply');
    await push('/goim/push/room?operation=1000&type=live&room=2001', 'after-leave');
    await push('/goim/push/room?operation=1000&type=live&room=2000', 'still-2000');
    await waitFor(() => r.messages.length === 3, 'fence push');
    expect(texts(r).sort()).toEqual(['1000:in-2000', '1000:in-2001', '1000:still-2000']);
  });

  it('serves the demo page and its browser client bundle', async () => {
    const page = await fetch(`${http}/demo`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`data-ws-port="${addr.ws.port}"`);
    const js = await fetch(`${http}/demo/goim-client.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const code = await js.text();
    expect(code).toContain('Goim');
    // Reported size of the browser client (minified IIFE with the codec).
    expect(code.length).toBeLessThan(40_000);
  });
});

describe('GoimClient across a server restart', () => {
  it('surfaces the op-6 shutdown notice, reconnects, and receives pushes sent after the restart', async () => {
    const first = createStandalone(resolveStandaloneConfig({ ports: ZERO_PORTS, demo: false }));
    const a = await first.listen();
    const ports = { ...ZERO_PORTS, tcp: a.tcp.port, ws: a.ws.port, http: a.http.port };
    const client = new GoimClient({
      url: `ws://127.0.0.1:${a.ws.port}/sub`,
      transport: webSocketTransport(WebSocket as unknown as WebSocketConstructor),
      token: { mid: 9, key: 'restart-key', room_id: 'live://9' },
      reconnect: { baseDelayMs: 50, maxDelayMs: 200 },
    });
    const r = track(client);
    client.connect();
    let second: Standalone | undefined;
    try {
      await waitFor(() => r.auths === 1, 'first auth');
      await first.close(50);
      await waitFor(() => r.notices.length === 1, 'op-6 notice');
      expect(r.notices[0]).toMatchObject({ code: 3000, reconnect: true });

      second = createStandalone(resolveStandaloneConfig({ ports, demo: false }));
      await second.listen();
      await waitFor(() => r.auths === 2, 'reconnected and authenticated', 10_000);
      const res = await fetch(`http://127.0.0.1:${ports.http}/goim/push/room?operation=1000&type=live&room=9`, { method: 'POST', body: 'after-restart' });
      expect(res.status).toBe(200);
      await waitFor(() => r.messages.length === 1, 'push after reconnect', 5_000);
      expect(decoder.decode(r.messages[0]!.body)).toBe('after-restart');
    } finally {
      client.close();
      await second?.close(50);
    }
  });
});
