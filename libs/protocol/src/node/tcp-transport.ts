import { connect } from 'node:net';
import type { TransportFactory } from '../client/transport.js';

/**
 * TCP transport for GoimClient: `tcp://host:port`. Frames are a byte stream; pushes
 * arrive as plain frames (goim writes OpRaw bodies verbatim on TCP).
 */
export function tcpTransport(): TransportFactory {
  return (url, h) => {
    const u = new URL(url);
    if (u.protocol !== 'tcp:') throw new TypeError(`tcp transport needs a tcp:// url, got ${url}`);
    const socket = connect({ host: u.hostname, port: Number(u.port || 3101), noDelay: true });
    let closed = false;
    socket.on('connect', () => h.onOpen());
    socket.on('data', (chunk: Buffer) => h.onData(chunk));
    socket.on('error', () => undefined); // 'close' follows and reports it
    socket.on('close', (hadError) => {
      if (closed) return;
      closed = true;
      h.onClose(hadError ? 'tcp connection failed' : 'tcp connection closed');
    });
    return {
      framing: 'stream',
      send: (bytes) => void socket.write(bytes),
      close: () => socket.end(),
    };
  };
}
