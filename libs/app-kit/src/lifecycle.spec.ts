import { EventEmitter } from 'node:events';
import { advertiseHost, handleShutdownSignals, runMain, silentLogger, whileWaiting, within } from './index.js';

function recorder() {
  const lines: Array<[string, object, string | undefined]> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push([level, obj, msg]);
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return { emitter, exits, proc: { on: (s: 'SIGTERM' | 'SIGINT' | 'SIGHUP', l: () => void) => emitter.on(s, l), exit: (c: number) => void exits.push(c) } };
}

afterEach(() => jest.useRealTimers());

describe('advertiseHost', () => {
  const ifaces = {
    lo: [{ family: 'IPv4', internal: true, address: '127.0.0.1' }],
    eth0: [{ family: 'IPv6', internal: false, address: 'fe80::1' }, { family: 'IPv4', internal: false, address: '10.0.0.7' }],
  } as unknown as Parameters<typeof advertiseHost>[1];

  it('keeps a concrete bound host and resolves wildcards to the first external IPv4', () => {
    expect(advertiseHost('192.168.1.2', ifaces)).toBe('192.168.1.2');
    expect(advertiseHost('0.0.0.0', ifaces)).toBe('10.0.0.7');
    expect(advertiseHost('::', ifaces)).toBe('10.0.0.7');
    expect(advertiseHost('', {})).toBe('127.0.0.1');
  });
});

describe('within', () => {
  it('gives up on a stuck step after ms and says so', async () => {
    jest.useFakeTimers();
    const { lines, logger } = recorder();
    const done = within(1_000, 'closing x', () => new Promise<void>(() => undefined), logger);
    await jest.advanceTimersByTimeAsync(1_000);
    await done;
    expect(lines).toEqual([['warn', { ms: 1_000 }, 'closing x did not finish in time']]);
  });

  it('rejects with the step error, or logs it when tolerated', async () => {
    const { lines, logger } = recorder();
    const boom = new Error('boom');
    await expect(within(1_000, 'closing x', () => Promise.reject(boom), logger)).rejects.toBe(boom);
    await within(1_000, 'closing y', () => Promise.reject(boom), logger, { tolerateFailure: true });
    expect(lines).toEqual([['warn', { err: boom }, 'closing y failed']]);
  });
});

describe('whileWaiting', () => {
  it('logs every 5 s while pending and returns the result', async () => {
    jest.useFakeTimers();
    const { lines, logger } = recorder();
    let resolve!: (v: number) => void;
    const result = whileWaiting(logger, 'discovery', () => new Promise<number>((r) => (resolve = r)));
    await jest.advanceTimersByTimeAsync(10_000);
    resolve(7);
    await expect(result).resolves.toBe(7);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(lines.map((l) => l[2])).toEqual(['still waiting for discovery', 'still waiting for discovery']);
  });
});

describe('handleShutdownSignals', () => {
  it('runs the steps once on SIGTERM, exits 0, and exits 1 at once on a second signal', async () => {
    const { lines, logger } = recorder();
    const { emitter, exits, proc } = fakeProcess();
    let steps = 0;
    const handle = handleShutdownSignals({ logger, fields: { drainMs: 5 }, steps: async () => void steps++, process: proc });
    emitter.emit('SIGHUP');
    expect(handle.stopping).toBe(false);
    emitter.emit('SIGTERM');
    expect(handle.stopping).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect([steps, exits]).toEqual([1, [0]]);
    emitter.emit('SIGINT');
    expect(exits).toEqual([0, 1]);
    expect(lines.map((l) => [l[0], l[2]])).toEqual([
      ['info', 'shutting down'],
      ['warn', 'second signal: exiting now'],
    ]);
    expect(lines[0]![1]).toEqual({ signal: 'SIGTERM', drainMs: 5 });
  });

  it('logs a failed shutdown and exits 1', async () => {
    const { lines, logger } = recorder();
    const { emitter, exits, proc } = fakeProcess();
    const err = new Error('stuck');
    handleShutdownSignals({ logger, steps: () => Promise.reject(err), process: proc });
    emitter.emit('SIGINT');
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([1]);
    expect(lines[1]).toEqual(['error', { err }, 'shutdown failed']);
  });

  it('exits 1 when the deadline passes first', async () => {
    jest.useFakeTimers();
    const { lines, logger } = recorder();
    const { emitter, exits, proc } = fakeProcess();
    handleShutdownSignals({
      logger,
      deadline: { ms: 2_000, fields: { deadlineMs: 2_000 }, message: 'shutdown did not finish in time: exiting' },
      steps: () => new Promise<void>(() => undefined),
      process: proc,
    });
    emitter.emit('SIGTERM');
    await jest.advanceTimersByTimeAsync(1_999);
    expect(exits).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    expect(lines[1]).toEqual(['error', { deadlineMs: 2_000 }, 'shutdown did not finish in time: exiting']);
  });
});

describe('runMain', () => {
  it('reports a startup failure on stderr and exits 1', async () => {
    const out: string[] = [];
    const exits: number[] = [];
    const err = new TypeError('no config');
    runMain('comet', () => Promise.reject(err), { exit: (c) => void exits.push(c), stderr: { write: (s: string) => out.push(s) } });
    await new Promise((r) => setImmediate(r));
    expect([out, exits]).toEqual([['comet: TypeError: no config\n'], [1]]);
  });
});

describe('silentLogger', () => {
  it('accepts every level and children are silent too', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) expect(silentLogger[level]({}, 'x')).toBeUndefined();
    expect(silentLogger.child({ a: 1 })).toBe(silentLogger);
  });
});
