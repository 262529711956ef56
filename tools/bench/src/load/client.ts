/**
 * Load client process: opens goim (WebSocket or TCP) or Socket.IO connections on command,
 * authenticates them, counts delivered logical messages and records publish-to-receive
 * latency. Driven by the runner over IPC (load/protocol.ts); exits with its parent and after
 * a hard 20-minute bound.
 */
import { connect as netConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { io as sioConnect, type Socket as SioSocket } from 'socket.io-client';
import { Op, encodeFrame } from '@goim/protocol';
import { TcpFrameCounter, countFrames, nowMs, publishTimeOf } from '../lib/goim-frames.js';
import type { ClientCommand, ClientEvent } from './protocol.js';

type ConnectCmd = Extract<ClientCommand, { t: 'connect' }>;

interface Conn {
  close(): void;
}

let messages = 0;
/** WebSocket messages (or Socket.IO packets) carrying pushes: messages / frames = batching. */
let frames = 0;
let errors = 0;
let latencies: number[] = [];
let recordLatency = false;
const conns = new Set<Conn>();
/** Every connect command so far: a storm brings all of them back. */
const connects: ConnectCmd[] = [];
let firstError: string | undefined;

const send = (e: ClientEvent) => process.send?.(e);

function onBody(buf: Buffer, start: number, end: number): void {
  if (!recordLatency) return;
  const t = publishTimeOf(buf, start, end);
  if (t === t) latencies.push(nowMs() - t);
}

function token(i: number, cmd: ConnectCmd): Buffer {
  return Buffer.from(
    JSON.stringify({ mid: i + 1, key: `k${i}`, room_id: `${cmd.roomPrefix}${i % cmd.rooms}`, platform: 'web', accepts: [1000] }),
  );
}

const localAddress = (i: number, cmd: ConnectCmd) => `127.0.0.${2 + (i % Math.max(1, cmd.sourceAddrs))}`;

/** Opens one connection; resolves true once authenticated (false on failure). */
function openOne(i: number, cmd: ConnectCmd): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok: boolean, conn?: Conn) => {
      if (settled) return;
      settled = true;
      if (!ok && conn) conn.close();
      resolve(ok);
    };
    const timer = setTimeout(() => {
      errors++;
      settle(false, conn);
    }, 30_000);
    let conn: Conn;
    if (cmd.proto === 'ws') {
      const ws = new WebSocket(`ws://${cmd.host}:${cmd.port}/sub`, { perMessageDeflate: false, localAddress: localAddress(i, cmd) });
      conn = { close: () => ws.terminate() };
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => ws.send(encodeFrame({ ver: 1, op: Op.Auth, seq: 1, body: token(i, cmd) })));
      ws.on('message', (data: Buffer) => {
        if (!settled && data.length >= 16 && data.readInt32BE(8) === Op.AuthReply) {
          clearTimeout(timer);
          settle(true);
          return;
        }
        try {
          const n = countFrames(data, 0, data.length, onBody);
          messages += n;
          if (n > 0) frames++;
        } catch {
          errors++;
        }
      });
      ws.on('error', (err: Error) => {
        errors++;
        firstError ??= err.message;
        clearTimeout(timer);
        settle(false, conn);
      });
      ws.on('close', () => {
        conns.delete(conn);
        clearTimeout(timer);
        settle(false);
      });
    } else if (cmd.proto === 'tcp') {
      const counter = new TcpFrameCounter(onBody);
      const sock: Socket = netConnect({ host: cmd.host, port: cmd.port, localAddress: localAddress(i, cmd) });
      sock.setNoDelay(true);
      conn = { close: () => sock.destroy() };
      sock.on('connect', () => sock.write(encodeFrame({ ver: 1, op: Op.Auth, seq: 1, body: token(i, cmd) })));
      sock.on('data', (chunk: Buffer) => {
        try {
          const n = counter.feed(chunk);
          messages += n;
          if (n > 0) frames++;
        } catch {
          errors++;
          sock.destroy();
        }
        if (!settled && counter.authed) {
          clearTimeout(timer);
          settle(true);
        }
      });
      sock.on('error', (err: Error) => {
        errors++;
        firstError ??= err.message;
      });
      sock.on('close', () => {
        conns.delete(conn);
        clearTimeout(timer);
        settle(false);
      });
    } else {
      const s: SioSocket = sioConnect(`http://${cmd.host}:${cmd.port}`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        query: { room: `${cmd.roomPrefix}${i % cmd.rooms}`, key: `k${i}`, mid: String(i + 1) },
        // engine.io-client hands this to ws in Node.
        localAddress: localAddress(i, cmd),
      } as Parameters<typeof sioConnect>[1]);
      conn = { close: () => s.disconnect() };
      // Ready once the server confirmed the room join (the Socket.IO analogue of op 8).
      s.on('ready', () => {
        clearTimeout(timer);
        settle(true);
      });
      s.on('msg', (body: string) => {
        messages++;
        frames++;
        if (recordLatency && body.startsWith('{"t":')) {
          let j = 5;
          while (j < body.length && body[j] !== ',' && body[j] !== '}') j++;
          latencies.push(nowMs() - Number(body.slice(5, j)));
        }
      });
      s.on('connect_error', (err: Error & { description?: unknown }) => {
        errors++;
        firstError ??= `${err.message} ${String((err.description as Error | undefined)?.message ?? err.description ?? '')}`;
        clearTimeout(timer);
        settle(false, conn);
      });
      s.on('disconnect', () => {
        conns.delete(conn);
        settle(false);
      });
    }
    conns.add(conn);
  });
}

async function openAll(cmd: ConnectCmd): Promise<{ opened: number; failed: number; ms: number }> {
  const t0 = performance.now();
  let next = cmd.first;
  const end = cmd.first + cmd.count;
  let opened = 0;
  let failed = 0;
  const worker = async () => {
    while (next < end) {
      const i = next++;
      if (await openOne(i, cmd)) opened++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(cmd.concurrency, cmd.count)) }, worker));
  return { opened, failed, ms: performance.now() - t0 };
}

function closeAll(): void {
  for (const c of [...conns]) c.close();
  conns.clear();
}

async function handle(cmd: ClientCommand): Promise<void> {
  switch (cmd.t) {
    case 'connect': {
      connects.push(cmd);
      recordLatency = cmd.latency;
      firstError = undefined;
      const r = await openAll(cmd);
      send({ t: 'connected', ...r, ...(firstError ? { firstError } : {}) });
      return;
    }
    case 'reset':
      messages = 0;
      frames = 0;
      errors = 0;
      latencies = [];
      send({ t: 'stats', open: conns.size, messages: 0, frames: 0, latencies: [], errors: 0 });
      return;
    case 'stats':
      send({ t: 'stats', open: conns.size, messages, frames, latencies, errors });
      return;
    case 'storm': {
      // Every client drops at once (as after a network blip), then all come back.
      if (connects.length === 0) throw new Error('storm before connect');
      const t0 = performance.now();
      closeAll();
      const dropMs = performance.now() - t0;
      const back = await Promise.all(connects.map((c) => openAll(c)));
      const r = { opened: back.reduce((n, b) => n + b.opened, 0), failed: back.reduce((n, b) => n + b.failed, 0) };
      send({ t: 'storm', dropMs, backMs: performance.now() - t0, opened: r.opened, failed: r.failed });
      return;
    }
    case 'close':
      closeAll();
      connects.length = 0;
      send({ t: 'closed' });
      return;
  }
}

process.on('message', (cmd: ClientCommand) => {
  handle(cmd).catch((err: unknown) => send({ t: 'error', message: String(err) }));
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), 20 * 60_000).unref();
