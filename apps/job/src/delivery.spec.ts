import { RpcError, RpcStatus } from '@goim/protocol/rpc';
import { backoffMs, CometGoneError, CometLanes, withRetry } from './delivery.js';
import { JobErrorCode } from './errors.js';
import { realTimers } from './timers.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('CometLanes', () => {
  it('runs tasks of one lane one after another and other lanes in parallel', async () => {
    const lanes = new CometLanes(10);
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const task = (name: string) => () => {
      started.push(name);
      const d = deferred();
      gates.set(name, d);
      return d.promise;
    };
    const ps = [lanes.run('c', 'r1', task('a1')), lanes.run('c', 'r1', task('a2')), lanes.run('c', 'r2', task('b1'))];
    await tick();
    expect(started).toEqual(['a1', 'b1']);
    gates.get('a1')!.resolve();
    await tick();
    expect(started).toEqual(['a1', 'b1', 'a2']);
    gates.get('a2')!.resolve();
    gates.get('b1')!.resolve();
    await Promise.all(ps);
    expect(lanes.pending).toBe(0);
  });

  it('bounds the tasks running per comet', async () => {
    const lanes = new CometLanes(2);
    let running = 0;
    let peak = 0;
    const ps = Array.from({ length: 10 }, (_, i) =>
      lanes.run('c', `lane${i}`, async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 1));
        running--;
      }),
    );
    await Promise.all(ps);
    expect(peak).toBe(2);
  });

  it('fails the tasks queued behind a failed one, without running them, and runs later ones', async () => {
    const lanes = new CometLanes(4);
    const gate = deferred();
    let ranBehind = false;
    const first = lanes.run('c', 'k', () => gate.promise);
    const behind = lanes.run('c', 'k', async () => {
      ranBehind = true;
    });
    gate.reject(new Error('down'));
    await expect(first).rejects.toThrow('down');
    await expect(behind).rejects.toMatchObject({ code: JobErrorCode.LANE_FAILED });
    expect(ranBehind).toBe(false);
    await expect(lanes.run('c', 'k', async () => 'ok')).resolves.toBe('ok');
  });
});

describe('withRetry', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const opts = { retries: 3, baseMs: 100, maxMs: 1000, timers: realTimers, random: () => 0.5 };

  it('retries transient errors with exponential backoff and then succeeds', async () => {
    let calls = 0;
    const retries: number[] = [];
    const p = withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new RpcError(RpcStatus.UNAVAILABLE, 'down');
        return 'ok';
      },
      { ...opts, onRetry: (n) => retries.push(n) },
    );
    await tick();
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(75); // backoff 1: 100/2 + 0.5*50
    expect(calls).toBe(2);
    await jest.advanceTimersByTimeAsync(150); // backoff 2: 200/2 + 0.5*100
    await expect(p).resolves.toBe('ok');
    expect(retries).toEqual([1, 2]);
  });

  it('gives up after the budget with GOIM_ERR_JOB_DELIVERY_FAILED carrying the last error', async () => {
    let calls = 0;
    const p = withRetry(async () => {
      calls++;
      throw new RpcError(RpcStatus.DEADLINE_EXCEEDED, 'slow');
    }, opts);
    const result = p.catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(10_000);
    const err = (await result) as { code: string; cause: unknown };
    expect(err.code).toBe(JobErrorCode.DELIVERY_FAILED);
    expect(err.cause).toBeInstanceOf(RpcError);
    expect(calls).toBe(4);
  });

  it('does not retry a permanent refusal or a comet that left', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new RpcError(RpcStatus.INVALID_ARGUMENT, 'bad');
      }, opts),
    ).rejects.toBeInstanceOf(RpcError);
    await expect(
      withRetry(async () => {
        calls++;
        throw new CometGoneError('c1');
      }, opts),
    ).rejects.toBeInstanceOf(CometGoneError);
    expect(calls).toBe(2);
  });

  it('computes capped backoff with equal jitter', () => {
    expect(backoffMs(1, 100, 1000, () => 0)).toBe(50);
    expect(backoffMs(1, 100, 1000, () => 0.999999)).toBe(100);
    expect(backoffMs(10, 100, 1000, () => 0)).toBe(500);
  });
});
