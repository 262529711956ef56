import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { MemoryPushQueue } from '@goim/queue';
import { MemorySessionStore } from '@goim/session-store';
import { resolveLogicConfig, type LogicConfigInput } from './config.js';
import { LogicErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import { createLogic } from './logic.js';

function recordingLogger(lines: { level: string; obj: object; msg?: string }[]): Logger {
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const l: Logger = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), child: () => l };
  return l;
}

const cfg = (o: LogicConfigInput = {}) =>
  resolveLogicConfig({ object: { httpServer: { addr: '127.0.0.1:0' }, rpcServer: { addr: '127.0.0.1:0' }, ...o } as LogicConfigInput, hostname: 'h' });

describe('createLogic', () => {
  it('warns at startup when goim-json auth runs outside development', () => {
    const lines: { level: string; obj: object; msg?: string }[] = [];
    const queue = new MemoryPushQueue();
    createLogic(cfg({ env: { deployEnv: 'prod' } }), { sessions: new MemorySessionStore(), producer: queue.producer(), logger: recordingLogger(lines) });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'auth.type "goim-json" trusts every client-supplied mid/key/room; use "jwt" or "webhook" outside development',
    ]);
    const quiet: typeof lines = [];
    createLogic(cfg({ env: { deployEnv: 'dev' } }), { sessions: new MemorySessionStore(), producer: queue.producer(), logger: recordingLogger(quiet) });
    expect(quiet.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('refuses receive.sink "queue" without a publisher, naming the key', () => {
    expect(() =>
      createLogic(cfg({ receive: { sink: 'queue' } }), { sessions: new MemorySessionStore(), producer: new MemoryPushQueue().producer() }),
    ).toThrow(expect.objectContaining({ code: 'GOIM_ERR_CONFIG_INVALID', message: expect.stringContaining('receive.sink "queue"') }));
  });

  it('serves the in-process link without listening', async () => {
    const sessions = new MemorySessionStore();
    const logic = createLogic(cfg(), { sessions, producer: new MemoryPushQueue().producer(), newKey: () => 'fixed-key' });
    await expect(logic.service.connect({ server: 'c', cookie: '', token: Buffer.from('{"mid":3}') })).resolves.toMatchObject({ mid: 3, key: 'fixed-key' });
    await expect(sessions.serversByKeys(['fixed-key'])).resolves.toEqual(['c']);
  });

  it('rejects a second listen, closes twice safely, and can retry after a failed listen', async () => {
    const logic = createLogic(cfg(), { sessions: new MemorySessionStore(), producer: new MemoryPushQueue().producer() });
    await logic.listen();
    await expect(logic.listen()).rejects.toMatchObject({ code: LogicErrorCode.BAD_STATE });
    await logic.close();
    await logic.close();
    await expect(logic.listen()).rejects.toMatchObject({ code: LogicErrorCode.BAD_STATE });

    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    const busy = createLogic(cfg({ httpServer: { addr: `127.0.0.1:${port}` } }), { sessions: new MemorySessionStore(), producer: new MemoryPushQueue().producer() });
    await expect(busy.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise<void>((r) => taken.close(() => r()));
    const addrs = await busy.listen();
    expect(addrs.http.port).toBe(port);
    await busy.close();
  });
});
