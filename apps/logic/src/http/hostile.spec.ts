import { request } from 'node:http';
import { MemoryPushQueue } from '@goim/queue';
import { MemorySessionStore } from '@goim/session-store';
import { resolveLogicConfig } from '../config.js';
import { createLogic, type Logic } from '../logic.js';

/** Raw HTTP/1.1 request (fetch would normalise the odd inputs away). */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP API with hostile input', () => {
  let logic: Logic;
  let port: number;
  let sessions: MemorySessionStore;
  beforeAll(async () => {
    sessions = new MemorySessionStore();
    await sessions.addMapping(0, '%zz', 's1');
    logic = createLogic(resolveLogicConfig({ object: { rpcServer: { addr: '127.0.0.1:0' }, push: { maxBodyBytes: 1024 }, httpServer: { addr: '127.0.0.1:0', readTimeout: '300ms' } }, hostname: 'h' }), {
      sessions,
      producer: new MemoryPushQueue().producer(),
    });
    port = (await logic.listen()).http.port;
  });
  afterAll(() => logic.close());

  it('keeps malformed percent-escapes in query values literally', async () => {
    expect(await raw(port, 'POST', '/goim/push/keys?operation=1&keys=%zz')).toEqual({ status: 200, text: '{"code":0,"message":""}' });
  });

  it('answers a malformed path with 404 or 400, never a crash', async () => {
    const r = await raw(port, 'GET', '/goim/%zz/top');
    expect([400, 404]).toContain(r.status);
    expect((await raw(port, 'GET', '/healthz')).status).toBe(200);
  });

  it('refuses an oversize chunked body without buffering it all', async () => {
    const r = await raw(port, 'POST', '/goim/push/all?operation=1', { 'transfer-encoding': 'chunked' }, Buffer.alloc(4096, 1));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toEqual({ code: -400, message: 'request body larger than push.maxBodyBytes (1024 bytes)' });
  });

  it('times out a request whose body never arrives (lying content-length) after readTimeout', async () => {
    const started = Date.now();
    const r = await raw(port, 'POST', '/goim/push/all?operation=1', { 'content-length': '999999' }, Buffer.alloc(10)).catch((err: Error) => ({
      status: 0,
      text: err.message,
    }));
    // Node answers 408 (or drops the socket) once httpServer.readTimeout (300 ms here) passed.
    expect([0, 408]).toContain(r.status);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('binds huge and signed integers like Go', async () => {
    expect((await raw(port, 'POST', '/goim/push/all?operation=%2B5')).status).toBe(200);
    expect(JSON.parse((await raw(port, 'POST', '/goim/push/mids?mids=99999999999999999999')).text)).toEqual({
      code: -400,
      message: 'strconv.ParseInt: parsing "99999999999999999999": value out of range',
    });
    expect(JSON.parse((await raw(port, 'POST', '/goim/push/mids?mids=9007199254740993')).text).code).toBe(-400);
    expect(JSON.parse((await raw(port, 'POST', '/goim/push/all?operation=1.5')).text).message).toBe('strconv.ParseInt: parsing "1.5": invalid syntax');
  });
});
