/**
 * Room batcher (spec §4.3, with goim's defaults: 20 frames, 1 s window, 15 min idle).
 *
 * Each room collects pre-serialised frames; a batch is flushed when it holds `batch` frames,
 * when `signalMs` passed since its first frame, or (goim-ts, optional) when no further room
 * message arrived within one timer tick. The flush callback delivers the concatenated frames
 * to every comet; the promise `push()` returned for each frame settles with that delivery, so
 * the queue acknowledges a room message only once every comet accepted its batch.
 *
 * Fixes of goim's room.go (spec §10.25):
 * - a full room never drops: `push()` waits (back-pressure to the consumer) until earlier
 *   messages of the room settled, and admits waiters in arrival order;
 * - timers carry a token, so a window timer firing after a size-triggered flush is ignored,
 *   and a room is reaped only when it holds nothing and nothing is in flight (the #310 race).
 */
import { createHash } from 'node:crypto';
import { encodeRawBatch, type RawBatchItem } from '@goim/protocol';
import { JobError, JobErrorCode } from './errors.js';
import type { Timers } from './timers.js';

export interface RoomBatcherOptions {
  /** Frames per batch (goim `room.batch`, 20). */
  batch: number;
  /** Longest wait of a batch's first frame, ms (goim `room.signal`, 1 s). */
  signalMs: number;
  /** An empty room is forgotten after this long, ms (goim `room.idle`, 15 min). */
  idleMs: number;
  /** Unsettled frames (collecting + in flight) per room before `push()` waits. */
  maxPending: number;
  /** Flush every collecting room once no room message arrived within one timer tick. */
  flushWhenIdle: boolean;
  /**
   * With `flushWhenIdle`: a message reaching a room that had no message for at least this
   * long (ms) is flushed at the end of the current event-loop turn instead of after the
   * timer tick. Default {@link DEFAULT_ROOM_QUIET_MS}; 0 = every message counts as quiet,
   * Infinity = none does (always wait the tick).
   */
  quietMs?: number;
  /**
   * Runs `fn` once after the current event-loop turn's I/O. Default `setImmediate`, looked up
   * at call time so fake timers apply.
   */
  defer?: (fn: () => void) => void;
  timers: Timers;
  /** Called with each flushed batch's frame count (metrics). */
  onBatch?: (size: number) => void;
}

/**
 * Below this gap (ms) between two messages of a room, the room counts as streaming and its
 * batch waits a timer tick for company; above it, it is quiet and flushes at the end of the
 * turn. 100 ms: a room pushed more than 10 times a second batches exactly as before; one
 * pushed less often gains nothing from the wait (tools/bench, many small rooms).
 */
export const DEFAULT_ROOM_QUIET_MS = 100;

/** One flushed batch, as handed to the delivery callback. */
export interface RoomBatch {
  room: string;
  /** The frames concatenated: the body of the op-9 Proto. */
  body: Buffer;
  /** msgIDs of the frames, in order. */
  ids: string[];
  /** Deterministic id of the batch (see {@link roomBatchId}). */
  batchId: string;
}

/** Delivers one batch; resolving acknowledges every frame of it. */
export type RoomFlush = (batch: RoomBatch) => Promise<void>;

/**
 * The BroadcastRoom msgID of a batch: the message's own id for a batch of one, else a hash
 * of the ids in order. A redelivered batch with the same messages in the same order gets the
 * same id and a comet can drop it; a redelivery that groups messages differently gets a new
 * id, so those clients may see duplicates (at-least-once, documented in the README).
 */
export function roomBatchId(ids: readonly string[]): string {
  if (ids.length === 1) return ids[0]!;
  return 'rb-' + createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 32);
}

interface Entry {
  item: RawBatchItem;
  id: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Room {
  id: string;
  collecting: Entry[];
  firstAt: number;
  /** When the room's latest message was admitted (ms; -Infinity before the first). */
  lastAt: number;
  /** Admitted and not yet settled (collecting + in flight). */
  unsettled: number;
  waiters: Entry[];
  timer: unknown;
  /** Bumped on every timer change: a callback with an old token does nothing. */
  token: number;
}

export class RoomBatcher {
  private readonly rooms = new Map<string, Room>();
  private arrivals = 0;
  private idleCheck: { handle: unknown; seen: number } | undefined;
  /** Quiet rooms to flush at the end of this turn, and whether that pass is armed. */
  private quiet: Room[] = [];
  private quietArmed = false;
  private readonly quietMs: number;
  private readonly defer: (fn: () => void) => void;
  private readonly runQuiet = (): void => this.flushQuiet();
  private closing = false;

  constructor(
    private readonly flush: RoomFlush,
    private readonly opts: RoomBatcherOptions,
  ) {
    this.quietMs = opts.quietMs ?? DEFAULT_ROOM_QUIET_MS;
    this.defer = opts.defer ?? ((fn) => void setImmediate(fn));
  }

  /** Adds a frame (`{op, body}`, sent as ver 1 seq 0) for `room`; settles when the batch holding it was delivered (or failed). */
  push(room: string, item: RawBatchItem, id: string): Promise<void> {
    let r = this.rooms.get(room);
    if (!r) {
      r = { id: room, collecting: [], firstAt: 0, lastAt: -Infinity, unsettled: 0, waiters: [], timer: undefined, token: 0 };
      this.rooms.set(room, r);
    }
    const target = r;
    return new Promise<void>((resolve, reject) => {
      const e: Entry = { item, id, resolve, reject };
      if (target.waiters.length > 0 || target.unsettled >= this.opts.maxPending) target.waiters.push(e);
      else this.admit(target, e);
    });
  }

  /** Rooms currently held. */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** Frames admitted or waiting, not yet settled, over every room. */
  get pending(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.unsettled + r.waiters.length;
    return n;
  }

  /** Flushes every collecting batch now (shutdown). */
  flushAll(): void {
    for (const r of [...this.rooms.values()]) if (r.collecting.length > 0) this.flushRoom(r);
  }

  /** From now on every admitted frame is flushed at once; collecting batches are flushed. */
  startClosing(): void {
    this.closing = true;
    if (this.idleCheck) this.opts.timers.clearTimeout(this.idleCheck.handle);
    this.idleCheck = undefined;
    this.flushAll();
  }

  /** Rejects frames still waiting for admission (GOIM_ERR_JOB_CLOSED) and clears timers. */
  close(): void {
    this.startClosing();
    for (const r of this.rooms.values()) {
      for (const w of r.waiters.splice(0)) w.reject(new JobError(JobErrorCode.CLOSED, 'job is closing'));
      this.setTimer(r, undefined);
    }
  }

  private admit(r: Room, e: Entry): void {
    r.unsettled++;
    r.collecting.push(e);
    this.arrivals++;
    const now = this.opts.timers.now();
    const quiet = this.quietMs < Infinity && now - r.lastAt >= this.quietMs;
    r.lastAt = now;
    if (r.collecting.length === 1) {
      r.firstAt = now;
      this.setTimer(r, this.opts.signalMs);
    }
    if (this.closing || r.collecting.length >= this.opts.batch || now - r.firstAt >= this.opts.signalMs) {
      this.flushRoom(r);
      return;
    }
    if (!this.opts.flushWhenIdle) return;
    // A quiet room (e.g. one of many small rooms) rarely gets company within a tick: waiting
    // for the timer would only cost the process one more wake-up per push (tools/bench README).
    // A streaming room waits the tick, which is what fills its batches under load.
    if (quiet) this.scheduleQuietFlush(r);
    else this.scheduleIdleCheck();
  }

  private scheduleQuietFlush(r: Room): void {
    this.quiet.push(r);
    if (!this.quietArmed) {
      this.quietArmed = true;
      this.defer(this.runQuiet);
    }
  }

  private flushQuiet(): void {
    this.quietArmed = false;
    const list = this.quiet;
    this.quiet = [];
    // A room flushed meanwhile (full batch, shutdown) has nothing collecting: flushRoom skips it.
    for (const r of list) this.flushRoom(r);
  }

  private flushRoom(r: Room): void {
    const entries = r.collecting;
    if (entries.length === 0) return;
    r.collecting = [];
    this.setTimer(r, this.opts.idleMs);
    const ids = entries.map((e) => e.id);
    const body = toBuffer(encodeRawBatch(entries.map((e) => e.item)));
    this.opts.onBatch?.(entries.length);
    let p: Promise<void>;
    try {
      p = this.flush({ room: r.id, body, ids, batchId: roomBatchId(ids) });
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      () => this.settle(r, entries, undefined),
      (err: unknown) => this.settle(r, entries, err ?? new Error('room flush failed')),
    );
  }

  private settle(r: Room, entries: Entry[], err: unknown): void {
    r.unsettled -= entries.length;
    for (const e of entries) {
      if (err === undefined) e.resolve();
      else e.reject(err);
    }
    while (r.waiters.length > 0 && r.unsettled < this.opts.maxPending) this.admit(r, r.waiters.shift()!);
  }

  private setTimer(r: Room, ms: number | undefined): void {
    const t = this.opts.timers;
    if (r.timer !== undefined) t.clearTimeout(r.timer);
    r.timer = undefined;
    const token = ++r.token;
    if (ms === undefined) return;
    r.timer = t.setTimeout(() => this.onTimer(r, token), ms);
  }

  private onTimer(r: Room, token: number): void {
    // A stale callback (the timer was replaced after it was queued) or a reaped room: ignore.
    if (token !== r.token || this.rooms.get(r.id) !== r) return;
    r.timer = undefined;
    if (r.collecting.length > 0) {
      this.flushRoom(r);
      return;
    }
    if (r.unsettled === 0 && r.waiters.length === 0) {
      this.rooms.delete(r.id);
      return;
    }
    // Still delivering: look again after another idle period.
    this.setTimer(r, this.opts.idleMs);
  }

  private scheduleIdleCheck(): void {
    if (this.idleCheck) return;
    const check = { handle: undefined as unknown, seen: this.arrivals };
    // 1 ms: what Node's setTimeout(0) means anyway, and a real tick under fake timers too.
    check.handle = this.opts.timers.setTimeout(() => this.onIdleCheck(check), 1);
    this.idleCheck = check;
  }

  private onIdleCheck(check: { handle: unknown; seen: number }): void {
    if (this.idleCheck !== check) return;
    this.idleCheck = undefined;
    if (this.arrivals !== check.seen) {
      // Messages are still streaming in: let batches fill, look again next tick.
      this.scheduleIdleCheck();
      return;
    }
    this.flushAll();
  }
}

/** A Buffer view of `u8` (protobuf bytes fields are Buffers), no copy. */
export function toBuffer(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}
