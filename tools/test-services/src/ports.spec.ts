import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort, freePorts } from './process.js';

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, host, () => resolve(srv));
  });
}

const close = (srv: Server) => new Promise<void>((r) => srv.close(() => r()));

describe('freePort', () => {
  it('hands out distinct ports outside the ephemeral range, each bindable on 127.0.0.1 and on other loopback addresses', async () => {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = await freePorts(50);
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) {
      expect(p < lo! || p > hi!).toBe(true);
      expect(p).toBeGreaterThanOrEqual(1024);
      expect(p).toBeLessThan(65_536);
    }
    const servers = [];
    for (const p of ports.slice(0, 10)) servers.push(await listen(p, '127.0.0.1'), await listen(p, '127.0.0.12'));
    await Promise.all(servers.map(close));
  });

  it('skips ports another process is listening on', async () => {
    // Ports are tried in order within this worker's slice: occupy the next few after the last one handed out.
    const last = await freePort();
    const occupied: Server[] = [];
    for (let p = last + 1; p <= last + 5; p++) occupied.push(await listen(p, '127.0.0.11'));
    try {
      const next = await freePort();
      expect(next === last || (next > last && next <= last + 5)).toBe(false);
      const probe = await listen(next, '0.0.0.0');
      await close(probe);
    } finally {
      await Promise.all(occupied.map(close));
    }
  });
});
