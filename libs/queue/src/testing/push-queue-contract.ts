/**
 * The PushQueue contract suite: what every adapter must do, run against the real engine.
 * Call it from a spec with a factory that returns a fresh queue on a unique topic/stream:
 *
 * ```ts
 * describePushQueueContract('MemoryPushQueue', { bounded: true, create: (s) => new MemoryPushQueue(s) });
 * ```
 *
 * A third-party adapter proves itself the same way.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { PushMsg, PushMsg_Type } from '@goim/protocol/rpc';
import { QueueErrorCode } from '../errors.js';
import { pushMsgKey, type PushDelivery, type PushHandler, type PushQueue, type PushQueueConsumer } from '../push-queue.js';

/** Settings the suite asks a factory to apply to the queue it creates. */
export interface PushQueueContractSettings {
  /** Partitions / stream shards. */
  partitions: number;
  /** Delays between handler retries, ms (short, so tests stay quick). */
  retryDelaysMs: number[];
  /** How long `close()` waits for in-flight handlers, ms. */
  drainTimeoutMs: number;
  /** Backlog bound (bounded backends only; undefined = the backend's default). */
  capacity?: number;
  /** How long `publish` waits on a full backlog, ms (bounded backends only). */
  publishTimeoutMs?: number;
}

/** How {@link describePushQueueContract} builds queues for one backend. */
export interface PushQueueContractOptions {
  /** A fresh queue on a unique topic/stream name; the suite closes it. */
  create(settings: PushQueueContractSettings): PushQueue | Promise<PushQueue>;
  /**
   * Whether the backlog is bounded so `publish` waits when it is full (memory, Redis Streams).
   * Kafka's backlog is bounded by broker retention instead; its adapter spec tests its own
   * producer-side bound.
   */
  bounded: boolean;
  /** Per-test timeout, ms (default 30 000; Kafka group joins take seconds). */
  testTimeoutMs?: number;
  /** How long to wait for expected deliveries, ms (default 20 000). */
  waitMs?: number;
  /**
   * How long to watch for deliveries that must NOT happen, ms (default 300): e.g. a message
   * that was acknowledged before its consumer closed.
   */
  quietMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A PUSH message whose msgID and body identify `key`/`seq`. */
export function contractMsg(key: string, seq: number): PushMsg {
  return {
    type: PushMsg_Type.PUSH,
    operation: 1000,
    speed: 0,
    server: 'comet-1',
    room: '',
    keys: [key, `${key}-b`],
    msg: Buffer.from(`${key}#${seq}`),
    msgID: `${key}#${seq}`,
  };
}

function parseId(msgID: string): { key: string; seq: number } {
  const i = msgID.lastIndexOf('#');
  return { key: msgID.slice(0, i), seq: Number(msgID.slice(i + 1)) };
}

/**
 * Records deliveries and checks the per-key rules as they happen: never two handlers of one
 * key at once, and a message's first successful handling only after all earlier messages of
 * its key were handled (duplicates of already-handled messages are allowed: at-least-once).
 */
class Recorder {
  readonly handled = new Map<string, number[]>();
  readonly done = new Set<string>();
  readonly byConsumer = new Map<string, number>();
  readonly violations: string[] = [];
  readonly deliveries: PushDelivery[] = [];
  private readonly active = new Set<string>();

  handler(name: string, work?: (d: PushDelivery) => Promise<void>): PushHandler {
    return async (d) => {
      this.deliveries.push(d);
      if (this.active.has(d.key)) this.violations.push(`key ${d.key} handled concurrently (${d.msg.msgID})`);
      this.active.add(d.key);
      try {
        if (work) await work(d);
      } finally {
        this.active.delete(d.key);
      }
      const { key, seq } = parseId(d.msg.msgID);
      const seen = this.handled.get(key) ?? [];
      if (!this.done.has(d.msg.msgID)) {
        for (let s = 0; s < seq; s++) {
          if (!this.done.has(`${key}#${s}`)) {
            this.violations.push(`${d.msg.msgID} handled before ${key}#${s}`);
            break;
          }
        }
      }
      seen.push(seq);
      this.handled.set(key, seen);
      this.done.add(d.msg.msgID);
      this.byConsumer.set(name, (this.byConsumer.get(name) ?? 0) + 1);
    };
  }

  /** Marks a handler as dead (it will never finish), so it no longer counts as active. */
  release(key: string): void {
    this.active.delete(key);
  }

  count(): number {
    return this.done.size;
  }
}

async function waitUntil(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function expectAll(rec: Recorder, keys: string[], perKey: number): void {
  expect(rec.violations).toEqual([]);
  for (const k of keys) {
    for (let s = 0; s < perKey; s++) expect(rec.done.has(`${k}#${s}`)).toBe(true);
  }
  expect(rec.count()).toBe(keys.length * perKey);
}

/** Registers the PushQueue contract tests for one backend. */
export function describePushQueueContract(name: string, options: PushQueueContractOptions): void {
  const timeout = options.testTimeoutMs ?? 30_000;
  const waitMs = options.waitMs ?? 20_000;
  const quietMs = options.quietMs ?? 300;
  const base: PushQueueContractSettings = { partitions: 4, retryDelaysMs: [20, 40], drainTimeoutMs: 300 };

  describe(`PushQueue contract: ${name}`, () => {
    const open: PushQueue[] = [];
    const hung: Array<() => void> = [];
    async function create(settings: Partial<PushQueueContractSettings> = {}): Promise<PushQueue> {
      const q = await options.create({ ...base, ...settings });
      open.push(q);
      return q;
    }
    afterEach(async () => {
      for (const release of hung.splice(0)) release();
      await Promise.all(open.splice(0).map((q) => q.close()));
    });

    it(
      'delivers the exact PushMsg of every type with its key, an id and attempt 1',
      async () => {
        const q = await create();
        const msgs: PushMsg[] = [
          { ...contractMsg('k1', 0) },
          { type: PushMsg_Type.ROOM, operation: 1000, speed: 0, server: '', room: 'live://1000', keys: [], msg: Buffer.from([0, 1, 2, 255]), msgID: 'room#0' },
          { type: PushMsg_Type.BROADCAST, operation: 1001, speed: 2, server: '', room: '', keys: [], msg: Buffer.alloc(0), msgID: 'bc#0' },
        ];
        const got: PushDelivery[] = [];
        const c = q.consumer('g-roundtrip');
        await c.start(async (d) => {
          got.push(d);
        });
        for (const m of msgs) await q.producer().publish(m);
        await waitUntil(() => got.length >= 3, '3 deliveries', waitMs);
        const byId = new Map(got.map((d) => [d.msg.msgID, d]));
        for (const m of msgs) {
          const d = byId.get(m.msgID)!;
          expect(d).toBeDefined();
          expect(d.msg).toEqual(m);
          expect(Buffer.from(d.msg.msg).equals(Buffer.from(m.msg))).toBe(true);
          expect(d.key).toBe(pushMsgKey(m));
          expect(typeof d.id).toBe('string');
          expect(d.id.length).toBeGreaterThan(0);
          expect(d.attempt).toBe(1);
        }
        expect(new Set(got.map((d) => d.id)).size).toBe(3);
        await sleep(quietMs);
        expect(got.length).toBe(3);
      },
      timeout,
    );

    it(
      'keeps order per key while keys published concurrently are handled in parallel',
      async () => {
        const q = await create();
        const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
        const perKey = 40;
        const rec = new Recorder();
        let concurrent = 0;
        let maxConcurrent = 0;
        const c = q.consumer('g-order');
        await c.start(
          rec.handler('c', async () => {
            concurrent++;
            maxConcurrent = Math.max(maxConcurrent, concurrent);
            await sleep(Math.random() < 0.2 ? 2 : 0);
            concurrent--;
          }),
        );
        // Interleave publish calls of all keys without awaiting in between.
        const pending: Promise<void>[] = [];
        for (let s = 0; s < perKey; s++) for (const k of keys) pending.push(q.producer().publish(contractMsg(k, s)));
        await Promise.all(pending);
        await waitUntil(() => rec.count() >= keys.length * perKey, 'all deliveries', waitMs);
        expectAll(rec, keys, perKey);
        for (const k of keys) expect(rec.handled.get(k)).toEqual(Array.from({ length: perKey }, (_, i) => i));
        expect(maxConcurrent).toBeGreaterThan(1);
      },
      timeout,
    );

    it(
      'redelivers a message whose handler rejected, before any later message of its key',
      async () => {
        const q = await create();
        const rec = new Recorder();
        const attempts: number[] = [];
        const c = q.consumer('g-retry');
        await c.start(
          rec.handler('c', async (d) => {
            if (d.msg.msgID === 'r#1') {
              attempts.push(d.attempt);
              if (attempts.length <= 2) throw new Error('transient failure');
            }
          }),
        );
        for (let s = 0; s < 5; s++) await q.producer().publish(contractMsg('r', s));
        await waitUntil(() => rec.count() >= 5, '5 handled', waitMs);
        expectAll(rec, ['r'], 5);
        expect(rec.handled.get('r')).toEqual([0, 1, 2, 3, 4]);
        expect(attempts.length).toBe(3);
        expect(attempts[2]).toBeGreaterThan(1);
      },
      timeout,
    );

    it(
      'gives the unacknowledged messages of a consumer that closed mid-handling to another member',
      async () => {
        const q = await create();
        const rec = new Recorder();
        const keys = ['d0', 'd1', 'd2', 'd3'];
        const perKey = 10;
        let stuck: PushDelivery | undefined;
        const a = q.consumer('g-dead');
        await a.start(
          rec.handler('a', async (d) => {
            // Never finishes d0#3: the consumer "dies" holding it.
            if (d.msg.msgID === 'd0#3') {
              stuck = d;
              rec.release(d.key);
              await new Promise<void>((r) => hung.push(r));
              throw new Error('abandoned handler finally gave up');
            }
          }),
        );
        for (let s = 0; s < perKey; s++) for (const k of keys) await q.producer().publish(contractMsg(k, s));
        await waitUntil(() => stuck !== undefined, 'a holding d0#3', waitMs);
        await sleep(quietMs);
        expect(rec.done.has('d0#3')).toBe(false);
        expect(rec.done.has('d0#4')).toBe(false);
        await a.close(); // drain times out: d0#3 stays unacknowledged
        const b = q.consumer('g-dead');
        await b.start(rec.handler('b'));
        await waitUntil(() => rec.count() >= keys.length * perKey, 'd0 handled by b', waitMs);
        expectAll(rec, keys, perKey);
        expect(rec.handled.get('d0')).toEqual(Array.from({ length: perKey }, (_, i) => i));
        expect(rec.byConsumer.get('b')).toBeGreaterThanOrEqual(perKey - 3);
        expect(stuck!.attempt).toBe(1);
      },
      timeout,
    );

    it(
      'splits work between members without loss or per-key reordering when one joins and another leaves mid-stream',
      async () => {
        const q = await create();
        const rec = new Recorder();
        const keys = Array.from({ length: 12 }, (_, i) => `rb-${i}`);
        const slow = async () => sleep(1);
        const a = q.consumer('g-rebalance');
        await a.start(rec.handler('a', slow));
        let seq = 0;
        let stop = false;
        // Publishes a paced stream until b has taken part for a while (bounded by waitMs).
        const publishing = (async () => {
          const deadline = Date.now() + waitMs;
          while (!stop && Date.now() < deadline) {
            await Promise.all(keys.map((k) => q.producer().publish(contractMsg(k, seq))));
            seq++;
            await sleep(10);
          }
        })();
        await waitUntil(() => rec.count() >= 40, 'a handling', waitMs);
        const b = q.consumer('g-rebalance');
        await b.start(rec.handler('b', slow));
        await waitUntil(() => (rec.byConsumer.get('b') ?? 0) >= 40, 'b handling', waitMs);
        const atJoin = rec.byConsumer.get('a') ?? 0;
        await waitUntil(() => (rec.byConsumer.get('a') ?? 0) > atJoin + 10 || seq > 300, 'a still handling after b joined', waitMs);
        // Then a leaves mid-stream: its partitions move back to b, still without loss or reordering.
        await a.close();
        const atLeave = rec.byConsumer.get('b') ?? 0;
        await waitUntil(() => (rec.byConsumer.get('b') ?? 0) >= atLeave + 80, 'b handling after a left', waitMs);
        stop = true;
        await publishing;
        await waitUntil(() => rec.count() >= keys.length * seq, 'all deliveries', waitMs);
        expectAll(rec, keys, seq);
        expect(rec.byConsumer.get('a')).toBeGreaterThan(0);
        expect(rec.byConsumer.get('b')).toBeGreaterThan(0);
      },
      Math.max(timeout, waitMs * 3),
    );

    it(
      'delivers everything to each of two groups',
      async () => {
        const q = await create();
        const r1 = new Recorder();
        const r2 = new Recorder();
        const c1 = q.consumer('g-one');
        const c2 = q.consumer('g-two');
        await Promise.all([c1.start(r1.handler('c1')), c2.start(r2.handler('c2'))]);
        const keys = ['x', 'y', 'z'];
        for (let s = 0; s < 10; s++) await Promise.all(keys.map((k) => q.producer().publish(contractMsg(k, s))));
        await waitUntil(() => r1.count() >= 30 && r2.count() >= 30, 'both groups', waitMs);
        expectAll(r1, keys, 10);
        expectAll(r2, keys, 10);
      },
      timeout,
    );

    it(
      'drains an in-flight handler on close, acknowledges it, and is safe to close twice',
      async () => {
        const q = await create();
        const rec = new Recorder();
        let started = false;
        let finished = false;
        const a = q.consumer('g-drain');
        await a.start(
          rec.handler('a', async (d) => {
            if (d.msg.msgID === 'dr#0') {
              started = true;
              await sleep(150);
              finished = true;
            }
          }),
        );
        await q.producer().publish(contractMsg('dr', 0));
        await waitUntil(() => started, 'handler started', waitMs);
        await a.close();
        expect(finished).toBe(true);
        await a.close();
        await expect(a.start(async () => {})).rejects.toMatchObject({ code: QueueErrorCode.CLOSED });
        // The drained message was acknowledged: the next member sees only the new one.
        const b = q.consumer('g-drain');
        await b.start(rec.handler('b'));
        await q.producer().publish(contractMsg('dr', 1));
        await waitUntil(() => rec.done.has('dr#1'), 'dr#1', waitMs);
        await sleep(quietMs);
        expect(rec.deliveries.map((d) => d.msg.msgID)).toEqual(['dr#0', 'dr#1']);
        await expect(b.start(async () => {})).rejects.toMatchObject({ code: QueueErrorCode.ALREADY_STARTED });
        await q.close();
        await q.close();
        await expect(q.producer().publish(contractMsg('dr', 2))).rejects.toMatchObject({ code: QueueErrorCode.CLOSED });
      },
      timeout,
    );

    it(
      'rejects a publish of something that is not a PushMsg with GOIM_ERR_QUEUE_INVALID_MESSAGE',
      async () => {
        const q = await create();
        await expect(q.producer().publish({ type: 0 } as unknown as PushMsg)).rejects.toMatchObject({ code: QueueErrorCode.INVALID_MESSAGE });
        await expect(q.producer().publish({ ...contractMsg('k', 0), msg: 'text' } as unknown as PushMsg)).rejects.toMatchObject({ code: QueueErrorCode.INVALID_MESSAGE });
      },
      timeout,
    );

    it(
      'resolves a publish made just before the producer closes, then rejects publishes with GOIM_ERR_QUEUE_CLOSED',
      async () => {
        const q = await create();
        const p = q.producer();
        const last = p.publish(contractMsg('pc', 0));
        await p.close();
        await last;
        await p.close();
        await expect(p.publish(contractMsg('pc', 1))).rejects.toMatchObject({ code: QueueErrorCode.CLOSED });
        const rec = new Recorder();
        await q.consumer('g-pc').start(rec.handler('c'));
        await waitUntil(() => rec.count() >= 1, 'pc#0', waitMs);
        await sleep(quietMs);
        expect(rec.deliveries.map((d) => d.msg.msgID)).toEqual(['pc#0']);
      },
      timeout,
    );

    const N = 4;
    const seqOf = (d: PushDelivery) => parseId(d.msg.msgID).seq;

    it(
      `pipelined (maxInFlightPerKey ${N}): calls the handler in publish order with up to ${N} messages of a key in flight`,
      async () => {
        const q = await create();
        const total = 24;
        for (let s = 0; s < total; s++) await q.producer().publish(contractMsg('pw', s));
        const calls: number[] = [];
        let active = 0;
        let maxActive = 0;
        const c = q.consumer('g-pipe-order');
        await c.start(
          async (d) => {
            calls.push(seqOf(d));
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(25);
            active--;
          },
          { maxInFlightPerKey: N },
        );
        await waitUntil(() => calls.length >= total, 'all calls', waitMs);
        await sleep(quietMs);
        expect(calls).toEqual(Array.from({ length: total }, (_, i) => i));
        expect(maxActive).toBe(N);
        await expect(q.consumer('g-pipe-bad').start(async () => {}, { maxInFlightPerKey: 0 })).rejects.toMatchObject({ code: QueueErrorCode.INVALID_OPTIONS });
      },
      timeout,
    );

    it(
      `pipelined (maxInFlightPerKey ${N}): acknowledges contiguously, so a consumer that dies with ${N} in flight hands the group everything from the first unresolved message`,
      async () => {
        const q = await create();
        const total = 10;
        for (let s = 0; s < total; s++) await q.producer().publish(contractMsg('pc', s));
        const aCalls: number[] = [];
        const a = q.consumer('g-pipe-crash');
        await a.start(
          async (d) => {
            aCalls.push(seqOf(d));
            // pc#2 never finishes; 3, 4, 5 resolve at once but stay unacknowledged behind it.
            if (seqOf(d) === 2) await new Promise<void>((r) => hung.push(r));
          },
          { maxInFlightPerKey: N },
        );
        await waitUntil(() => aCalls.length >= 2 + N, `${2 + N} calls on a`, waitMs);
        await sleep(quietMs);
        // The window is full: pc#2 plus the N-1 after it; nothing beyond.
        expect(aCalls).toEqual(Array.from({ length: 2 + N }, (_, i) => i));
        await a.close(); // drain times out: pc#2 is abandoned unacknowledged
        const bCalls: number[] = [];
        const b = q.consumer('g-pipe-crash');
        await b.start(async (d) => void bCalls.push(seqOf(d)), { maxInFlightPerKey: N });
        await waitUntil(() => bCalls.length >= total - 2, 'b catching up', waitMs);
        await sleep(quietMs);
        expect(bCalls).toEqual(Array.from({ length: total - 2 }, (_, i) => i + 2));
      },
      timeout,
    );

    it(
      `pipelined (maxInFlightPerKey ${N}): a rejection mid-window stops the key, then redelivers from the rejected message in order`,
      async () => {
        const q = await create();
        const total = 10;
        for (let s = 0; s < total; s++) await q.producer().publish(contractMsg('pr', s));
        const got: PushDelivery[] = [];
        let failed = false;
        const c = q.consumer('g-pipe-reject');
        await c.start(
          async (d) => {
            got.push(d);
            if (seqOf(d) === 3 && !failed) {
              failed = true;
              await sleep(50); // 4, 5, 6 are handed out and resolve meanwhile
              throw new Error('transient failure');
            }
          },
          { maxInFlightPerKey: N },
        );
        await waitUntil(() => got.length > 0 && seqOf(got[got.length - 1]!) === total - 1, 'the last message', waitMs);
        await sleep(quietMs);
        const seqs = got.map(seqOf);
        const retry = seqs.indexOf(3, seqs.indexOf(3) + 1);
        expect(retry).toBeGreaterThan(0);
        // First pass: 0..6 (3 rejected after 4, 5, 6 went out; nothing beyond the window).
        expect(seqs.slice(0, retry)).toEqual(Array.from({ length: 3 + N }, (_, i) => i));
        // Then from the rejected one, in order, 4..6 again (at-least-once) and the rest.
        expect(seqs.slice(retry)).toEqual(Array.from({ length: total - 3 }, (_, i) => i + 3));
        expect(got[retry]!.attempt).toBeGreaterThan(1);
      },
      timeout,
    );

    if (options.bounded) {
      it(
        'makes publish wait while the backlog is full and resumes in order once a consumer catches up',
        async () => {
          const capacity = 20;
          const q = await create({ capacity, publishTimeoutMs: 15_000 });
          for (let s = 0; s < capacity; s++) await q.producer().publish(contractMsg('bp', s));
          let resolved = 0;
          const extra = [capacity, capacity + 1, capacity + 2].map((s) => q.producer().publish(contractMsg('bp', s)).then(() => void resolved++));
          await sleep(quietMs);
          expect(resolved).toBe(0);
          const rec = new Recorder();
          const c: PushQueueConsumer = q.consumer('g-bp');
          await c.start(rec.handler('c'));
          await Promise.all(extra);
          await waitUntil(() => rec.count() >= capacity + 3, 'all deliveries', waitMs);
          expectAll(rec, ['bp'], capacity + 3);
          expect(rec.handled.get('bp')).toEqual(Array.from({ length: capacity + 3 }, (_, i) => i));
        },
        timeout,
      );

      it(
        'rejects a publish with GOIM_ERR_QUEUE_FULL when the backlog stays full past publishTimeoutMs',
        async () => {
          const q = await create({ capacity: 5, publishTimeoutMs: 100 });
          for (let s = 0; s < 5; s++) await q.producer().publish(contractMsg('full', s));
          await expect(q.producer().publish(contractMsg('full', 5))).rejects.toMatchObject({ code: QueueErrorCode.FULL });
          // Nothing was stored for the rejected publish: a consumer sees exactly the 5 accepted.
          const rec = new Recorder();
          await q.consumer('g-full').start(rec.handler('c'));
          await waitUntil(() => rec.count() >= 5, '5 deliveries', waitMs);
          await sleep(quietMs);
          expect(rec.deliveries.map((d) => d.msg.msgID)).toEqual([0, 1, 2, 3, 4].map((s) => `full#${s}`));
        },
        timeout,
      );
    }
  });
}
