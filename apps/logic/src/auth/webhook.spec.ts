import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthErrorCode } from '../errors.js';
import { WebhookAuthenticator } from './webhook.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function backend(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`, server };
}

const close = (s: Server) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
const ctx = { server: 'comet-1', cookie: 'c=1' };

describe('WebhookAuthenticator', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });

  it('posts the token with server and cookie, and maps the backend answer', async () => {
    let seen: { method?: string; type?: string; secret?: string; body?: unknown } = {};
    const b = await backend((req, body, res) => {
      seen = { method: req.method, type: req.headers['content-type'], secret: req.headers['x-secret'] as string, body: JSON.parse(body) };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ mid: 9, key: 'k9', room_id: 'live://9', accepts: [1000, 1001] }));
    });
    servers.push(b.server);
    const auth = new WebhookAuthenticator({ url: b.url, headers: { 'x-secret': 's3' } });
    await expect(auth.authenticate(Buffer.from('opaque-token'), ctx)).resolves.toEqual({
      mid: 9,
      key: 'k9',
      roomID: 'live://9',
      accepts: [1000, 1001],
      platform: '',
    });
    expect(seen).toEqual({ method: 'POST', type: 'application/json', secret: 's3', body: { token: 'opaque-token', server: 'comet-1', cookie: 'c=1' } });
  });

  it('turns a 401/403 into a refusal carrying the backend reason', async () => {
    const b = await backend((_req, _body, res) => {
      res.statusCode = 403;
      res.end(JSON.stringify({ reason: 'account banned' }));
    });
    servers.push(b.server);
    const auth = new WebhookAuthenticator({ url: b.url });
    await expect(auth.authenticate(Buffer.from('t'), ctx)).rejects.toMatchObject({ code: AuthErrorCode.REFUSED, message: 'account banned' });
  });

  it('reports a 5xx or a non-JSON answer as BACKEND_UNAVAILABLE', async () => {
    const b = await backend((req, _body, res) => {
      if (req.url === '/auth?fail') res.statusCode = 502;
      res.end('<html>oops</html>');
    });
    servers.push(b.server);
    await expect(new WebhookAuthenticator({ url: `${b.url}?fail` }).authenticate(Buffer.from('t'), ctx)).rejects.toMatchObject({
      code: AuthErrorCode.BACKEND_UNAVAILABLE,
      message: 'auth webhook answered HTTP 502',
    });
    await expect(new WebhookAuthenticator({ url: b.url }).authenticate(Buffer.from('t'), ctx)).rejects.toMatchObject({
      code: AuthErrorCode.BACKEND_UNAVAILABLE,
      message: expect.stringContaining('not a JSON object'),
    });
  });

  it('reports a backend that is down with a clear error', async () => {
    const b = await backend(() => undefined);
    await close(b.server);
    const auth = new WebhookAuthenticator({ url: b.url });
    await expect(auth.authenticate(Buffer.from('t'), ctx)).rejects.toMatchObject({
      code: AuthErrorCode.BACKEND_UNAVAILABLE,
      message: 'auth webhook unreachable (ECONNREFUSED)',
    });
  });

  it('times out a backend that does not answer', async () => {
    const b = await backend(() => undefined);
    servers.push(b.server);
    const auth = new WebhookAuthenticator({ url: b.url, timeoutMs: 100 });
    await expect(auth.authenticate(Buffer.from('t'), ctx)).rejects.toMatchObject({
      code: AuthErrorCode.BACKEND_UNAVAILABLE,
      message: 'auth webhook timed out',
    });
  });

  it('rejects a mistyped answer', async () => {
    const b = await backend((_req, _body, res) => res.end(JSON.stringify({ mid: 'x' })));
    servers.push(b.server);
    await expect(new WebhookAuthenticator({ url: b.url }).authenticate(Buffer.from('t'), ctx)).rejects.toMatchObject({
      code: AuthErrorCode.BACKEND_UNAVAILABLE,
    });
  });

  it('needs an http(s) url', () => {
    expect(() => new WebhookAuthenticator({ url: 'ftp://x' })).toThrow(TypeError);
  });
});
