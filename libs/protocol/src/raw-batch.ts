/**
 * OpRaw (op 9) batches, spec §1.5. A batch body is whole frames back to back (16-byte
 * header + body each). Job builds it once; comet writes it verbatim on TCP and wraps it in
 * one outer op-9 frame on WebSocket, where clients walk the inner frames.
 *
 * Server → client frames have no 4096-byte limit, so inner frames are checked only against
 * the batch's own bounds (and an optional `maxPackLen`).
 *
 * Browser-safe: Uint8Array and DataView only.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { HEADER_SIZE, writeHeader, encodeHeader, type Frame } from './frame.js';
import { Op } from './ops.js';

/** One frame to put in a batch; `ver` defaults to 1 and `seq` to 0, as goim's pushes. */
export interface RawBatchItem {
  op: number;
  body: Uint8Array;
  ver?: number;
  seq?: number;
}

/** The ver and seq of server pushes (goim: ver 1, seq 0). */
const PUSH_VER = 1;
const PUSH_SEQ = 0;

/** Concatenates `items` as complete frames into one op-9 body (one allocation). */
export function encodeRawBatch(items: readonly RawBatchItem[]): Uint8Array {
  let size = 0;
  for (const it of items) size += HEADER_SIZE + it.body.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const it of items) {
    writeHeader(out, off, { ver: it.ver ?? PUSH_VER, op: it.op, seq: it.seq ?? PUSH_SEQ }, it.body.length);
    out.set(it.body, off + HEADER_SIZE);
    off += HEADER_SIZE + it.body.length;
  }
  return out;
}

/**
 * The 16-byte outer header that wraps a batch body for WebSocket: `{ver 1, op 9, seq 0}`.
 * Send it followed by `body` as one message (goim's WebSocket output for every push).
 */
export function wrapRaw(body: Uint8Array): Uint8Array {
  return encodeHeader({ ver: PUSH_VER, op: Op.Raw, seq: PUSH_SEQ }, body.length);
}

function bad(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.BAD_RAW_BATCH, message);
}

/**
 * Walks the inner frames of an op-9 body lazily; bodies are views into `body`.
 * @throws ProtocolError `BAD_RAW_BATCH` when it reaches a malformed inner frame (frames
 *   before it have been yielded).
 */
export function* iterateRawBatch(body: Uint8Array, maxPackLen = Infinity): Generator<Frame, void, undefined> {
  const n = body.length;
  const view = new DataView(body.buffer, body.byteOffset, n);
  let off = 0;
  while (off < n) {
    if (n - off < HEADER_SIZE) throw bad(`${n - off} trailing bytes at offset ${off} are shorter than a header`);
    const packLen = view.getInt32(off);
    const headerLen = view.getInt16(off + 4);
    if (headerLen !== HEADER_SIZE) throw bad(`inner frame at offset ${off}: headerLen ${headerLen} is not ${HEADER_SIZE}`);
    if (packLen < HEADER_SIZE) throw bad(`inner frame at offset ${off}: packLen ${packLen} is less than ${HEADER_SIZE}`);
    if (packLen > n - off) throw bad(`inner frame at offset ${off}: packLen ${packLen} runs past the batch end (${n - off} bytes left)`);
    if (packLen > maxPackLen) throw bad(`inner frame at offset ${off}: packLen ${packLen} exceeds ${maxPackLen}`);
    yield {
      ver: view.getInt16(off + 6),
      op: view.getInt32(off + 8),
      seq: view.getInt32(off + 12),
      body: body.subarray(off + HEADER_SIZE, off + packLen),
    };
    off += packLen;
  }
}

/**
 * All inner frames of an op-9 body, validated before anything is returned (never a partial
 * list). Bodies are views into `body`. An empty body is an empty batch.
 * @throws ProtocolError `BAD_RAW_BATCH` on any malformed inner frame.
 */
export function readRawBatch(body: Uint8Array, maxPackLen = Infinity): Frame[] {
  const out: Frame[] = [];
  for (const f of iterateRawBatch(body, maxPackLen)) out.push(f);
  return out;
}

/**
 * The op-9 body with only the inner frames `keep(index)` accepts, bytes copied verbatim.
 * Returns `body` itself when every frame is kept (no copy), and an empty array when none is.
 * @throws ProtocolError `BAD_RAW_BATCH` on any malformed inner frame.
 */
export function filterRawBatch(body: Uint8Array, keep: (index: number) => boolean): Uint8Array {
  const spans: number[] = [];
  let kept = 0;
  let total = 0;
  let off = 0;
  let i = 0;
  for (const f of iterateRawBatch(body)) {
    const end = f.body.byteOffset - body.byteOffset + f.body.length;
    if (keep(i)) {
      spans.push(off, end);
      kept += end - off;
    }
    total++;
    off = end;
    i++;
  }
  if (spans.length / 2 === total) return body;
  const out = new Uint8Array(kept);
  let at = 0;
  for (let s = 0; s < spans.length; s += 2) {
    out.set(body.subarray(spans[s]!, spans[s + 1]!), at);
    at += spans[s + 1]! - spans[s]!;
  }
  return out;
}
