import { readRawBatch } from '@goim/protocol';
import { PushMsg, RpcStatus } from '@goim/protocol/rpc';
import type { PushHandler, PushQueueConsumer } from '@goim/queue';
import { waitFor } from '@goim/testkit';
import { MemoryCometDirectory } from './comet-directory.js';
import { parseJobConfig, type JobConfigInput } from './config.js';
import { JobErrorCode } from './errors.js';
import { listenJobHttp } from './http.js';
import { createJob, splitSpeed, type Job } from './job.js';
import { startFakeComet, type FakeComet } from './testing/fake-comet.js';

/** A consumer the spec drives by hand: every `deliver` is one handler call, concurrent if the spec wants. */
class HandConsumer implements PushQueueConsumer {
  handler?: PushHandler;
  closed = false;
  private seq = 0;
  async start(handler: PushHandler): Promise<void> {
    this.handler = handler;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  deliver(msg: Partial<PushMsg>, key?: string, id = `t/0/${this.seq++}`): Promise<void> {
    const m = PushMsg.fromPartial(msg);
    const k = key ?? (m.type === 0 ? (m.keys[0] ?? '') : m.type === 1 ? m.room : String(m.operation));
    return this.handler!({ msg: m, key: k, id, attempt: 1 });
  }
}

const body = (s: string) => Buffer.from(s);

interface Rig {
  job: Job;
  consumer: HandConsumer;
  dir: MemoryCometDirectory;
  comets: FakeComet[];
}

const rigs: Rig[] = [];
async function rig(cometNames: string[], cfg: JobConfigInput = {}, zones: Record<string, string> = {}): Promise<Rig> {
  const comets = await Promise.all(cometNames.map((h) => startFakeComet(h)));
  const config = parseJobConfig({
    ...cfg,
    comet: { retryBase: 5, retryMax: 20, deadline: 2000, ...cfg.comet },
  });
  const dir = MemoryCometDirectory.fromAddresses(
    comets.map((c) => ({ hostname: c.hostname, addr: c.addr, zone: zones[c.hostname] ?? '' })),
    { deadlineMs: config.comet.deadline },
  );
  const consumer = new HandConsumer();
  const job = createJob(config, { consumer, comets: dir });
  await job.start();
  const r = { job, consumer, dir, comets };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.job.close();
    await r.dir.close();
    await Promise.all(r.comets.map((c) => c.close()));
  }
});

async function metric(job: Job, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await job.metrics.registry.getSingleMetric(name)!.get();
  return m.values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((a, v) => a + v.value, 0);
}

describe('job over gRPC to fake comets', () => {
  it('sends a PUSH to the comet named by server as an op-9 Proto wrapping one frame', async () => {
    const { consumer, comets } = await rig(['c1', 'c2']);
    await consumer.deliver({ type: 0, operation: 1000, server: 'c2', keys: ['k1', 'k2'], msg: body('hi'), msgID: 'm-1' });
    expect(comets[0]!.pushes).toHaveLength(0);
    const [req] = comets[1]!.pushes;
    expect(req).toMatchObject({ keys: ['k1', 'k2'], protoOp: 1000, msgID: 'm-1', proto: { ver: 1, op: 9, seq: 0 } });
    expect(Buffer.from(req!.proto!.body).toString('hex')).toBe('000000120010000100000' + '3e8' + '00000000' + '6869');
  });

  it('uses the queue entry id as msgID when the PushMsg has none (a Go logic)', async () => {
    const { consumer, comets } = await rig(['c1']);
    await consumer.deliver({ type: 0, operation: 1000, server: 'c1', keys: ['k'], msg: body('x') }, 'k', 'goim-push-topic/3/42');
    expect(comets[0]!.pushes[0]!.msgID).toBe('goim-push-topic/3/42');
  });

  it('batches room messages (20 per BroadcastRoom) to every comet, in order', async () => {
    const { job, consumer, comets } = await rig(['c1', 'c2']);
    await Promise.all(
      Array.from({ length: 45 }, (_, i) => consumer.deliver({ type: 1, operation: 1000, room: 'live://1', msg: body(`m${i}`), msgID: `r${i}` })),
    );
    for (const c of comets) {
      expect(c.roomBatches.map((b) => readRawBatch(b.proto!.body).length)).toEqual([20, 20, 5]);
      expect(c.roomBatches.every((b) => b.roomID === 'live://1' && b.proto!.op === 9)).toBe(true);
      expect(c.frames.get('live://1')!.map((f) => f.body)).toEqual(Array.from({ length: 45 }, (_, i) => `m${i}`));
    }
    expect(await metric(job, 'goim_job_delivered_total', { type: 'room' })).toBe(45);
    const hist = await job.metrics.registry.getSingleMetric('goim_job_room_batch_size')!.get();
    expect(hist.values.find((v) => (v as { metricName?: string }).metricName === 'goim_job_room_batch_size_count')!.value).toBe(3);
  });

  it('loses nothing when 10 000 room messages for 50 rooms arrive concurrently', async () => {
    const { job, consumer, comets } = await rig(['c1', 'c2']);
    const rooms = 50;
    const per = 200;
    const all: Promise<void>[] = [];
    for (let i = 0; i < per; i++) {
      for (let r = 0; r < rooms; r++) {
        all.push(consumer.deliver({ type: 1, operation: 1000, room: `live://${r}`, msg: body(String(i)), msgID: `${r}-${i}` }));
      }
    }
    await Promise.all(all);
    const expected = Array.from({ length: per }, (_, i) => String(i));
    for (const c of comets) {
      for (let r = 0; r < rooms; r++) expect(c.frames.get(`live://${r}`)!.map((f) => f.body)).toEqual(expected);
      expect(c.roomBatches.every((b) => readRawBatch(b.proto!.body).length <= 20)).toBe(true);
      expect(c.duplicates).toBe(0);
    }
    expect(await metric(job, 'goim_job_delivered_total', { type: 'room' })).toBe(rooms * per);
    expect(await metric(job, 'goim_job_undeliverable_total')).toBe(0);
  }, 30_000);

  it('retries a comet that fails temporarily and then delivers', async () => {
    const { job, consumer, comets } = await rig(['c1']);
    comets[0]!.failNext('pushMsg', 2, RpcStatus.UNAVAILABLE);
    await consumer.deliver({ type: 0, operation: 1000, server: 'c1', keys: ['k'], msg: body('x'), msgID: 'm' });
    expect(comets[0]!.pushes).toHaveLength(1);
    expect(await metric(job, 'goim_job_retried_total', { method: 'PushMsg' })).toBe(2);
  });

  it('leaves the message for redelivery after the retry budget, and the redelivery gets through', async () => {
    const { job, consumer, comets } = await rig(['c1', 'c2'], { comet: { retries: 2 } });
    comets[1]!.failNext('broadcastRoom', 3, RpcStatus.UNAVAILABLE);
    const msg = { type: 1, operation: 1000, room: 'r', msg: body('x'), msgID: 'm' } as const;
    await expect(consumer.deliver(msg, 'r', 'q/0/1')).rejects.toMatchObject({ code: JobErrorCode.DELIVERY_FAILED });
    expect(await metric(job, 'goim_job_redelivery_total', { type: 'room' })).toBe(1);
    await consumer.deliver(msg, 'r', 'q/0/1'); // the queue redelivers
    expect(comets[1]!.frames.get('r')!.map((f) => f.body)).toEqual(['x']);
    // c1 accepted the first time; the identical batch id lets it drop the copy
    expect(comets[0]!.frames.get('r')!.map((f) => f.body)).toEqual(['x']);
    expect(comets[0]!.duplicates).toBe(1);
  });

  it('sends each frame\'s msgID with a room batch, so a redelivery batched differently is not seen twice', async () => {
    const { consumer, comets } = await rig(['c1', 'c2'], { comet: { retries: 0 } });
    comets[1]!.failNext('broadcastRoom', 1, RpcStatus.UNAVAILABLE);
    const msg = (id: string) => ({ type: 1, operation: 1000, room: 'r', msg: body(id), msgID: id }) as const;
    const first = await Promise.allSettled([consumer.deliver(msg('x'), 'r', 'q/0/1'), consumer.deliver(msg('y'), 'r', 'q/0/2')]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']); // c2 failed the batch [x, y]
    expect(comets[0]!.roomBatches[0]!.msgIDs).toEqual(['x', 'y']);
    // The queue redelivers x next to a new message z, then y alone.
    await Promise.all([consumer.deliver(msg('x'), 'r', 'q/0/1'), consumer.deliver(msg('z'), 'r', 'q/0/3')]);
    await consumer.deliver(msg('y'), 'r', 'q/0/2');
    expect(comets[0]!.frames.get('r')!.map((f) => f.body)).toEqual(['x', 'y', 'z']);
    expect(comets[1]!.frames.get('r')!.map((f) => f.body)).toEqual(['x', 'z', 'y']);
  });

  it('counts a request a comet refuses for good as undeliverable and acknowledges it', async () => {
    const { job, consumer, comets } = await rig(['c1']);
    comets[0]!.failNext('pushMsg', 1, RpcStatus.INVALID_ARGUMENT);
    await consumer.deliver({ type: 0, operation: 1000, server: 'c1', keys: ['k'], msg: body('x'), msgID: 'm' });
    expect(await metric(job, 'goim_job_undeliverable_total', { type: 'push', reason: 'refused' })).toBe(1);
    expect(await metric(job, 'goim_job_retried_total')).toBe(0);
  });

  it('holds a PUSH to an unknown comet until the directory learns it', async () => {
    const { consumer, dir } = await rig(['c1']);
    const late = await startFakeComet('c9');
    try {
      let done = false;
      const p = consumer.deliver({ type: 0, operation: 1000, server: 'c9', keys: ['k'], msg: body('x'), msgID: 'm' }).then(() => {
        done = true;
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(done).toBe(false);
      dir.setAddress({ hostname: 'c9', addr: late.addr });
      await p;
      expect(late.frames.get('k')!.map((f) => f.body)).toEqual(['x']);
    } finally {
      await late.close();
    }
  });

  it('counts a PUSH whose comet never appears as undeliverable after the deadline', async () => {
    const { job, consumer } = await rig(['c1'], { job: { unknownServerDeadline: 60 } });
    await consumer.deliver({ type: 0, operation: 1000, server: 'nope', keys: ['k'], msg: body('x'), msgID: 'm' });
    expect(await metric(job, 'goim_job_undeliverable_total', { type: 'push', reason: 'unknown-server' })).toBe(1);
  });

  it('follows a comet that left the directory while a PUSH was retrying to its new address', async () => {
    const { consumer, dir, comets } = await rig(['c1'], { comet: { retries: 50, retryBase: 20, retryMax: 20 } });
    const moved = await startFakeComet('c1');
    try {
      comets[0]!.failNext('pushMsg', 1000, RpcStatus.UNAVAILABLE);
      const p = consumer.deliver({ type: 0, operation: 1000, server: 'c1', keys: ['k'], msg: body('x'), msgID: 'm' });
      await waitFor(() => comets[0]!.failed >= 2, 'a few failed attempts');
      dir.remove('c1');
      await new Promise((r) => setTimeout(r, 50));
      dir.setAddress({ hostname: 'c1', addr: moved.addr });
      await p;
      expect(moved.frames.get('k')!.map((f) => f.body)).toEqual(['x']);
      expect(comets[0]!.pushes).toHaveLength(0);
    } finally {
      await moved.close();
    }
  });

  it('skips a comet that left the directory for ROOM messages instead of failing them', async () => {
    const { job, consumer, dir, comets } = await rig(['c1', 'c2'], { comet: { retries: 50, retryBase: 20, retryMax: 20 } });
    comets[1]!.failNext('broadcastRoom', 1000, RpcStatus.UNAVAILABLE);
    const p = consumer.deliver({ type: 1, operation: 1000, room: 'r', msg: body('x'), msgID: 'm' });
    await waitFor(() => comets[1]!.failed >= 2, 'a few failed attempts');
    dir.remove('c2');
    await p;
    expect(comets[0]!.frames.get('r')!.map((f) => f.body)).toEqual(['x']);
    expect(await metric(job, 'goim_job_delivered_total', { type: 'room' })).toBe(1);
  });

  it('splits broadcast speed across comets', async () => {
    const { consumer, comets } = await rig(['c1', 'c2', 'c3']);
    await consumer.deliver({ type: 2, operation: 1000, speed: 10, msg: body('b1'), msgID: 'b1' });
    await consumer.deliver({ type: 2, operation: 1000, speed: 2, msg: body('b2'), msgID: 'b2' });
    await consumer.deliver({ type: 2, operation: 1000, speed: 0, msg: body('b3'), msgID: 'b3' });
    for (const c of comets) {
      expect(c.broadcasts.map((b) => b.speed)).toEqual([3, 1, 0]);
      expect(c.broadcasts.map((b) => b.protoOp)).toEqual([1000, 1000, 1000]);
      expect(c.frames.get('broadcast')!.map((f) => f.body)).toEqual(['b1', 'b2', 'b3']);
    }
  });

  it('acknowledges a broadcast when no comet is known, without crashing', async () => {
    const { job, consumer } = await rig([]);
    await consumer.deliver({ type: 2, operation: 1000, speed: 10, msg: body('b'), msgID: 'b' });
    await consumer.deliver({ type: 1, operation: 1000, room: 'r', msg: body('r'), msgID: 'r' });
    expect(await metric(job, 'goim_job_skipped_total', { reason: 'no-comets' })).toBe(2);
  });

  it('with job.zoneOnly routes only to comets of its own zone', async () => {
    const { job, consumer, comets } = await rig(['a1', 'b1'], { env: { zone: 'za' }, job: { zoneOnly: true } }, { a1: 'za', b1: 'zb' });
    await consumer.deliver({ type: 1, operation: 1000, room: 'r', msg: body('x'), msgID: 'r' });
    await consumer.deliver({ type: 0, operation: 1000, server: 'b1', keys: ['k'], msg: body('y'), msgID: 'p' });
    expect(comets[0]!.roomBatches).toHaveLength(1);
    expect(comets[1]!.roomBatches).toHaveLength(0);
    expect(comets[1]!.pushes).toHaveLength(0);
    expect(await metric(job, 'goim_job_skipped_total', { reason: 'other-zone' })).toBe(1);
  });

  it('routes to every zone by default', async () => {
    const { consumer, comets } = await rig(['a1', 'b1'], { env: { zone: 'za' } }, { a1: 'za', b1: 'zb' });
    await consumer.deliver({ type: 1, operation: 1000, room: 'r', msg: body('x'), msgID: 'r' });
    expect(comets.map((c) => c.roomBatches.length)).toEqual([1, 1]);
  });

  it('keeps order per key when pushes of one key arrive concurrently at a slow comet', async () => {
    const { consumer, comets } = await rig(['c1'], { comet: { routineSize: 8 } });
    comets[0]!.delayMs = 2;
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        consumer.deliver({ type: 0, operation: 1000, server: 'c1', keys: [`k${i % 3}`], msg: body(String(i)), msgID: `m${i}` }),
      ),
    );
    for (let k = 0; k < 3; k++) {
      const got = comets[0]!.frames.get(`k${k}`)!.map((f) => Number(f.body));
      expect(got).toEqual([...got].sort((a, b) => a - b));
      expect(got).toHaveLength(20);
    }
  });

  it('serves /metrics, /healthz and /readyz', async () => {
    const { job, consumer } = await rig(['c1']);
    await consumer.deliver({ type: 0, operation: 1000, server: 'c1', keys: ['k'], msg: body('x'), msgID: 'm' });
    const http = await listenJobHttp(job, 0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${http.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toContain('goim_job_consumed_total{type="push"} 1');
      expect(text).toContain('goim_job_delivered_total{type="push"} 1');
      expect(text).toContain('goim_job_comets 1');
      await job.close();
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
    } finally {
      await http.close();
    }
  });

  it('rejects deliveries once closing, so the queue keeps them', async () => {
    const { job, consumer } = await rig(['c1']);
    await job.close();
    expect(consumer.closed).toBe(true);
    await expect(consumer.deliver({ type: 0, operation: 1, server: 'c1', keys: ['k'], msg: body('x') })).rejects.toMatchObject({
      code: JobErrorCode.CLOSED,
    });
  });

  it('refuses a second start', async () => {
    const { job } = await rig(['c1']);
    await expect(job.start()).rejects.toMatchObject({ code: JobErrorCode.BAD_STATE });
  });

  it('reports the number of comets in the comets gauge', async () => {
    const { job } = await rig(['c1', 'c2']);
    await waitFor(async () => (await metric(job, 'goim_job_comets')) === 2, 'comet gauge');
  });
});

describe('splitSpeed', () => {
  it('divides speed across comets, keeps at least 1 and never divides by zero', () => {
    expect(splitSpeed(10, 3)).toBe(3);
    expect(splitSpeed(2, 3)).toBe(1); // goim: 0 = unthrottled (§10.26)
    expect(splitSpeed(0, 3)).toBe(0);
    expect(splitSpeed(10, 0)).toBe(0);
  });
});
