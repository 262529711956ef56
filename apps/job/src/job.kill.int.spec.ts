/**
 * Kill test: a job process (apps/job/src/main.ts) consumes a stream of 5 000 numbered pushes
 * from a real Kafka broker and delivers them to fake comets in this process; it is SIGKILLed
 * mid-stream and a new job process takes over in the same consumer group. Every number must
 * reach its comet, in order per key; redelivered copies must carry the same msgID so the comet
 * drops them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PushMsg } from '@goim/protocol/rpc';
import { KafkaPushQueue } from '@goim/queue';
import { REPO_ROOT, requireService, uniquePrefix, waitFor } from '@goim/testkit';
import { startFakeComet, type FakeComet } from './testing/fake-comet.js';

const TOTAL = 5_000;
const KEYS = 50;

describe('job process killed mid-stream (Kafka)', () => {
  const brokers = requireService('GOIM_TEST_KAFKA_BROKERS');
  const children = new Set<ChildProcess>();
  const logs: string[] = [];
  let comets: FakeComet[] = [];
  let queue: KafkaPushQueue | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await queue?.close();
    await Promise.all(comets.map((c) => c.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function startJob(confPath: string): ChildProcess {
    const child = spawn(
      process.execPath,
      ['--conditions=@goim/source', '--import', 'tsx', join(REPO_ROOT, 'apps/job/src/main.ts'), '-conf', confPath],
      { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    const keep = (b: Buffer) => {
      logs.push(b.toString());
      if (logs.length > 200) logs.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return child;
  }

  it('delivers every number at least once and in order per key across a SIGKILL', async () => {
    const prefix = uniquePrefix('jobkill');
    const topic = `${prefix}push`;
    comets = await Promise.all(['c1', 'c2'].map((h) => startFakeComet(h)));
    dir = mkdtempSync(join(tmpdir(), 'goim-job-kill-'));
    const conf = join(dir, 'job.toml');
    writeFileSync(
      conf,
      [
        '[queue]',
        'type = "kafka"',
        '[kafka]',
        `topic = "${topic}"`,
        `group = "${prefix}group"`,
        `brokers = ["${brokers}"]`,
        'partitions = 4',
        'sessionTimeout = "6s"',
        'heartbeatInterval = "500ms"',
        'rebalanceTimeout = "10s"',
        '[httpServer]',
        'addr = ""',
        '[comet]',
        'retryBase = "20ms"',
        ...comets.flatMap((c) => ['[[comets]]', `hostname = "${c.hostname}"`, `addr = "grpc://${c.addr}"`]),
      ].join('\n'),
    );

    queue = new KafkaPushQueue({ brokers: [brokers], topic, partitions: 4 });
    const producer = queue.producer();
    const msg = (i: number) => {
      const k = i % KEYS;
      return PushMsg.fromPartial({
        type: 0,
        operation: 1000,
        server: `c${(k % 2) + 1}`,
        keys: [`k${k}`],
        msg: Buffer.from(String(i)),
        msgID: `n${i}`,
      });
    };
    // Topic exists (ensureTopic) before the job subscribes.
    await producer.publish(msg(0));

    const first = startJob(conf);
    const delivered = () => comets.reduce((n, c) => n + c.pushes.length, 0);
    let published = 1;
    const withLogs = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        throw new Error(`${(err as Error).message}; delivered ${delivered()} of ${published} published; job logs:\n${logs.join('').slice(-4000)}`, { cause: err });
      }
    };
    await withLogs(waitFor(() => delivered() >= 1, 'the first job to join the group and deliver push 0', 60_000, 20));
    // A flowing stream: 25 publishes every 20 ms, not waiting for each other (order per key is
    // the producer's call order), held back while more than 1 000 are undelivered, so the kill
    // below always lands mid-stream whatever the machine's speed.
    const publishes: Promise<void>[] = [];
    const publishing = new Promise<void>((resolve) => {
      const tick = () => {
        if (published - delivered() < 1_000) {
          for (let j = 0; j < 25 && published < TOTAL; j++) publishes.push(producer.publish(msg(published++)));
        }
        if (published < TOTAL) setTimeout(tick, 20);
        else resolve();
      };
      tick();
    }).then(() => Promise.all(publishes));

    await withLogs(waitFor(() => delivered() >= 1_500, 'the first job to deliver 1 500 pushes', 60_000, 20));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = delivered();
    const publishedAtKill = published;
    startJob(conf);
    await publishing;
    await withLogs(waitFor(() => delivered() >= TOTAL, `all ${TOTAL} pushes (killed at ${atKill})`, 90_000, 50));

    expect(publishedAtKill).toBeLessThan(TOTAL); // the kill really happened while the stream flowed
    for (let k = 0; k < KEYS; k++) {
      const comet = comets[k % 2]!;
      const got = (comet.frames.get(`k${k}`) ?? []).map((f) => Number(f.body));
      expect(got).toEqual(Array.from({ length: TOTAL / KEYS }, (_, j) => j * KEYS + k));
    }
    // Redelivered copies (if any) were recognised by msgID, never accepted twice.
    const accepted = comets.flatMap((c) => c.pushes.map((p) => p.msgID));
    expect(new Set(accepted).size).toBe(accepted.length);
  }, 180_000);
});
