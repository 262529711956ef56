/**
 * The raw TCP transport (spec §1.7): a stream of goim frames. Pushes (OpRaw bodies) are
 * written verbatim; replies are complete frames.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FrameStreamDecoder, type DisconnectNotice, type Frame } from '@goim/protocol';
import type { Outbound } from '@goim/bucket';
import { Connection, noticeFrame, type ConnectionContext } from './connection.js';

const CONN = Symbol('goim.connection');
type TaggedSocket = Socket & { [CONN]?: TcpConnection };

/** Options of the TCP listener (goim `[tcp]`). */
export interface TcpOptions {
  keepalive: boolean;
}

/** Remote IP without port (IPv4-mapped IPv6 shortened). */
export function remoteIp(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

// One frame callback for every connection: feed() is synchronous, so `feeding` is always
// the connection whose bytes are being decoded (no per-connection closure).
let feeding: TcpConnection | undefined;
const onDecodedFrame = (f: Frame): void => feeding!.onFrame(f);

function onData(this: TaggedSocket, chunk: Buffer): void {
  const conn = this[CONN];
  if (conn === undefined || conn.isClosing) return;
  feeding = conn;
  try {
    conn.decoder.feed(chunk, onDecodedFrame);
  } catch (err) {
    conn.onProtocolError(err);
  } finally {
    feeding = undefined;
  }
}

function onEnd(this: TaggedSocket): void {
  const conn = this[CONN];
  if (conn === undefined || conn.isClosing) return;
  try {
    conn.decoder.end(); // a stream that stops inside a frame is a protocol error
    conn.close();
  } catch (err) {
    conn.onProtocolError(err);
  }
}

function onError(this: TaggedSocket): void {
  // 'close' follows; nothing to add (a reset by the peer is ordinary).
}

function onClose(this: TaggedSocket): void {
  this[CONN]?.transportClosed();
}

/** One TCP client. */
export class TcpConnection extends Connection {
  readonly transport = 'tcp' as const;
  /** @internal */
  readonly decoder = new FrameStreamDecoder();

  constructor(
    ctx: ConnectionContext,
    private readonly socket: TaggedSocket,
  ) {
    super(ctx, remoteIp(socket.remoteAddress), '');
    socket[CONN] = this;
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    this.start();
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  flush(items: readonly Outbound[]): void {
    const s = this.socket;
    if (s.destroyed || !s.writable) return;
    if (items.length === 1) {
      s.write(items[0]!.bytes);
    } else {
      s.cork(); // one writev for everything pending
      for (let i = 0; i < items.length; i++) s.write(items[i]!.bytes);
      s.uncork();
    }
    if (s.writableLength > 0) this.ctx.watchWrite(this);
  }

  protected endTransport(notice: DisconnectNotice | undefined): void {
    const s = this.socket;
    if (s.destroyed) return;
    if (notice && s.writable) s.write(noticeFrame(notice));
    s.end();
  }

  protected destroyTransport(): void {
    this.socket.destroy();
  }

  protected pauseReading(): void {
    this.socket.pause();
  }

  protected resumeReading(): void {
    this.socket.resume();
  }

  /** @internal */
  transportClosed(): void {
    this.onTransportClosed();
  }
}

/** A TCP server whose sockets become {@link TcpConnection}s. */
export function createTcpServer(ctx: ConnectionContext, options: TcpOptions): Server {
  const server = createServer({ noDelay: true, keepAlive: options.keepalive }, (socket) => {
    new TcpConnection(ctx, socket);
  });
  return server;
}
