import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runPushes } from './pusher.js';

describe('runPushes', () => {
  let server: Server;
  let port: number;
  const seen: { url: string; body: string }[] = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', body });
        res.writeHead(status).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    status = 200;
  });

  it('sends rate × duration requests, in order of n, with the built path and body', async () => {
    const t0 = performance.now();
    const r = await runPushes({ port, rate: 200, durationMs: 300, target: (n) => ({ path: `/p?n=${n}`, body: `b${n}` }) });
    const ms = performance.now() - t0;
    expect(r).toMatchObject({ sent: 60, ok: 60, failed: 0, skipped: 0 });
    expect(seen.map((s) => s.url).sort()).toEqual(Array.from({ length: 60 }, (_, n) => `/p?n=${n}`).sort());
    expect(seen.find((s) => s.url === '/p?n=7')!.body).toBe('b7');
    // Paced over the duration, not sent in one burst.
    expect(ms).toBeGreaterThanOrEqual(280);
  });

  it('counts non-200 answers as failures with the first status', async () => {
    status = 503;
    const r = await runPushes({ port, rate: 100, durationMs: 50, target: () => ({ path: '/x', body: '' }) });
    expect(r).toMatchObject({ sent: 5, ok: 0, failed: 5, firstError: 'HTTP 503' });
  });

  it('skips instead of queueing beyond maxInFlight', async () => {
    // A server that never answers: the first maxInFlight requests stay outstanding.
    const stuck = createServer(() => undefined);
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    const p = (stuck.address() as AddressInfo).port;
    const run = runPushes({ port: p, rate: 1000, durationMs: 50, maxInFlight: 3, target: () => ({ path: '/', body: '' }) });
    await new Promise((r) => setTimeout(r, 120));
    stuck.closeAllConnections();
    const r = await run;
    stuck.close();
    expect(r.sent).toBe(3);
    expect(r.skipped).toBe(47);
    expect(r.failed).toBe(3);
  });
});
