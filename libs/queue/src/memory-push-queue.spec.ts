import { describePushQueueContract, contractMsg } from '@goim/queue/testing';
import { MemoryPushQueue, QueueErrorCode, type PushDelivery } from '@goim/queue';

describePushQueueContract('MemoryPushQueue', {
  bounded: true,
  create: (s) => new MemoryPushQueue({ ...s, topic: `t-${Math.random().toString(36).slice(2)}` }),
});

describe('MemoryPushQueue', () => {
  it('rejects bad options naming the property', () => {
    expect(() => new MemoryPushQueue({ partitions: 0 })).toThrow(expect.objectContaining({ code: QueueErrorCode.INVALID_OPTIONS, message: expect.stringContaining('`partitions`') }));
    expect(() => new MemoryPushQueue({ retryDelaysMs: [-1] })).toThrow(expect.objectContaining({ code: QueueErrorCode.INVALID_OPTIONS }));
    expect(() => new MemoryPushQueue({ topic: '' })).toThrow(expect.objectContaining({ code: QueueErrorCode.INVALID_OPTIONS }));
  });

  it('uses the sarama-compatible partition in delivery ids', async () => {
    const q = new MemoryPushQueue({ topic: 'ids', partitions: 16 });
    const got: PushDelivery[] = [];
    await q.consumer().start(async (d) => void got.push(d));
    await q.producer().publish(contractMsg('foobar', 0)); // FNV-1a("foobar") = 0xbf9cf968 → partition 8 of 16
    while (got.length === 0) await new Promise((r) => setTimeout(r, 1));
    expect(got[0]!.id).toBe('ids/8/0');
    await q.close();
  });

  it('retries with the configured delays, waiting between attempts', async () => {
    jest.useFakeTimers();
    try {
      const q = new MemoryPushQueue({ retryDelaysMs: [1_000, 5_000] });
      const attempts: number[] = [];
      await q.consumer().start(async (d) => {
        attempts.push(d.attempt);
        if (d.attempt < 4) throw new Error('fail');
      });
      await q.producer().publish(contractMsg('ft', 0));
      await jest.advanceTimersByTimeAsync(0);
      expect(attempts).toEqual([1]);
      await jest.advanceTimersByTimeAsync(999);
      expect(attempts).toEqual([1]);
      await jest.advanceTimersByTimeAsync(1);
      expect(attempts).toEqual([1, 2]);
      await jest.advanceTimersByTimeAsync(4_999);
      expect(attempts).toEqual([1, 2]);
      await jest.advanceTimersByTimeAsync(1);
      expect(attempts).toEqual([1, 2, 3]);
      await jest.advanceTimersByTimeAsync(5_000); // the last delay repeats
      expect(attempts).toEqual([1, 2, 3, 4]);
      expect(q.size).toBe(0);
      await q.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps messages for a group whose members all left, and counts them against capacity', async () => {
    const q = new MemoryPushQueue({ capacity: 2, publishTimeoutMs: 0 });
    const c = q.consumer('g');
    await c.start(async () => {});
    await c.close();
    await q.producer().publish(contractMsg('k', 0));
    await q.producer().publish(contractMsg('k', 1));
    expect(q.size).toBe(2);
    await expect(q.producer().publish(contractMsg('k', 2))).rejects.toMatchObject({ code: QueueErrorCode.FULL });
    const seen: string[] = [];
    await q.consumer('g').start(async (d) => void seen.push(d.msg.msgID));
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 1));
    expect(seen).toEqual(['k#0', 'k#1']);
    await q.close();
  });
});
