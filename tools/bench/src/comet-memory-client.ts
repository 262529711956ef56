/**
 * Client side of the comet memory benchmark (run in its own process by comet-memory.ts):
 * opens N WebSocket connections to a comet, authenticates each (op 7 → op 8), reports
 * "ready" over IPC and then stays idle (no heartbeats needed: the idle timeout is long)
 * until the parent says "exit" or disconnects.
 *
 *   node --conditions=@goim/source --import tsx comet-memory-client.ts <ws-url> <count> <concurrency>
 */
import WebSocket from 'ws';
import { Op, encodeFrame } from '@goim/protocol';

const [url = 'ws://127.0.0.1:3102/sub', countArg = '10000', concArg = '200'] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concArg);
const sockets: WebSocket[] = [];
let failed = 0;

function openOne(i: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      if (!ok) failed++;
      resolve();
    };
    ws.on('open', () => {
      ws.send(encodeFrame({ ver: 1, op: Op.Auth, seq: 1, body: Buffer.from(JSON.stringify({ mid: i + 1, key: `mem-${i}`, room_id: `live://${i % 100}` })) }));
    });
    ws.on('message', (data: Buffer) => {
      if (data.length >= 12 && data.readInt32BE(8) === Op.AuthReply) finish(true);
    });
    ws.on('error', () => finish(false));
    ws.on('close', () => finish(false));
    sockets.push(ws);
  });
}

async function main(): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await openOne(next++);
  });
  await Promise.all(workers);
  process.send?.({ type: 'ready', opened: count - failed, failed });
}

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'exit') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
// Bounded: never outlive the benchmark.
setTimeout(() => process.exit(2), 10 * 60_000).unref();

main().catch((err: unknown) => {
  process.send?.({ type: 'error', message: String(err) });
  process.exit(1);
});
