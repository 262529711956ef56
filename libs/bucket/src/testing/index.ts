/**
 * Test doubles for code that embeds @goim/bucket (`@goim/bucket/testing`): a recording sink
 * for specs and a null sink for benchmarks.
 */
import type { DisconnectNotice } from '@goim/protocol';
import type { Outbound, Sink } from '../types.js';

/** A Sink that records every flush and the close call; `bufferedBytes` is settable. */
export class RecordingSink implements Sink {
  /** What the transport would report as not yet written; set it to simulate a slow reader. */
  bufferedBytes = 0;
  /** One entry per `flush` call, each a copy of the items. */
  readonly flushes: Outbound[][] = [];
  /** Number of `close` calls (a channel calls it at most once). */
  closeCalls = 0;
  /** The notice given to `close`, if any. */
  notice: DisconnectNotice | undefined = undefined;
  /** Every call in order, for ordering assertions: 'flush' or 'close'. */
  readonly calls: ('flush' | 'close')[] = [];

  flush(items: readonly Outbound[]): void {
    this.flushes.push([...items]);
    this.calls.push('flush');
  }

  close(notice?: DisconnectNotice): void {
    this.closeCalls++;
    this.notice = notice;
    this.calls.push('close');
  }

  /** Whether `close` was called. */
  get closed(): boolean {
    return this.closeCalls > 0;
  }

  /** All items flushed so far, in order. */
  get items(): Outbound[] {
    return this.flushes.flat();
  }
}

/** A Sink that only counts; `onFlush` lets a benchmark see when every sink has been written. */
export class NullSink implements Sink {
  bufferedBytes = 0;
  flushCount = 0;
  itemCount = 0;
  closed = false;
  constructor(private readonly onFlush?: (sink: NullSink) => void) {}

  flush(items: readonly Outbound[]): void {
    this.flushCount++;
    this.itemCount += items.length;
    this.onFlush?.(this);
  }

  close(): void {
    this.closed = true;
  }
}
