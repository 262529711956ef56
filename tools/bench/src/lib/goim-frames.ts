/**
 * Allocation-light goim frame walking for the load generator: it counts delivered logical
 * messages (op 9 batches expanded, auth/heartbeat replies not counted) and hands each
 * message body to an optional callback. Written for speed rather than validation: the
 * generator shares the two cores with the server, so it must stay cheap (the real decoders
 * in @goim/protocol are tested elsewhere).
 */
import { Op } from '@goim/protocol';

/** Called with the buffer and the [start, end) range of one message body. */
export type BodyCallback = (buf: Buffer, start: number, end: number) => void;

/** Frames that are replies of the protocol, not pushed messages. */
function isControl(op: number): boolean {
  return op === Op.AuthReply || op === Op.HeartbeatReply;
}

/**
 * Walks back-to-back frames in `buf[start, end)`; returns the number of logical messages.
 * An op-9 frame's body is walked recursively (WebSocket wraps every push in one).
 * @throws TypeError on a frame that does not fit (a WebSocket message is always whole).
 */
export function countFrames(buf: Buffer, start: number, end: number, onBody?: BodyCallback): number {
  let n = 0;
  let off = start;
  while (off + 16 <= end) {
    const packLen = buf.readInt32BE(off);
    const headerLen = buf.readInt16BE(off + 4);
    const op = buf.readInt32BE(off + 8);
    if (packLen < 16 || headerLen < 16 || off + packLen > end) throw new TypeError(`bad frame at ${off}: packLen ${packLen}`);
    if (op === Op.Raw) n += countFrames(buf, off + headerLen, off + packLen, onBody);
    else if (!isControl(op)) {
      n++;
      onBody?.(buf, off + headerLen, off + packLen);
    }
    off += packLen;
  }
  if (off !== end) throw new TypeError(`trailing ${end - off} bytes after the last frame`);
  return n;
}

/** Counts frames of a TCP byte stream, keeping a partial frame between chunks. */
export class TcpFrameCounter {
  private pending: Buffer | undefined;
  /** Whether an auth reply (op 8) was seen. */
  authed = false;

  constructor(private readonly onBody?: BodyCallback) {}

  /** Feeds one chunk; returns logical messages completed by it. */
  feed(chunk: Buffer): number {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let off = 0;
    let n = 0;
    while (off + 16 <= buf.length) {
      const packLen = buf.readInt32BE(off);
      if (packLen < 16) throw new TypeError(`bad frame: packLen ${packLen}`);
      if (off + packLen > buf.length) break;
      const op = buf.readInt32BE(off + 8);
      if (op === Op.AuthReply) this.authed = true;
      n += countFrames(buf, off, off + packLen, this.onBody);
      off += packLen;
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    return n;
  }
}

/**
 * Reads the publish timestamp from a bench body `{"t":<ms>,…}`; NaN if the body has none.
 * The runner's pushers write it first so that this is a prefix check and one number parse.
 */
export function publishTimeOf(buf: Buffer, start: number, end: number): number {
  // '{"t":' = 7b 22 74 22 3a
  if (end - start < 6 || buf[start] !== 0x7b || buf[start + 1] !== 0x22 || buf[start + 2] !== 0x74 || buf[start + 3] !== 0x22 || buf[start + 4] !== 0x3a) {
    return Number.NaN;
  }
  let i = start + 5;
  while (i < end && buf[i] !== 0x2c && buf[i] !== 0x7d) i++;
  return Number(buf.toString('latin1', start + 5, i));
}

/** A bench push body carrying its publish time (ms, `performance.timeOrigin + now()`), padded to `size` bytes. */
export function benchBody(publishMs: number, size = 0): string {
  const head = `{"t":${publishMs.toFixed(3)}`;
  const pad = size - head.length - 8;
  return pad > 0 ? `${head},"p":"${'x'.repeat(pad)}"}` : `${head}}`;
}

/** Wall-clock milliseconds with sub-ms precision, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
