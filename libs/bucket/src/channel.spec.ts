import { DisconnectCode } from '@goim/protocol';
import { BucketError, Buckets, Channel } from './index.js';
import { RecordingSink } from './testing/index.js';

/** Buckets whose flush pass runs only when the test says so. */
function setup(opts: { maxOutboundBytes?: number } = {}) {
  const passes: (() => void)[] = [];
  const buckets = new Buckets({ size: 4, ...opts, defer: (fn) => passes.push(fn) });
  const tick = (): void => {
    const run = passes.splice(0);
    for (const fn of run) fn();
  };
  const open = (key: string, init: { mid?: number; ip?: string; accepts?: number[] } = {}) => {
    const sink = new RecordingSink();
    const ch = buckets.newChannel({ key, sink, ...init });
    buckets.put(ch);
    return { ch, sink };
  };
  return { buckets, passes, tick, open };
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('Channel', () => {
  it('rejects an empty key and a missing sink with GOIM_ERR_BUCKET_INVALID_ARGUMENT', () => {
    const { buckets } = setup();
    expect(() => buckets.newChannel({ key: '', sink: new RecordingSink() })).toThrow(
      expect.objectContaining({ code: 'GOIM_ERR_BUCKET_INVALID_ARGUMENT' }),
    );
    expect(() => new Channel({ key: 'k', sink: undefined as never }, buckets)).toThrow(BucketError);
  });

  it('keeps key, mid and ip and defaults mid to 0 and ip to empty', () => {
    const { buckets } = setup();
    const a = buckets.newChannel({ key: 'a', mid: 7, ip: '10.0.0.1', sink: new RecordingSink() });
    const b = buckets.newChannel({ key: 'b', sink: new RecordingSink() });
    expect([a.key, a.mid, a.ip]).toEqual(['a', 7, '10.0.0.1']);
    expect([b.mid, b.ip]).toEqual([0, '']);
  });

  describe('watch set (accepts)', () => {
    it('starts from accepts and changes with watch/unwatch', () => {
      const { buckets } = setup();
      const ch = buckets.newChannel({ key: 'k', sink: new RecordingSink(), accepts: [1000, 1001] });
      expect(ch.needPush(1000)).toBe(true);
      expect(ch.needPush(1002)).toBe(false);
      ch.watch([1002]);
      ch.unwatch([1000]);
      expect(ch.watchedOps()).toEqual([1001, 1002]);
      expect(ch.needPush(1000)).toBe(false);
    });

    it('needs no push of any op when the watch set is empty (goim compatibility)', () => {
      const { buckets } = setup();
      const ch = buckets.newChannel({ key: 'k', sink: new RecordingSink() });
      expect(ch.needPush(0)).toBe(false);
      expect(ch.needPush(1000)).toBe(false);
      ch.watch([5]);
      ch.unwatch([5]);
      expect(ch.needPush(5)).toBe(false);
      expect(ch.watchedOps()).toEqual([]);
    });

    it('keeps one entry per op and the same answers past eight ops (array → Set)', () => {
      const { buckets } = setup();
      const ch = buckets.newChannel({ key: 'k', sink: new RecordingSink(), accepts: [3, 1, 3, 2] });
      expect(ch.watchedOps()).toEqual([1, 2, 3]);
      ch.watch([4, 5, 6, 7, 8, 9, 10, 1]);
      expect(ch.watchedOps()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect([ch.needPush(10), ch.needPush(11)]).toEqual([true, false]);
      ch.unwatch([10, 11, 1]);
      expect(ch.watchedOps()).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      ch.unwatch([2, 3, 4, 5, 6, 7, 8, 9]);
      expect(ch.watchedOps()).toEqual([]);
      expect(ch.needPush(2)).toBe(false);
      ch.watch([42]);
      expect(ch.needPush(42)).toBe(true);
    });
  });

  describe('outbound queue', () => {
    it('coalesces several pushes in one tick into one flush call', () => {
      const { tick, open, passes } = setup();
      const { ch, sink } = open('k');
      const b1 = bytes(1);
      const b2 = bytes(2, 2);
      const b3 = bytes(3, 3, 3);
      expect(ch.pushRaw(b1)).toBe(true);
      expect(ch.pushRaw(b2)).toBe(true);
      expect(ch.pushRaw(b3)).toBe(true);
      expect(ch.queuedOutboundBytes).toBe(6);
      expect(sink.flushes).toHaveLength(0);
      expect(passes).toHaveLength(1);
      tick();
      expect(sink.flushes).toHaveLength(1);
      expect(sink.flushes[0]!.map((i) => i.bytes)).toEqual([b1, b2, b3]);
      expect(sink.flushes[0]!.every((i) => i.raw)).toBe(true);
      expect(sink.flushes[0]![0]!.bytes).toBe(b1);
      expect(ch.queuedOutboundBytes).toBe(0);
    });

    it('keeps the order of replies and pushes', () => {
      const { tick, open } = setup();
      const { ch, sink } = open('k');
      ch.pushRaw(bytes(1));
      ch.reply(bytes(2));
      ch.pushRaw(bytes(3));
      ch.reply(bytes(4));
      tick();
      expect(sink.items.map((i) => [i.raw, i.bytes[0]])).toEqual([
        [true, 1],
        [false, 2],
        [true, 3],
        [false, 4],
      ]);
    });

    it('arms one deferred pass for all dirty channels and flushes each once', () => {
      const { tick, open, passes, buckets } = setup();
      const chans = Array.from({ length: 50 }, (_, i) => open(`k${i}`));
      for (const { ch } of chans) {
        ch.pushRaw(bytes(1));
        ch.reply(bytes(2));
      }
      expect(passes).toHaveLength(1);
      expect(buckets.scheduler.pending).toBe(50);
      tick();
      for (const { sink } of chans) expect(sink.flushes).toHaveLength(1);
      expect(buckets.counters.flushes).toBe(50);
      // The next push arms a new pass.
      chans[0]!.ch.pushRaw(bytes(9));
      expect(passes).toHaveLength(1);
      tick();
      expect(chans[0]!.sink.flushes).toHaveLength(2);
    });

    it('flushes through setImmediate by default', async () => {
      const buckets = new Buckets({ size: 2 });
      const sink = new RecordingSink();
      const ch = buckets.newChannel({ key: 'k', sink });
      ch.pushRaw(bytes(1));
      ch.pushRaw(bytes(2));
      expect(sink.flushes).toHaveLength(0);
      await new Promise((r) => setImmediate(r));
      expect(sink.flushes).toHaveLength(1);
      expect(sink.flushes[0]).toHaveLength(2);
    });

    it('counts raw pushes as delivered', () => {
      const { open, buckets } = setup();
      const { ch } = open('k');
      ch.pushRaw(bytes(1));
      ch.reply(bytes(2));
      expect(buckets.counters.delivered).toBe(1);
    });
  });

  describe('slow consumer bound', () => {
    it('closes with an op-6 SLOW_CONSUMER notice and counts it when a push overflows', () => {
      const { tick, open, buckets } = setup({ maxOutboundBytes: 10 });
      const { ch, sink } = open('k');
      expect(ch.pushRaw(new Uint8Array(6))).toBe(true);
      expect(ch.pushRaw(new Uint8Array(4))).toBe(true);
      expect(ch.pushRaw(new Uint8Array(1))).toBe(false);
      expect(ch.closed).toBe(true);
      expect(sink.closeCalls).toBe(1);
      expect(sink.notice).toEqual({ code: DisconnectCode.SLOW_CONSUMER, reason: expect.any(String), reconnect: true });
      // The overflowing queue is discarded, not written: the notice says why.
      expect(sink.flushes).toHaveLength(0);
      expect(buckets.counters.overflowed).toBe(1);
      expect(buckets.get('k')).toBeUndefined();
      tick();
      expect(sink.flushes).toHaveLength(0);
    });

    it("counts the transport's buffered bytes toward the bound", () => {
      const { open, buckets } = setup({ maxOutboundBytes: 100 });
      const { ch, sink } = open('k');
      sink.bufferedBytes = 95;
      expect(ch.pushRaw(new Uint8Array(5))).toBe(true);
      expect(ch.reply(new Uint8Array(1))).toBe(false);
      expect(sink.notice?.code).toBe(DisconnectCode.SLOW_CONSUMER);
      expect(buckets.counters.overflowed).toBe(1);
    });

    it('refuses pushes after close without counting them as overflow', () => {
      const { open, buckets } = setup();
      const { ch } = open('k');
      ch.close();
      expect(ch.pushRaw(bytes(1))).toBe(false);
      expect(ch.reply(bytes(1))).toBe(false);
      expect(buckets.counters.overflowed).toBe(0);
    });
  });

  describe('close', () => {
    it('writes pending output, then closes the sink once with the notice, and unregisters', () => {
      const { tick, open, buckets } = setup();
      const { ch, sink } = open('k');
      buckets.joinRoom(ch, 'r');
      ch.pushRaw(bytes(1));
      const notice = { code: DisconnectCode.SHUTDOWN, reason: 'bye', reconnect: true };
      ch.close(notice);
      ch.close();
      expect(sink.calls).toEqual(['flush', 'close']);
      expect(sink.items.map((i) => i.bytes[0])).toEqual([1]);
      expect(sink.notice).toBe(notice);
      expect(buckets.get('k')).toBeUndefined();
      expect(buckets.rooms()).toEqual([]);
      tick();
      expect(sink.flushes).toHaveLength(1);
    });

    it('closes the channel and counts a sink error when flush throws', () => {
      const { tick, open, buckets } = setup();
      const { ch, sink } = open('k');
      sink.flush = () => {
        throw new Error('EPIPE');
      };
      ch.pushRaw(bytes(1));
      tick();
      expect(ch.closed).toBe(true);
      expect(sink.closeCalls).toBe(1);
      expect(sink.notice).toBeUndefined();
      expect(buckets.counters.sinkErrors).toBe(1);
      expect(buckets.get('k')).toBeUndefined();
    });

    it('still closes the sink when writing the pending output on close throws', () => {
      const { open, buckets } = setup();
      const { ch, sink } = open('k');
      sink.flush = () => {
        throw new Error('EPIPE');
      };
      ch.pushRaw(bytes(1));
      ch.close();
      expect(sink.closeCalls).toBe(1);
      expect(buckets.counters.sinkErrors).toBe(1);
    });

    it('survives a sink whose close throws', () => {
      const { open, buckets } = setup();
      const { ch, sink } = open('k');
      sink.close = () => {
        throw new Error('gone');
      };
      expect(() => ch.close()).not.toThrow();
      expect(buckets.counters.sinkErrors).toBe(1);
    });
  });
});
