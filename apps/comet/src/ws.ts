/**
 * The WebSocket transport (spec §1.6) on the `ws` library in `noServer` mode: path `/sub`
 * (goim compared it literally; we also accept `/sub?…`, §10.12), one goim frame per
 * binary message, text messages parsed as binary frames like goim, no permessage-deflate.
 * Pushes reach clients as op-9 frames: each run of consecutive OpRaw items is wrapped into
 * one op-9 message (spec §1.5).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { HEADER_SIZE, Op, decodeWsMessage, writeHeader, type DisconnectNotice } from '@goim/protocol';
import { DisconnectCode } from '@goim/protocol';
import type { Outbound } from '@goim/bucket';
import { Connection, noticeFrame, type ConnectionContext } from './connection.js';
import { remoteIp } from './tcp.js';

const CONN = Symbol('goim.connection');
type TaggedWs = WebSocket & { [CONN]?: WsConnection };

// The op-9 message for a single shared OpRaw body, built once and reused for every
// recipient of that body (a room or broadcast push frames its bytes once).
const wrapped = new WeakMap<Uint8Array, Buffer>();

function wrapOne(body: Uint8Array): Buffer {
  let out = wrapped.get(body);
  if (out === undefined) {
    out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
    writeHeader(out, 0, { ver: 1, op: Op.Raw, seq: 0 }, body.length);
    out.set(body, HEADER_SIZE);
    wrapped.set(body, out);
  }
  return out;
}

/** One op-9 frame around a run of OpRaw items; with `wsHeader`, preceded by the WebSocket frame header. */
function wrapRun(items: readonly Outbound[], from: number, to: number, wsHeader: boolean): Buffer {
  let size = 0;
  for (let i = from; i < to; i++) size += items[i]!.bytes.length;
  const ws = wsHeader ? wsHeaderSize(HEADER_SIZE + size) : 0;
  const out = Buffer.allocUnsafe(ws + HEADER_SIZE + size);
  if (wsHeader) writeWsHeader(out, HEADER_SIZE + size);
  writeHeader(out, ws, { ver: 1, op: Op.Raw, seq: 0 }, size);
  let off = ws + HEADER_SIZE;
  for (let i = from; i < to; i++) {
    const b = items[i]!.bytes;
    out.set(b, off);
    off += b.length;
  }
  return out;
}

// Bench profiles (tools/bench) put ~60 % of a fanning-out comet in one writev per member, and
// most of the rest in ws's per-send framing (header allocation, cork/uncork, writev plumbing).
// So an op-9 push is framed once as a complete unmasked server WebSocket message (FIN, binary)
// — shared by every recipient of the same body — and handed to the socket as one buffer.

/** Bytes of the server-to-client WebSocket header for a payload of `len` (RFC 6455 §5.2). */
function wsHeaderSize(len: number): number {
  return len < 126 ? 2 : len < 65_536 ? 4 : 10;
}

function writeWsHeader(out: Buffer, len: number): void {
  out[0] = 0x82; // FIN + binary
  if (len < 126) out[1] = len;
  else if (len < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
}

const wsFramed = new WeakMap<Uint8Array, Buffer>();

/** The whole WebSocket message (WS header + op-9 frame) for one shared OpRaw body, built once. */
function wsMessageOne(body: Uint8Array): Buffer {
  let out = wsFramed.get(body);
  if (out === undefined) {
    const len = HEADER_SIZE + body.length;
    const ws = wsHeaderSize(len);
    out = Buffer.allocUnsafe(ws + len);
    writeWsHeader(out, len);
    writeHeader(out, ws, { ver: 1, op: Op.Raw, seq: 0 }, body.length);
    out.set(body, ws + HEADER_SIZE);
    wsFramed.set(body, out);
  }
  return out;
}

/** The parts of ws's internals the direct write relies on (ws 8); undefined fields → ws.send. */
interface WsInternals {
  _socket?: Duplex;
  _sender?: { _state?: number; _queue?: unknown[] };
}

/** The socket, if a pre-framed message may be written to it now without overtaking ws's own queue. */
function directSocket(ws: WebSocket): Duplex | undefined {
  const w = ws as unknown as WsInternals;
  const sender = w._sender;
  if (sender === undefined || sender._state !== 0 || sender._queue === undefined || sender._queue.length !== 0) return undefined;
  return w._socket;
}

/** WebSocket close code for a notice (the op-6 body carries the precise goim-ts code). */
function closeCode(notice: DisconnectNotice | undefined): number {
  if (!notice) return 1000;
  switch (notice.code) {
    case DisconnectCode.SHUTDOWN:
      return 1001;
    case DisconnectCode.PROTOCOL_ERROR:
      return 1002;
    case DisconnectCode.SERVER_ERROR:
      return 1011;
    case DisconnectCode.HEARTBEAT_TIMEOUT:
    case DisconnectCode.HANDSHAKE_TIMEOUT:
      return 1000;
    default:
      return 1008;
  }
}

function onMessage(this: TaggedWs, data: Buffer | ArrayBuffer | Buffer[]): void {
  const conn = this[CONN];
  if (conn === undefined || conn.isClosing) return;
  const msg = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  let frame;
  try {
    frame = decodeWsMessage(msg);
  } catch (err) {
    conn.onProtocolError(err);
    return;
  }
  conn.onFrame(frame);
}

function onWsError(this: TaggedWs, err: Error & { code?: string }): void {
  // ws closes the socket itself (e.g. 1009 for a message above maxPayload); count it.
  this[CONN]?.transportError(err);
}

function onWsClose(this: TaggedWs): void {
  this[CONN]?.transportClosed();
}

/** One WebSocket client. */
export class WsConnection extends Connection {
  constructor(
    ctx: ConnectionContext,
    private readonly ws: TaggedWs,
    ip: string,
    cookie: string,
    readonly transport: 'ws' | 'wss',
  ) {
    super(ctx, ip, cookie);
    ws[CONN] = this;
    ws.on('message', onMessage);
    ws.on('error', onWsError);
    ws.on('close', onWsClose);
    this.start();
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  flush(items: readonly Outbound[]): void {
    const ws = this.ws;
    if (ws.readyState !== 1) return;
    const n = items.length;
    let i = 0;
    while (i < n) {
      const it = items[i]!;
      if (!it.raw) {
        ws.send(it.bytes);
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && items[j]!.raw) j++;
      const sock = directSocket(ws);
      if (sock !== undefined) sock.write(j - i === 1 ? wsMessageOne(it.bytes) : wrapRun(items, i, j, true));
      else ws.send(j - i === 1 ? wrapOne(it.bytes) : wrapRun(items, i, j, false));
      i = j;
    }
    if (ws.bufferedAmount > 0) this.ctx.watchWrite(this);
  }

  protected endTransport(notice: DisconnectNotice | undefined): void {
    const ws = this.ws;
    if (ws.readyState !== 1) return;
    if (notice) ws.send(noticeFrame(notice));
    ws.close(closeCode(notice), notice ? notice.reason.slice(0, 120) : '');
  }

  protected destroyTransport(): void {
    this.ws.terminate();
  }

  protected pauseReading(): void {
    this.ws.pause();
  }

  protected resumeReading(): void {
    this.ws.resume();
  }

  /** @internal */
  transportError(err: Error & { code?: string }): void {
    if (this.isClosing) return;
    this.ctx.metrics.protocolErrors.inc({ code: err.code ?? 'WS_ERR' });
    this.close();
  }

  /** @internal */
  transportClosed(): void {
    this.onTransportClosed();
  }
}

/** Options of the WebSocket listeners (goim `[websocket]`). */
export interface WsOptions {
  maxPayloadBytes: number;
  /** TLS material for WSS; absent = plain WS. */
  tls?: HttpsOptions;
}

/** goim accepted only `/sub`; we also accept a query string (e.g. a token), spec §10.12. */
export function isSubPath(url: string | undefined): boolean {
  return url === '/sub' || (url !== undefined && url.startsWith('/sub?'));
}

/** An HTTP(S) server that upgrades `GET /sub` to a goim WebSocket connection. */
export function createWsServer(ctx: ConnectionContext, options: WsOptions): HttpServer {
  const transport = options.tls ? 'wss' : 'ws';
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false,
    clientTracking: false,
    // goim parses text messages as binary frames; their bytes need not be UTF-8.
    skipUTF8Validation: true,
  });
  const server = options.tls ? createHttpsServer(options.tls) : createHttpServer();
  server.on('request', (req, res) => {
    res.writeHead(isSubPath(req.url) ? 426 : 404, { 'content-type': 'text/plain', connection: 'close' });
    res.end(isSubPath(req.url) ? 'upgrade required\n' : 'not found\n');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (req.method !== 'GET' || !isSubPath(req.url)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const ip = remoteIp(req.socket.remoteAddress);
    const cookie = req.headers.cookie ?? '';
    wss.handleUpgrade(req, socket, head, (ws) => {
      new WsConnection(ctx, ws, ip, cookie, transport);
    });
  });
  return server;
}
