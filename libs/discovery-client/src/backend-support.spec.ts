import { establish, type Reach } from './backend-support.js';
import { RegistryError, RegistryErrorCode } from './errors.js';

function reach(over: Partial<Reach> = {}) {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const closer = new AbortController();
  const r: Reach = {
    attemptTimeoutMs: 1_000,
    retryMaxDelayMs: 2_000,
    target: 'etcd http://127.0.0.1:2379',
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    closeSignal: closer.signal,
    closed: () => new RegistryError(RegistryErrorCode.CLOSED, 'closed'),
    fail: (what, err) => new RegistryError(RegistryErrorCode.BACKEND, `${what} failed: ${String(err)}`, { cause: err }),
    ...over,
  };
  return { reach: r, lines, close: () => closer.abort() };
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

describe('establish', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('abandons an attempt at its deadline, aborts its signal, and retries with a doubling pause capped at retryMaxDelayMs', async () => {
    const { reach: r, lines } = reach();
    const signals: AbortSignal[] = [];
    const starts: number[] = [];
    const t0 = Date.now();
    const result = establish(r, 'watch of goim.comet', (signal) => {
      signals.push(signal);
      starts.push(Date.now() - t0);
      // The first four attempts hang (backend down); the fifth answers.
      return signals.length < 5 ? new Promise<string>(() => {}) : Promise.resolve('snapshot');
    }, { appid: 'goim.comet' });
    await jest.advanceTimersByTimeAsync(20_000);
    await expect(result).resolves.toBe('snapshot');
    // attempt 1 at 0, times out at 1000, pauses 250 → 1250; +1000 +500 → 2750; +1000 +1000 → 4750; +1000 +2000 (cap) → 7750
    expect(starts).toEqual([0, 1_250, 2_750, 4_750, 7_750]);
    expect(signals.slice(0, 4).every((s) => s.aborted && (s.reason as RegistryError).code === RegistryErrorCode.TIMEOUT)).toBe(true);
    expect(signals[4]!.aborted).toBe(false);
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => [l.obj['attempt'], l.obj['retryInMs']])).toEqual([
      [1, 250],
      [2, 500],
      [3, 1_000],
      [4, 2_000],
    ]);
    expect(warns[0]!.obj).toMatchObject({ backend: 'etcd http://127.0.0.1:2379', appid: 'goim.comet' });
    expect((warns[0]!.obj['err'] as RegistryError).message).toContain('no answer from etcd http://127.0.0.1:2379 within 1000 ms');
    expect(warns[0]!.msg).toBe('discovery watch of goim.comet failed; retrying');
    expect(lines.filter((l) => l.level === 'info').map((l) => [l.msg, l.obj['attempts']])).toEqual([['discovery watch of goim.comet established', 5]]);
  });

  it('ignores the late success of an abandoned attempt and aborts a failed one too', async () => {
    const { reach: r } = reach();
    const signals: AbortSignal[] = [];
    let lateResolve!: (v: string) => void;
    const result = establish(r, 'register of goim.comet/c1', (signal) => {
      signals.push(signal);
      if (signals.length === 1) return new Promise<string>((res) => (lateResolve = res));
      if (signals.length === 2) return Promise.reject(new Error('ECONNREFUSED'));
      return Promise.resolve('third');
    });
    await jest.advanceTimersByTimeAsync(1_000); // attempt 1 times out
    lateResolve('first, too late');
    await jest.advanceTimersByTimeAsync(5_000);
    await expect(result).resolves.toBe('third');
    expect(signals.map((s) => s.aborted)).toEqual([true, true, false]);
    expect((signals[1]!.reason as Error).message).toBe('ECONNREFUSED');
  });

  it('rejects input errors at once, without retrying', async () => {
    const { reach: r, lines } = reach();
    let calls = 0;
    const bad = new RegistryError(RegistryErrorCode.INVALID_INSTANCE, 'bad hostname');
    const out = settle(
      establish(r, 'register', () => {
        calls++;
        return Promise.reject(bad);
      }),
    );
    await jest.advanceTimersByTimeAsync(10_000);
    expect((await out).error).toBe(bad);
    expect(calls).toBe(1);
    expect(lines).toEqual([]);
  });

  it('with retryMaxDelayMs 0 rejects on the first failure with GOIM_ERR_REGISTRY_TIMEOUT', async () => {
    const { reach: r, lines } = reach({ retryMaxDelayMs: 0 });
    const out = settle(establish(r, 'watch of goim.logic', () => new Promise<never>(() => {})));
    await jest.advanceTimersByTimeAsync(1_000);
    const { error } = await out;
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe(RegistryErrorCode.TIMEOUT);
    expect(lines).toEqual([]);
  });

  it('ends with GOIM_ERR_REGISTRY_CLOSED when the registry closes during an attempt or a pause', async () => {
    for (const during of ['attempt', 'pause'] as const) {
      const { reach: r, close } = reach();
      const signals: AbortSignal[] = [];
      const out = settle(
        establish(r, 'watch', (signal) => {
          signals.push(signal);
          return during === 'attempt' ? new Promise<never>(() => {}) : Promise.reject(new Error('down'));
        }),
      );
      await jest.advanceTimersByTimeAsync(during === 'attempt' ? 500 : 100);
      close();
      await jest.advanceTimersByTimeAsync(0);
      const { error } = await out;
      expect((error as RegistryError).code).toBe(RegistryErrorCode.CLOSED);
      expect(signals).toHaveLength(1);
      expect(signals[0]!.aborted).toBe(true);
      // Nothing more happens afterwards.
      await jest.advanceTimersByTimeAsync(20_000);
      expect(signals).toHaveLength(1);
    }
  });
});
