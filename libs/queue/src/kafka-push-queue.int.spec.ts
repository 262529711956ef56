import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { REPO_ROOT, requireService, uniquePrefix, waitFor } from '@goim/testkit';
import { contractMsg, describePushQueueContract } from '@goim/queue/testing';
import { PushMsg, PushMsg_Type } from '@goim/protocol/rpc';
import { KafkaPushQueue, keyPartition, QueueErrorCode, type PushDelivery } from '@goim/queue';

const brokers = requireService('GOIM_TEST_KAFKA_BROKERS').split(',');
const topicName = () => uniquePrefix('kq') + 'push';
// Low group timings so joins and rebalances take about a second (brokers allow ≥ 6 s sessions).
const fast = { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 6_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 100, commitIntervalMs: 50 };

describePushQueueContract('KafkaPushQueue', {
  bounded: false,
  testTimeoutMs: 60_000,
  create: (s) =>
    new KafkaPushQueue({
      brokers,
      topic: topicName(),
      partitions: s.partitions,
      retryDelaysMs: s.retryDelaysMs,
      drainTimeoutMs: s.drainTimeoutMs,
      ...fast,
    }),
});

describe('KafkaPushQueue', () => {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  async function offsets(topic: string): Promise<number[]> {
    const res = await admin.fetchTopicOffsets(topic);
    return res.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
  }

  it('rejects bad options naming the property', () => {
    expect(() => new KafkaPushQueue({})).toThrow(expect.objectContaining({ code: QueueErrorCode.INVALID_OPTIONS, message: expect.stringContaining('`brokers`') }));
    expect(() => new KafkaPushQueue({ brokers, kafka: new Kafka({ brokers }) })).toThrow(expect.objectContaining({ message: expect.stringContaining('mutually exclusive') }));
    expect(() => new KafkaPushQueue({ brokers, partitions: 0 })).toThrow(expect.objectContaining({ message: expect.stringContaining('`partitions`') }));
  });

  it('creates the topic with 16 partitions and puts each key on the partition sarama would pick, value = protobuf PushMsg', async () => {
    const topic = topicName();
    const q = new KafkaPushQueue({ brokers, topic, ...fast });
    const msgs: PushMsg[] = [
      { type: PushMsg_Type.ROOM, operation: 1000, speed: 0, server: '', room: 'live://1000', keys: [], msg: Buffer.from('r'), msgID: 'a' }, // → 12
      { ...contractMsg('foobar', 0) }, // keys[0] = foobar → 8
      { type: PushMsg_Type.BROADCAST, operation: 5, speed: 1, server: '', room: '', keys: [], msg: Buffer.from('b'), msgID: 'c' }, // "5" → 0
    ];
    for (const m of msgs) await q.producer().publish(m);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(16);
    const high = await offsets(topic);
    const expected = Array.from({ length: 16 }, () => 0);
    for (const p of [12, 8, 0]) expected[p]!++;
    expect(high).toEqual(expected);
    expect([keyPartition('live://1000', 16), keyPartition('foobar', 16), keyPartition('5', 16)]).toEqual([12, 8, 0]);

    // Read the raw records back with a plain kafkajs consumer: key bytes and value bytes.
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const raw = kafka.consumer({ groupId: uniquePrefix('raw'), sessionTimeout: 6_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await raw.connect();
    await raw.subscribe({ topics: [topic], fromBeginning: true });
    const got: Array<{ partition: number; key: string; value: Buffer }> = [];
    await raw.run({ eachMessage: async ({ partition, message }) => void got.push({ partition, key: message.key!.toString(), value: message.value! }) });
    const deadline = Date.now() + 20_000;
    while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await raw.disconnect();
    const byKey = new Map(got.map((g) => [g.key, g]));
    expect(byKey.get('live://1000')?.partition).toBe(12);
    expect(byKey.get('foobar')?.partition).toBe(8);
    expect(byKey.get('5')?.partition).toBe(0);
    expect(byKey.get('foobar')!.value.equals(Buffer.from(PushMsg.encode(msgs[1]!).finish()))).toBe(true);
    await q.close();
  }, 60_000);

  it('holds at most maxQueuedMessages publishes and makes the rest wait, losing none', async () => {
    const topic = topicName();
    const q = new KafkaPushQueue({ brokers, topic, partitions: 2, maxQueuedMessages: 50, maxBatchMessages: 20, ...fast });
    let maxSeen = 0;
    const all: Promise<void>[] = [];
    for (let s = 0; s < 600; s++) {
      all.push(q.producer().publish(contractMsg(`k${s % 3}`, s)));
      maxSeen = Math.max(maxSeen, q.queuedMessages);
    }
    const sampler = setInterval(() => (maxSeen = Math.max(maxSeen, q.queuedMessages)), 1);
    await Promise.all(all);
    clearInterval(sampler);
    expect(maxSeen).toBe(50);
    expect((await offsets(topic)).reduce((a, b) => a + b, 0)).toBe(600);
    await q.close();
  }, 60_000);

  it('rejects with GOIM_ERR_QUEUE_FULL when publishes stay queued past publishTimeoutMs', async () => {
    // An unreachable broker: the first publish sits in flight, the second waits for room.
    const q = new KafkaPushQueue({ kafka: new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 }, connectionTimeout: 200 }), topic: 't', ensureTopic: false, maxQueuedMessages: 1, publishTimeoutMs: 50 });
    const first = q.producer().publish(contractMsg('x', 0)).then(() => undefined, (err: unknown) => err);
    await expect(q.producer().publish(contractMsg('x', 1))).rejects.toMatchObject({ code: QueueErrorCode.FULL });
    expect(await first).toMatchObject({ code: QueueErrorCode.PUBLISH_FAILED });
    await q.close();
  }, 30_000);

  it('redelivers to another member what a SIGKILLed consumer process held unacknowledged', async () => {
    const topic = topicName();
    const group = uniquePrefix('kill');
    const dir = mkdtempSync(join(tmpdir(), 'goim-queue-kill-'));
    const script = join(dir, 'child.mts');
    // The child consumes and hangs forever on kill#3, then gets SIGKILLed: no close, no leave,
    // no commit of kill#3; the broker notices only when its session times out.
    writeFileSync(
      script,
      `import { KafkaPushQueue } from ${JSON.stringify(join(REPO_ROOT, 'libs/queue/src/index.ts'))};
const q = new KafkaPushQueue({ brokers: ${JSON.stringify(brokers)}, topic: ${JSON.stringify(topic)}, partitions: 2, ${Object.entries(fast).map(([k, v]) => `${k}: ${v}`).join(', ')} });
await q.consumer(${JSON.stringify(group)}).start(async (d) => {
  process.stdout.write('GOT ' + d.msg.msgID + '\\n');
  if (d.msg.msgID === 'kill#3') await new Promise(() => {});
});
process.stdout.write('READY\\n');
setInterval(() => {}, 1 << 30);
`,
    );
    let child: ChildProcess | undefined;
    const q = new KafkaPushQueue({ brokers, topic, partitions: 2, ...fast });
    try {
      for (let s = 0; s < 8; s++) await q.producer().publish(contractMsg('kill', s));
      let out = '';
      child = spawn(process.execPath, ['--conditions=@goim/source', '--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      await waitFor(() => out.includes('GOT kill#3'), 'the child to hold kill#3', 30_000);
      expect(out).not.toContain('GOT kill#4');
      child.kill('SIGKILL');
      const got: PushDelivery[] = [];
      const b = q.consumer(group);
      await b.start(async (d) => void got.push(d));
      await waitFor(() => got.some((d) => d.msg.msgID === 'kill#7'), 'b to get the rest', 30_000);
      const ids = got.map((d) => d.msg.msgID);
      // Messages the child finished may come again if their commit had not happened yet
      // (at-least-once), but kill#3..7 all come, in order, after them.
      const from3 = ids.indexOf('kill#3');
      expect(from3).toBeGreaterThanOrEqual(0);
      expect(ids.slice(from3)).toEqual([3, 4, 5, 6, 7].map((s) => `kill#${s}`));
      expect(ids.slice(0, from3)).toEqual(ids.slice(0, from3).slice().sort());
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await q.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('finishes an in-flight handler before its partition moves to a member that joins meanwhile', async () => {
    const topic = topicName();
    const group = uniquePrefix('rb');
    // Two keys on different partitions of 2.
    const keys = ['x', 'y', 'z', 'w', 'v'].filter((k, _, all) => keyPartition(k, 2) !== keyPartition(all[0]!, 2) || k === all[0]).slice(0, 2);
    expect(keys).toHaveLength(2);
    const q = new KafkaPushQueue({ brokers, topic, partitions: 2, ...fast });
    const events: string[] = [];
    const active = new Set<string>();
    const violations: string[] = [];
    let slowStarted = false;
    const handler = (who: string) => async (d: PushDelivery) => {
      if (active.has(d.key)) violations.push(`${d.msg.msgID} while ${d.key} active`);
      active.add(d.key);
      events.push(`${who}:start:${d.msg.msgID}`);
      if (d.msg.msgID === `${keys[0]}#0`) {
        slowStarted = true;
        await new Promise((r) => setTimeout(r, 1_500));
      }
      events.push(`${who}:end:${d.msg.msgID}`);
      active.delete(d.key);
    };
    try {
      for (let s = 0; s < 5; s++) for (const k of keys) await q.producer().publish(contractMsg(k, s));
      await q.consumer(group).start(handler('a'));
      await waitFor(() => slowStarted, 'a handling the slow message', 20_000);
      await q.consumer(group).start(handler('b'));
      // After the rebalance each member owns one partition: b gets one key's later messages.
      for (let s = 5; s < 10; s++) for (const k of keys) await q.producer().publish(contractMsg(k, s));
      await waitFor(() => keys.every((k) => events.some((e) => e.endsWith(`:end:${k}#9`))), 'all handled', 30_000);
      expect(violations).toEqual([]);
      const slowEnd = events.indexOf(`a:end:${keys[0]}#0`);
      expect(slowEnd).toBeGreaterThanOrEqual(0);
      // Nothing later of the slow key started before the slow message finished.
      for (let s = 1; s < 10; s++) {
        const starts = events.map((e, i) => (e.endsWith(`:start:${keys[0]}#${s}`) ? i : -1)).filter((i) => i >= 0);
        expect(starts.length).toBeGreaterThan(0);
        expect(Math.min(...starts)).toBeGreaterThan(slowEnd);
      }
      expect(events.some((e) => e.startsWith('b:'))).toBe(true);
    } finally {
      await q.close();
    }
  }, 60_000);
});
