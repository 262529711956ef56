/**
 * @goim/protocol — the goim v2 binary protocol (browser-safe entry).
 */
export { Op } from './ops.js';
export { ProtocolError, ProtocolErrorCode, DISCONNECT_CODE_PROTOCOL } from './errors.js';
export {
  HEADER_SIZE,
  MAX_BODY_SIZE,
  MAX_PACK_SIZE,
  writeHeader,
  encodeHeader,
  encodeFrame,
  readHeader,
  checkHeader,
} from './frame.js';
export type { OpName, KnownOp } from './ops.js';
export type { Frame, FrameHeader } from './frame.js';
export { DisconnectCode, shouldReconnect, encodeDisconnectBody, decodeDisconnectBody } from './disconnect.js';
export type { DisconnectNotice } from './disconnect.js';
