/**
 * The WebSocket message decoder: one WebSocket data message carries exactly one frame.
 *
 * goim never compares packLen with the message length (it reads stale buffer bytes or
 * panics, spec §10.1); we require packLen === message length and throw otherwise.
 *
 * Browser-safe: Uint8Array and DataView only.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { HEADER_SIZE, MAX_PACK_SIZE, checkHeader, type Frame } from './frame.js';

/**
 * Decodes the one frame of a WebSocket message. The body is a view into `message`.
 *
 * @param maxPackLen largest accepted packLen in bytes; default 4112 (client → server). A
 *   client decoding server pushes passes `Infinity` (server → client frames have no limit).
 * @throws ProtocolError `SHORT_MESSAGE` (< 16 bytes), `PACK_TOO_LARGE`, `BAD_PACK_LEN`,
 *   `BAD_HEADER_LEN`, `LENGTH_MISMATCH` (packLen ≠ message length).
 */
export function decodeWsMessage(message: Uint8Array, maxPackLen: number = MAX_PACK_SIZE): Frame {
  const n = message.length;
  if (n < HEADER_SIZE) {
    throw new ProtocolError(ProtocolErrorCode.SHORT_MESSAGE, `message of ${n} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  }
  const view = new DataView(message.buffer, message.byteOffset, HEADER_SIZE);
  const packLen = view.getInt32(0);
  checkHeader(packLen, view.getInt16(4), maxPackLen);
  if (packLen !== n) {
    throw new ProtocolError(ProtocolErrorCode.LENGTH_MISMATCH, `packLen ${packLen} differs from the message length ${n}`);
  }
  return {
    ver: view.getInt16(6),
    op: view.getInt32(8),
    seq: view.getInt32(12),
    body: message.subarray(HEADER_SIZE, n),
  };
}
