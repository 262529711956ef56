/**
 * The server's own cost per room push, without the socket writes to members: one process
 * runs `createStandalone` (HTTP fast path → logic → memory queue → job → comet), its rooms hold
 * null-sink channels, and a raw keep-alive socket in the same process posts room pushes one at
 * a time. Process CPU (user + system) per push is the HTTP parse/reply plus every goim-ts
 * layer in between; the client's share (one write, one read per push) is small and the same
 * for every build, so A/B runs compare the server path alone, without the fan-out `writev`
 * and wake-up noise of the end-to-end `fanout` scenario.
 *
 * Rooms are many (default 2 000) so each is pushed only every ~100+ ms, like the fan-out
 * scenario's small rooms (a room pushed more often would batch in job, which that shape does not).
 *
 * With a `rate` (pushes/s) the pushes are paced instead of back-to-back, so the process
 * sleeps between them as a real server does, and the CPU includes its wake-ups (the pacing
 * timer's are the same for every build).
 *
 *   npx tsx --conditions=@goim/source tools/bench/src/push-path.bench.ts [pushes=20000] [rooms=2000] [members=10] [rate=0]
 */
import { connect, type Socket } from 'node:net';
import type { Outbound, Sink } from '@goim/bucket';
import { readRawBatch } from '@goim/protocol';
import { createStandalone, resolveStandaloneConfig } from '@goim/standalone-app';

const pushes = Number(process.argv[2] ?? 20_000);
const rooms = Number(process.argv[3] ?? 2000);
const members = Number(process.argv[4] ?? 10);
const rate = Number(process.argv[5] ?? 0);

/** Counts the messages (frames) it is handed; an op-9 batch counts each frame in it. */
class CountingSink implements Sink {
  bufferedBytes = 0;
  messages = 0;
  batches = 0;
  flush(items: readonly Outbound[]): void {
    for (const it of items) {
      const n = it.raw ? readRawBatch(it.bytes).length : 1;
      this.messages += n;
      if (n > 1) this.batches++;
    }
  }
  close(): void {}
}

/** Sends `n` room pushes sequentially over one keep-alive socket; resolves after the last reply. */
function postSequentially(sock: Socket, n: number, request: (i: number) => Buffer): Promise<void> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    let pending = '';
    sock.on('error', reject);
    sock.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      // Every reply is a fixed-size JSON envelope with content-length: count complete ones.
      for (;;) {
        const head = pending.indexOf('\r\n\r\n');
        if (head < 0) return;
        const m = /content-length: (\d+)/i.exec(pending.slice(0, head));
        const end = head + 4 + Number(m?.[1] ?? 0);
        if (pending.length < end) return;
        if (!pending.startsWith('HTTP/1.1 200')) return reject(new Error(`push failed: ${pending.slice(0, end)}`));
        pending = pending.slice(end);
        answered++;
        if (answered === n) return resolve();
        if (sent < n) {
          if (rate <= 0) sock.write(request(sent++));
          else setTimeout(() => sock.write(request(sent++)), Math.max(0, t0 + (sent * 1000) / rate - performance.now()));
        }
      }
    });
    sock.write(request(sent++));
  });
}

async function main(): Promise<void> {
  const config = resolveStandaloneConfig({
    bind: '127.0.0.1',
    ports: { tcp: 0, ws: 0, http: 0, cometGrpc: 0, logicGrpc: 0, cometAdmin: 0, jobAdmin: 0 },
    host: 'bench',
    demo: false,
  });
  const app = createStandalone(config);
  const addr = await app.listen();
  const sinks: CountingSink[] = [];
  const delivered = () => sinks.reduce((n, s) => n + s.messages, 0);
  const batched = () => sinks.reduce((n, s) => n + s.batches, 0);
  const buckets = app.comet.buckets;
  for (let r = 0; r < rooms; r++) {
    for (let m = 0; m < members; m++) {
      const sink = new CountingSink();
      sinks.push(sink);
      buckets.put(buckets.newChannel({ key: `k-${r}-${m}`, mid: r * members + m + 1, sink }), `live://${r}`);
    }
  }
  const body = '{"t":0,"pad":"0123456789abcdef0123456789abcdef"}';
  const request = (i: number) =>
    Buffer.from(
      `POST /goim/push/room?operation=1000&type=live&room=${i % rooms} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      'latin1',
    );
  const sock = connect(addr.http.port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const warm = Math.min(5_000, pushes);
  await postSequentially(sock, warm, request);
  sock.removeAllListeners('data');
  sock.removeAllListeners('error');
  await new Promise((r) => setTimeout(r, 200));
  const before = delivered();
  const batchedBefore = batched();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await postSequentially(sock, pushes, request);
  // Let the last batches reach the sinks (job flushes at the end of the turn, comet one turn later).
  while (delivered() - before < pushes * members && performance.now() - t0 < 60_000) await new Promise((r) => setImmediate(r));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  sock.destroy();
  await app.close(0);
  const us = (cpu.user + cpu.system) / pushes;
  console.log(
    JSON.stringify({
      pushes,
      rooms,
      members,
      rate,
      delivered: delivered() - before,
      // Deliveries that carried more than one message (job batched the room): should stay ~0.
      batchedDeliveries: batched() - batchedBefore,
      wallMs: Math.round(wall),
      cpuUsPerPush: Math.round(us * 10) / 10,
      userUsPerPush: Math.round((cpu.user / pushes) * 10) / 10,
      systemUsPerPush: Math.round((cpu.system / pushes) * 10) / 10,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
