/**
 * The load client process against a real goim-ts standalone server (in this process):
 * connects over WebSocket and TCP, counts room pushes (op-9 batches expanded), records
 * latency from bench bodies, survives a reconnect storm.
 */
import { join } from 'node:path';
import { createStandalone, resolveStandaloneConfig, type Standalone, type StandaloneAddresses } from '@goim/standalone-app';
import { Child } from '../lib/child.js';
import { benchBody, nowMs } from '../lib/goim-frames.js';
import { runPushes } from './pusher.js';
import type { ClientCommand, ClientEvent } from './protocol.js';

jest.setTimeout(60_000);

describe('load client process', () => {
  let app: Standalone;
  let addr: StandaloneAddresses;
  let client: Child<ClientCommand, ClientEvent>;

  beforeAll(async () => {
    app = createStandalone(
      resolveStandaloneConfig({
        ports: { tcp: 0, ws: 0, http: 0, cometGrpc: 0, logicGrpc: 0, cometAdmin: 0, jobAdmin: 0 },
        demo: false,
      }),
    );
    addr = await app.listen();
    client = new Child<ClientCommand, ClientEvent>(join(__dirname, 'client.ts'), { name: 'client-spec' });
  });
  afterAll(async () => {
    client?.proc.disconnect();
    await client?.stop(5_000);
    await app?.close(0);
  });

  const connect = (proto: 'ws' | 'tcp', first: number): ClientCommand => ({
    t: 'connect',
    proto,
    host: '127.0.0.1',
    port: proto === 'ws' ? addr.ws.port : addr.tcp.port,
    first,
    count: 20,
    rooms: 2,
    roomPrefix: 'live://',
    concurrency: 5,
    latency: true,
    sourceAddrs: 4,
  });

  it('connects over both transports, counts room pushes and measures their latency', async () => {
    expect(await client.request(connect('ws', 0), 'connected')).toMatchObject({ opened: 20, failed: 0 });
    expect(await client.request(connect('tcp', 20), 'connected')).toMatchObject({ opened: 20, failed: 0 });
    expect(app.comet.buckets.stats().channels).toBe(40);
    // 10 pushes into room live://0 (half of each transport's connections = 20 members).
    const r = await runPushes({ port: addr.http.port, rate: 100, durationMs: 100, target: () => ({ path: '/goim/push/room?operation=1000&type=live&room=0', body: benchBody(nowMs(), 40) }) });
    expect(r.ok).toBe(10);
    let stats = await client.request({ t: 'stats' }, 'stats');
    for (let i = 0; i < 50 && stats.messages < 200; i++) {
      await new Promise((res) => setTimeout(res, 50));
      stats = await client.request({ t: 'stats' }, 'stats');
    }
    expect(stats).toMatchObject({ open: 40, messages: 200, errors: 0 });
    expect(stats.frames).toBeGreaterThan(0);
    expect(stats.frames).toBeLessThanOrEqual(200);
    expect(stats.latencies).toHaveLength(200);
    expect(Math.min(...stats.latencies)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...stats.latencies)).toBeLessThan(5_000);
  });

  it('resets counters and brings every connection back after a storm', async () => {
    expect(await client.request({ t: 'reset' }, 'stats')).toMatchObject({ messages: 0, frames: 0 });
    const storm = await client.request({ t: 'storm' }, 'storm');
    expect(storm).toMatchObject({ opened: 40, failed: 0 });
    expect(app.comet.buckets.stats().channels).toBe(40);
    expect(await client.request({ t: 'close' }, 'closed')).toEqual({ t: 'closed' });
  });
});
