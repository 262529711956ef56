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

function wrapRun(items: readonly Outbound[], from: number, to: number): Buffer {
  let size = 0;
  for (let i = from; i < to; i++) size += items[i]!.bytes.length;
  const out = Buffer.allocUnsafe(HEADER_SIZE + size);
  writeHeader(out, 0, { ver: 1, op: Op.Raw, seq: 0 }, size);
  let off = HEADER_SIZE;
  for (let i = from; i < to; i++) {
    const b = items[i]!.bytes;
    out.set(b, off);
    off += b.length;
  }
  return out;
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
      ws.send(j - i === 1 ? wrapOne(it.bytes) : wrapRun(items, i, j));
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
