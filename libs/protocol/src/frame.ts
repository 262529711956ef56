/**
 * The goim v2 frame (spec §1.1): a 16-byte big-endian header then the body.
 *
 *   offset 0  packLen   int32  16 + body length
 *   offset 4  headerLen int16  always 16
 *   offset 6  ver       int16
 *   offset 8  op        int32
 *   offset 12 seq       int32
 *
 * Browser-safe: Uint8Array and DataView only.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';

export const HEADER_SIZE = 16;
/** goim's MaxBodySize: the limit on client → server bodies. */
export const MAX_BODY_SIZE = 4096;
/** goim's max pack size for client → server frames: 16 + 4096. */
export const MAX_PACK_SIZE = HEADER_SIZE + MAX_BODY_SIZE;

export interface FrameHeader {
  ver: number;
  op: number;
  seq: number;
}

export interface Frame extends FrameHeader {
  body: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Writes a header for a body of `bodyLength` bytes into `target` at `offset`. */
export function writeHeader(target: Uint8Array, offset: number, h: FrameHeader, bodyLength: number): void {
  // Byte stores instead of a DataView: no allocation per header (this runs once per push).
  const packLen = HEADER_SIZE + bodyLength;
  const { ver, op, seq } = h;
  target[offset] = packLen >>> 24;
  target[offset + 1] = packLen >>> 16;
  target[offset + 2] = packLen >>> 8;
  target[offset + 3] = packLen;
  target[offset + 4] = 0;
  target[offset + 5] = HEADER_SIZE;
  target[offset + 6] = ver >>> 8;
  target[offset + 7] = ver;
  target[offset + 8] = op >>> 24;
  target[offset + 9] = op >>> 16;
  target[offset + 10] = op >>> 8;
  target[offset + 11] = op;
  target[offset + 12] = seq >>> 24;
  target[offset + 13] = seq >>> 16;
  target[offset + 14] = seq >>> 8;
  target[offset + 15] = seq;
}

/** A new 16-byte header for a body of `bodyLength` bytes (write it, then the body, without concatenating). */
export function encodeHeader(h: FrameHeader, bodyLength: number): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  writeHeader(out, 0, h, bodyLength);
  return out;
}

/** One contiguous frame: header + body. */
export function encodeFrame(f: FrameHeader & { body?: Uint8Array }): Uint8Array {
  const body = f.body ?? EMPTY;
  const out = new Uint8Array(HEADER_SIZE + body.length);
  writeHeader(out, 0, f, body.length);
  out.set(body, HEADER_SIZE);
  return out;
}

/** Reads the header at `offset`; checks nothing. */
export function readHeader(src: Uint8Array, offset = 0): FrameHeader & { packLen: number; headerLen: number } {
  const view = new DataView(src.buffer, src.byteOffset + offset, HEADER_SIZE);
  return {
    packLen: view.getInt32(0),
    headerLen: view.getInt16(4),
    ver: view.getInt16(6),
    op: view.getInt32(8),
    seq: view.getInt32(12),
  };
}

/**
 * Checks a header's lengths against `maxPackLen`; throws ProtocolError.
 * goim accepts packLen < 16 on TCP and misaligns the stream; we reject it (spec §10.2).
 */
export function checkHeader(packLen: number, headerLen: number, maxPackLen: number): void {
  if (packLen > maxPackLen) {
    throw new ProtocolError(ProtocolErrorCode.PACK_TOO_LARGE, `packLen ${packLen} exceeds ${maxPackLen}`);
  }
  if (packLen < HEADER_SIZE) {
    throw new ProtocolError(ProtocolErrorCode.BAD_PACK_LEN, `packLen ${packLen} is less than ${HEADER_SIZE}`);
  }
  if (headerLen !== HEADER_SIZE) {
    throw new ProtocolError(ProtocolErrorCode.BAD_HEADER_LEN, `headerLen ${headerLen} is not ${HEADER_SIZE}`);
  }
}
