/**
 * @goim/protocol — the goim v2 binary protocol (browser-safe entry: Uint8Array, DataView,
 * TextEncoder only). Protobuf messages and gRPC links live in the Node-only
 * `@goim/protocol/rpc` subpath.
 */
export { version } from './version.js';
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
export { FrameStreamDecoder } from './stream-decoder.js';
export { decodeWsMessage } from './ws-message.js';
export { encodeRawBatch, wrapRaw, iterateRawBatch, readRawBatch, filterRawBatch } from './raw-batch.js';
export {
  encodeAuthToken,
  parseAuthToken,
  encodeAuthReplyBody,
  decodeAuthReplyBody,
  HEARTBEAT_REPLY_BODY_SIZE,
  encodeHeartbeatReplyBody,
  decodeHeartbeatReplyBody,
  parseOpList,
  encodeOpList,
} from './bodies.js';
export { DisconnectCode, shouldReconnect, encodeDisconnectBody, decodeDisconnectBody } from './disconnect.js';

export { GoimClient } from './client/goim-client.js';
export { webSocketTransport } from './client/transport.js';

export type { OpName, KnownOp } from './ops.js';
export type { Frame, FrameHeader } from './frame.js';
export type { FrameStreamDecoderOptions, FrameCallback } from './stream-decoder.js';
export type { RawBatchItem } from './raw-batch.js';
export type { AuthToken, AuthReplyBody } from './bodies.js';
export type { DisconnectNotice } from './disconnect.js';
export type { GoimClientOptions, GoimClientEvents, GoimClientState, ClientMessage, ReconnectOptions } from './client/goim-client.js';
export type { ClientTransport, TransportFactory, TransportHandlers, WebSocketLike, WebSocketConstructor } from './client/transport.js';
