/**
 * Batching timing through createJob with an injected clock (jest fake timers) and an
 * in-process CometService (the link apps/standalone uses), so no real sleeps.
 */
import { readRawBatch } from '@goim/protocol';
import { PushMsg, type BroadcastRoomReq, type CometService } from '@goim/protocol/rpc';
import type { PushHandler } from '@goim/queue';
import { MemoryCometDirectory } from './comet-directory.js';
import { parseJobConfig } from './config.js';
import { createJob } from './job.js';

function setup(room: Record<string, unknown>) {
  const batches: BroadcastRoomReq[] = [];
  const service = {
    broadcastRoom: async (req: BroadcastRoomReq) => {
      batches.push(req);
      return {};
    },
  } as unknown as CometService;
  const dir = new MemoryCometDirectory([{ hostname: 'c1', zone: '', service }]);
  let handler: PushHandler | undefined;
  const job = createJob(parseJobConfig({ room }), {
    consumer: { start: async (h) => void (handler = h), close: async () => undefined },
    comets: dir,
  });
  let seq = 0;
  const deliver = (room: string, text: string) =>
    handler!({ msg: PushMsg.fromPartial({ type: 1, operation: 1000, room, msg: Buffer.from(text), msgID: `m${seq}` }), key: room, id: `q/0/${seq++}`, attempt: 1 });
  const sizes = () => batches.map((b) => readRawBatch(b.proto!.body).length);
  return { job, deliver, sizes, batches };
}

describe('job room batching timing', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("holds a lone room message for goim's 1 s window when flushWhenIdle is off", async () => {
    const { job, deliver, sizes } = setup({ flushWhenIdle: false });
    await job.start();
    let acked = false;
    const p = deliver('live://1', 'a').then(() => (acked = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(sizes()).toEqual([]);
    expect(acked).toBe(false); // not acknowledged before a comet accepted it
    await jest.advanceTimersByTimeAsync(1);
    await p;
    expect(sizes()).toEqual([1]);
    await job.close();
  });

  it('uses configured batch and signal', async () => {
    const { job, deliver, sizes } = setup({ flushWhenIdle: false, batch: 3, signal: '200ms' });
    await job.start();
    const ps = ['a', 'b', 'c', 'd'].map((t) => deliver('r', t));
    await jest.advanceTimersByTimeAsync(0);
    expect(sizes()).toEqual([3]);
    await jest.advanceTimersByTimeAsync(200);
    await Promise.all(ps);
    expect(sizes()).toEqual([3, 1]);
    await job.close();
  });

  it('flushes a lone message after one quiet tick by default', async () => {
    const { job, deliver, sizes } = setup({});
    await job.start();
    const p = deliver('r', 'a');
    await jest.advanceTimersByTimeAsync(1);
    await p;
    expect(sizes()).toEqual([1]);
    await job.close();
  });

  it('flushes collecting batches at once on close', async () => {
    const { job, deliver, sizes } = setup({ flushWhenIdle: false });
    await job.start();
    const p = deliver('r', 'a');
    await jest.advanceTimersByTimeAsync(10);
    await job.close();
    await p;
    expect(sizes()).toEqual([1]);
  });
});
