/**
 * Comet memory benchmark: RSS and heap per authenticated idle WebSocket connection.
 * Target (DESIGN §5): ≤ 4 KB RSS per connection at 10 k connections — a goal, reported,
 * not asserted.
 *
 * The comet runs in this process with an in-process logic stand-in; the clients run in a
 * separate process (comet-memory-client.ts) so their memory is not counted. Bounded: the
 * whole run aborts after `--timeout` seconds (default 300).
 *
 *   node --expose-gc --conditions=@goim/source --import tsx tools/bench/src/comet-memory.ts [connections=10000]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createComet, resolveCometConfig } from '@goim/comet-app';
import type { ConnectReply, ConnectReq, LogicService } from '@goim/protocol/rpc';

const connections = Number(process.argv[2] ?? 10_000);
const timeoutSec = Number(process.argv[3] ?? 300);

/** Just enough of logic for Connect (goim token JSON); everything else is a no-op. */
const logic: LogicService = {
  async connect(req: ConnectReq): Promise<ConnectReply> {
    const t = JSON.parse(Buffer.from(req.token).toString()) as { mid?: number; key?: string; room_id?: string; accepts?: number[] };
    return { mid: t.mid ?? 0, key: t.key ?? '', roomID: t.room_id ?? '', accepts: t.accepts ?? [], heartbeat: 3600e9 };
  },
  async disconnect() {
    return { has: true };
  },
  async heartbeat() {
    return {};
  },
  async renewOnline() {
    return { allRoomCount: {}, epoch: '' };
  },
  async receive() {
    return {};
  },
  async nodes() {
    return { domain: '', tcpPort: 0, wsPort: 0, wssPort: 0, heartbeat: 0, nodes: [], backoff: undefined, heartbeatMax: 0 };
  },
};

const gc = (globalThis as { gc?: () => void }).gc;
async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
  }
  return process.memoryUsage();
}

const kb = (bytes: number) => (bytes / 1024).toFixed(2);

async function main(): Promise<void> {
  const abort = setTimeout(() => {
    process.stderr.write(`comet-memory: aborted after ${timeoutSec} s\n`);
    process.exit(2);
  }, timeoutSec * 1000);
  abort.unref();
  if (!gc) process.stderr.write('comet-memory: run with --expose-gc for stable figures\n');

  const config = resolveCometConfig({
    object: {
      env: { host: 'bench' },
      tcp: { bind: [] },
      websocket: { bind: ['127.0.0.1:0'] },
      rpcServer: { addr: '' },
      admin: { addr: '' },
      online: { interval: 3_600_000 },
      shutdown: { drain: 0 },
    },
  });
  const comet = createComet(config, { logic });
  const addrs = await comet.listen();
  const url = `ws://127.0.0.1:${addrs.ws[0]!.port}/sub`;
  const before = await settle();

  const started = Date.now();
  const child = fork(fileURLToPath(new URL('./comet-memory-client.ts', import.meta.url)), [url, String(connections), '200'], {
    execArgv: ['--conditions=@goim/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ opened: number; failed: number }>((resolve, reject) => {
    child.on('message', (m: { type: string; opened: number; failed: number; message?: string }) =>
      m.type === 'ready' ? resolve(m) : reject(new Error(m.message)),
    );
    child.on('exit', (code) => reject(new Error(`client process exited with ${code}`)));
  });
  const connectSec = (Date.now() - started) / 1000;
  const after = await settle();
  const n = comet.buckets.stats().channels;

  const row = {
    connections: n,
    clientFailures: ready.failed,
    connectSeconds: Number(connectSec.toFixed(1)),
    rssPerConnKB: Number(kb((after.rss - before.rss) / n)),
    heapUsedPerConnKB: Number(kb((after.heapUsed - before.heapUsed) / n)),
    externalPerConnKB: Number(kb((after.external + after.arrayBuffers - before.external - before.arrayBuffers) / n)),
    rssTotalMB: Number((after.rss / 2 ** 20).toFixed(1)),
    heapUsedTotalMB: Number((after.heapUsed / 2 ** 20).toFixed(1)),
    targetRssPerConnKB: 4,
    node: process.version,
  };
  process.stdout.write(
    [
      `comet memory, ${n} authenticated idle WebSocket connections (clients in a separate process)`,
      `  RSS   per connection: ${row.rssPerConnKB} KB  (target ≤ 4 KB; total RSS ${row.rssTotalMB} MB)`,
      `  heap  per connection: ${row.heapUsedPerConnKB} KB  (total heap used ${row.heapUsedTotalMB} MB)`,
      `  external+arrayBuffers per connection: ${row.externalPerConnKB} KB`,
      `  connect time: ${row.connectSeconds} s, client failures: ${row.clientFailures}`,
      `JSON ${JSON.stringify(row)}`,
      '',
    ].join('\n'),
  );
  child.send({ type: 'exit' });
  await comet.close(0);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`comet-memory: ${String(err)}\n`);
  process.exit(1);
});
