import { Buckets } from '../index.js';
import { NullSink, RecordingSink } from './index.js';

describe('@goim/bucket/testing', () => {
  it('NullSink counts flushes and items and reports each flush', () => {
    const seen: NullSink[] = [];
    const sink = new NullSink((s) => seen.push(s));
    const buckets = new Buckets({ size: 1, defer: () => {} });
    const ch = buckets.newChannel({ key: 'k', sink });
    ch.pushRaw(Uint8Array.of(1));
    ch.reply(Uint8Array.of(2));
    buckets.flush();
    expect([sink.flushCount, sink.itemCount]).toEqual([1, 2]);
    expect(seen).toEqual([sink]);
    ch.close();
    expect(sink.closed).toBe(true);
  });

  it('RecordingSink copies each flush so later mutation of the array does not change it', () => {
    const sink = new RecordingSink();
    const items = [{ raw: true, bytes: Uint8Array.of(1) }];
    sink.flush(items);
    items.length = 0;
    expect(sink.flushes[0]).toHaveLength(1);
    expect(sink.closed).toBe(false);
  });
});
