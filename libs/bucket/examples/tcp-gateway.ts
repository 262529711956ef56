/**
 * A custom gateway embedding @goim/bucket: a TCP server speaking goim frames, its own Sink,
 * one room, a room push written once for every member. Self-checking: it starts on port 0,
 * connects two clients, pushes once, prints what they received and exits.
 *
 *   npx tsx --conditions=@goim/source libs/bucket/examples/tcp-gateway.ts
 */
import { createConnection, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { Op, encodeDisconnectBody, encodeFrame } from '@goim/protocol';
import type { DisconnectNotice } from '@goim/protocol';
import { Buckets } from '@goim/bucket';
import type { Outbound, Sink } from '@goim/bucket';

/** TCP flavour of the Sink: OpRaw bodies and replies are both written verbatim. */
class TcpSink implements Sink {
  constructor(private readonly socket: Socket) {}
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }
  flush(items: readonly Outbound[]): void {
    // One cork/uncork per flush: every pending item of this tick leaves in one write.
    this.socket.cork();
    for (const item of items) this.socket.write(item.bytes);
    this.socket.uncork();
  }
  close(notice?: DisconnectNotice): void {
    if (notice) {
      const body = encodeDisconnectBody(notice.code, notice.reason, notice.reconnect);
      this.socket.write(encodeFrame({ ver: 1, op: Op.DisconnectReply, seq: 0, body }));
    }
    this.socket.end();
  }
}

const buckets = new Buckets({ size: 8, maxOutboundBytes: 256 * 1024 });
let nextId = 0;

const server = createServer((socket) => {
  // A real gateway would authenticate first (op 7); here every connection joins 'lobby'.
  const ch = buckets.newChannel({ key: `conn-${++nextId}`, ip: socket.remoteAddress ?? '', sink: new TcpSink(socket), accepts: [1000] });
  buckets.put(ch, 'lobby');
  socket.on('close', () => buckets.del(ch));
  socket.on('error', () => ch.close());
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as { port: number };
  const received: string[] = [];
  const clients = [1, 2].map(
    (n) =>
      new Promise<void>((resolve) => {
        const c = createConnection(port, '127.0.0.1');
        c.on('data', (d) => {
          // packLen(4) headerLen(2) ver(2) op(4) seq(4) body
          const op = d.readInt32BE(8);
          received.push(`client ${n}: op ${op} body ${d.subarray(16).toString()}`);
          c.end();
        });
        c.on('close', () => resolve());
      }),
  );
  while (buckets.stats().channels < 2) await new Promise((r) => setTimeout(r, 5));
  // The job would send this pre-serialised frame; it is shared by every member, never copied.
  const frame = encodeFrame({ ver: 1, op: 1000, seq: 0, body: new TextEncoder().encode('hello lobby') });
  const counts = buckets.broadcastRoom('lobby', frame);
  await Promise.all(clients);
  console.log(received.sort().join('\n'));
  console.log(`delivered=${counts.delivered} stats=${JSON.stringify(buckets.stats())}`);
  server.close();
});
