/**
 * The job on the real in-process queue (MemoryPushQueue: per-key serial delivery, ack on
 * resolve) and real gRPC fake comets: order per key, no loss through comet failures and a job
 * restart in the same consumer group.
 */
import { PushMsg, RpcStatus } from '@goim/protocol/rpc';
import { MemoryPushQueue } from '@goim/queue';
import { waitFor } from '@goim/testkit';
import { MemoryCometDirectory } from './comet-directory.js';
import { parseJobConfig, queueMaxInFlight } from './config.js';
import { createJob } from './job.js';
import { startFakeComet, type FakeComet } from './testing/fake-comet.js';

const config = parseJobConfig({ comet: { retryBase: 5, retryMax: 20, retries: 1 } });

describe('job on MemoryPushQueue', () => {
  let comets: FakeComet[] = [];
  let dir: MemoryCometDirectory;
  let queue: MemoryPushQueue;

  beforeEach(async () => {
    comets = await Promise.all(['c1', 'c2'].map((h) => startFakeComet(h)));
    dir = MemoryCometDirectory.fromAddresses(comets.map((c) => ({ hostname: c.hostname, addr: c.addr })));
    queue = new MemoryPushQueue({ partitions: 8, retryDelaysMs: [10] });
  });
  afterEach(async () => {
    await queue.close();
    await dir.close();
    await Promise.all(comets.map((c) => c.close()));
  });

  it('delivers every push, room and broadcast message in order per key (pipelined consumer) through comet failures and a job restart', async () => {
    const producer = queue.producer();
    let job = createJob(config, { consumer: queue.consumer(), comets: dir });
    await job.start();
    const keys = 20;
    const rooms = 5;
    const n = 1000;
    const publishing = (async () => {
      for (let i = 0; i < n; i++) {
        const k = i % keys;
        await producer.publish(
          PushMsg.fromPartial({ type: 0, operation: 1000, server: `c${(k % 2) + 1}`, keys: [`k${k}`], msg: Buffer.from(String(i)), msgID: `p${i}` }),
        );
        await producer.publish(
          PushMsg.fromPartial({ type: 1, operation: 1000, room: `live://${i % rooms}`, msg: Buffer.from(String(i)), msgID: `r${i}` }),
        );
        if (i % 4 === 0) {
          await producer.publish(PushMsg.fromPartial({ type: 2, operation: 2000, speed: 0, msg: Buffer.from(String(i)), msgID: `b${i}` }));
        }
        if (i === 200) comets[0]!.failNext('pushMsg', 5, RpcStatus.UNAVAILABLE); // beyond the retry budget: redelivery
        if (i === 300) comets[1]!.failNext('broadcastRoom', 3, RpcStatus.UNAVAILABLE);
      }
    })();
    await waitFor(() => comets[1]!.pushes.length > 100, 'some pushes delivered');
    await job.close(); // restart mid-stream: unacknowledged messages stay in the group
    job = createJob(config, { consumer: queue.consumer(), comets: dir });
    await job.start();
    await publishing;
    const received = (c: FakeComet, target: string) => (c.frames.get(target) ?? []).map((f) => Number(f.body));
    await waitFor(() => queue.size === 0, 'queue drained', 20_000);
    await job.close();
    expect(comets.map((c) => c.failed)).toEqual([5, 3]);
    for (let k = 0; k < keys; k++) {
      const expected = Array.from({ length: n / keys }, (_, j) => j * keys + k);
      expect(received(comets[k % 2]!, `k${k}`)).toEqual(expected);
    }
    for (const c of comets) {
      expect(received(c, 'broadcast')).toEqual(Array.from({ length: n / 4 }, (_, j) => j * 4));
      for (let r = 0; r < rooms; r++) {
        expect(received(c, `live://${r}`)).toEqual(Array.from({ length: n / rooms }, (_, j) => j * rooms + r));
      }
    }
  }, 30_000);

  it.each([
    // Pipelined (default window 2 × room.batch = 40): the batcher sees the room's messages together.
    { window: undefined, calls: 2, sizes: [20, 20] },
    // Strict one-at-a-time queue (the mode before pipelining): every batch holds one message.
    { window: 1, calls: 40, sizes: Array.from({ length: 40 }, () => 1) },
  ])('batches 40 quickly arriving messages of one room by room.batch (window $window → $calls BroadcastRoom calls per comet)', async ({ window, calls, sizes }) => {
    const cfg = parseJobConfig({ comet: { retryBase: 5, retryMax: 20, retries: 1 }, ...(window ? { queue: { maxInFlightPerKey: window } } : {}) });
    expect(queueMaxInFlight(cfg)).toBe(window ?? 40);
    const job = createJob(cfg, { consumer: queue.consumer(), comets: dir });
    await job.start();
    // Published back to back (no await in between): they reach the queue before the consumer's next turn.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => queue.producer().publish(PushMsg.fromPartial({ type: 1, operation: 1000, room: 'live://hot', msg: Buffer.from(String(i)), msgID: `h${i}` }))),
    );
    await waitFor(() => queue.size === 0, 'queue drained', 10_000);
    await job.close();
    for (const c of comets) {
      expect(c.roomBatches).toHaveLength(calls);
      expect(c.roomBatches.every((b) => b.roomID === 'live://hot')).toBe(true);
      expect((c.frames.get('live://hot') ?? []).map((f) => Number(f.body))).toEqual(Array.from({ length: 40 }, (_, i) => i));
    }
    const batchSizes = (await job.metrics.registry.getSingleMetric('goim_job_room_batch_size')!.get()).values as Array<{ metricName?: string; value: number }>;
    const count = batchSizes.find((v) => v.metricName === 'goim_job_room_batch_size_count')!.value;
    const sum = batchSizes.find((v) => v.metricName === 'goim_job_room_batch_size_sum')!.value;
    expect(count).toBe(sizes.length);
    expect(sum).toBe(40);
  });
});
