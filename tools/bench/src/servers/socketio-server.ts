/**
 * The Socket.IO contender, set up the way a Socket.IO user would run the same workload:
 * websocket transport only, no per-message compression, a client joins its room (and a
 * room named after its key) on connection and is told `ready`; `POST /push/room?room=R`
 * does `io.to(R).emit('msg', body)`, `POST /push/keys?keys=a,b` emits to each key's room.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Server } from 'socket.io';
import { fail, sendEvent, serveCommands } from './common.js';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  io.on('connection', (socket) => {
    const { room, key } = socket.handshake.query as { room?: string; key?: string };
    if (room) socket.join(room);
    if (key) socket.join(key);
    socket.emit('ready');
  });
  // Push API next to Socket.IO's own request handling (it only claims /socket.io/).
  const push = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'POST' || !url.pathname.startsWith('/push/')) return false;
    void readBody(req).then((body) => {
      if (url.pathname === '/push/room') io.to(url.searchParams.get('room') ?? '').emit('msg', body);
      else if (url.pathname === '/push/keys') io.to((url.searchParams.get('keys') ?? '').split(',')).emit('msg', body);
      else if (url.pathname === '/push/all') io.emit('msg', body);
      else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
    });
    return true;
  };
  const listeners = http.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (push(req, res)) return;
    for (const l of listeners) l.call(http, req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  serveCommands(
    () => io.engine.clientsCount,
    () => new Promise<void>((resolve) => io.close(() => resolve())),
  );
  sendEvent({ t: 'ready', ws: port, tcp: 0, http: port, name: 'Socket.IO 4 (websocket, no compression)' });
}

main().catch(fail);
