/**
 * The TCP stream decoder: an incremental state machine fed chunks cut at any byte
 * boundary (1 byte … many frames) that yields whole frames in order.
 *
 * Guarantees:
 * - packLen and headerLen are checked as soon as the 16 header bytes are there, before any
 *   body is buffered, so a hostile peer can never make it hold more than one partial frame
 *   (at most `maxPackLen` bytes).
 * - A frame that lies wholly inside one chunk is returned as a view into that chunk (no
 *   copy): callers must not reuse a chunk's memory while they still hold its frames (Node
 *   sockets hand out a fresh Buffer per read, so comet can simply keep them). A view keeps
 *   its whole chunk alive: copy (`body.slice()`) a body you hold on to for long.
 * - After a {@link ProtocolError} (or an error thrown by the frame callback) the decoder is
 *   failed: every later call throws the same error until {@link FrameStreamDecoder.reset}.
 *   Frames before the bad header in the same chunk have already been delivered to the
 *   callback of {@link FrameStreamDecoder.feed}; {@link FrameStreamDecoder.push} drops them
 *   (the connection is closed anyway).
 *
 * goim reads packLen < 16 as an empty body and silently misaligns the stream; we throw
 * GOIM_ERR_PROTOCOL_BAD_PACK_LEN instead (spec §10.2).
 *
 * Browser-safe: Uint8Array and DataView only.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { HEADER_SIZE, MAX_PACK_SIZE, checkHeader, type Frame } from './frame.js';

/** Options of {@link FrameStreamDecoder}. */
export interface FrameStreamDecoderOptions {
  /**
   * Largest accepted packLen in bytes (header included). Default {@link MAX_PACK_SIZE}
   * (4112, goim's client → server limit); a client reading server pushes passes a larger
   * value or `Infinity` (server → client frames have no fixed limit).
   */
  maxPackLen?: number;
}

/** Called once per decoded frame, in stream order. */
export type FrameCallback = (frame: Frame) => void;

const EMPTY = new Uint8Array(0);

export class FrameStreamDecoder {
  /** The packLen limit this decoder enforces. */
  readonly maxPackLen: number;
  // Partial header bytes; reused for the decoder's lifetime (16 bytes, never grows).
  private readonly head = new Uint8Array(HEADER_SIZE);
  private readonly headView = new DataView(this.head.buffer);
  private headFill = 0;
  // Body of the one frame split across chunks; allocated only after its header passed the checks.
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private ver = 0;
  private op = 0;
  private seq = 0;
  private failed: unknown;

  constructor(options: FrameStreamDecoderOptions = {}) {
    const max = options.maxPackLen ?? MAX_PACK_SIZE;
    if (!(max >= HEADER_SIZE)) throw new RangeError(`maxPackLen must be a number >= ${HEADER_SIZE}, got ${String(max)}`);
    this.maxPackLen = max;
  }

  /** Bytes held for the frame in progress (0 … maxPackLen). */
  get bufferedBytes(): number {
    return this.body === undefined ? this.headFill : HEADER_SIZE + this.bodyFill;
  }

  /** Whether a frame has been started but not finished. */
  get hasPartialFrame(): boolean {
    return this.headFill > 0;
  }

  /**
   * Feeds one chunk and calls `onFrame` for every frame it completes. The fastest API
   * (no per-chunk array); comet's TCP reader uses it.
   * @throws ProtocolError on a bad header; the decoder then stays failed until `reset()`.
   */
  feed(chunk: Uint8Array, onFrame: FrameCallback): void {
    if (this.failed !== undefined) throw this.failed;
    try {
      this.run(chunk, onFrame);
    } catch (err) {
      this.failed = err;
      this.clearPartial();
      throw err;
    }
  }

  /**
   * Feeds one chunk and returns the frames it completes (possibly none).
   * @throws ProtocolError on a bad header (frames decoded earlier in this chunk are dropped).
   */
  push(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    this.feed(chunk, (f) => out.push(f));
    return out;
  }

  /**
   * Declares the end of the stream.
   * @throws ProtocolError `GOIM_ERR_PROTOCOL_TRUNCATED` if it stopped inside a frame.
   */
  end(): void {
    if (this.failed !== undefined) throw this.failed;
    if (this.headFill > 0) {
      const held = this.bufferedBytes;
      const err = new ProtocolError(
        ProtocolErrorCode.TRUNCATED,
        this.body === undefined
          ? `stream ended after ${held} of ${HEADER_SIZE} header bytes`
          : `stream ended after ${held} of ${HEADER_SIZE + this.body.length} frame bytes`,
      );
      this.failed = err;
      this.clearPartial();
      throw err;
    }
  }

  /** Drops any partial frame and the failed state; the next byte starts a new frame. */
  reset(): void {
    this.failed = undefined;
    this.clearPartial();
  }

  private clearPartial(): void {
    this.headFill = 0;
    this.body = undefined;
    this.bodyFill = 0;
  }

  private run(chunk: Uint8Array, onFrame: FrameCallback): void {
    const n = chunk.length;
    let off = 0;

    // 1. Finish the frame left over from earlier chunks.
    if (this.headFill > 0) {
      if (this.headFill < HEADER_SIZE) {
        const take = Math.min(HEADER_SIZE - this.headFill, n);
        this.head.set(chunk.subarray(0, take), this.headFill);
        this.headFill += take;
        off = take;
        if (this.headFill < HEADER_SIZE) return;
        const v = this.headView;
        const packLen = v.getInt32(0);
        checkHeader(packLen, v.getInt16(4), this.maxPackLen);
        this.ver = v.getInt16(6);
        this.op = v.getInt32(8);
        this.seq = v.getInt32(12);
        if (packLen === HEADER_SIZE) {
          this.headFill = 0;
          onFrame({ ver: this.ver, op: this.op, seq: this.seq, body: EMPTY });
        } else if (n - off >= packLen - HEADER_SIZE) {
          // The rest of the frame is in this chunk: no copy.
          const end = off + packLen - HEADER_SIZE;
          const body = chunk.subarray(off, end);
          off = end;
          this.headFill = 0;
          onFrame({ ver: this.ver, op: this.op, seq: this.seq, body });
        } else {
          this.body = new Uint8Array(packLen - HEADER_SIZE);
          this.bodyFill = 0;
        }
      }
      const body = this.body;
      if (body !== undefined) {
        const take = Math.min(body.length - this.bodyFill, n - off);
        body.set(chunk.subarray(off, off + take), this.bodyFill);
        this.bodyFill += take;
        off += take;
        if (this.bodyFill < body.length) return;
        this.body = undefined;
        this.bodyFill = 0;
        this.headFill = 0;
        onFrame({ ver: this.ver, op: this.op, seq: this.seq, body });
      }
    }

    // 2. Whole frames straight out of the chunk.
    if (n - off >= HEADER_SIZE) {
      const view = new DataView(chunk.buffer, chunk.byteOffset, n);
      while (n - off >= HEADER_SIZE) {
        const packLen = view.getInt32(off);
        checkHeader(packLen, view.getInt16(off + 4), this.maxPackLen);
        if (n - off >= packLen) {
          const frame: Frame = {
            ver: view.getInt16(off + 6),
            op: view.getInt32(off + 8),
            seq: view.getInt32(off + 12),
            body: chunk.subarray(off + HEADER_SIZE, off + packLen),
          };
          off += packLen;
          onFrame(frame);
        } else {
          // Header complete, body split: keep the header fields and copy what we have.
          this.ver = view.getInt16(off + 6);
          this.op = view.getInt32(off + 8);
          this.seq = view.getInt32(off + 12);
          this.headFill = HEADER_SIZE;
          const body = new Uint8Array(packLen - HEADER_SIZE);
          body.set(chunk.subarray(off + HEADER_SIZE, n));
          this.body = body;
          this.bodyFill = n - off - HEADER_SIZE;
          return;
        }
      }
    }

    // 3. A header split across chunks: keep its first bytes.
    if (off < n) {
      this.head.set(chunk.subarray(off, n), 0);
      this.headFill = n - off;
    }
  }
}
