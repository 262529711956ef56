/**
 * Errors of @goim/protocol. Codes are stable: a released code never changes meaning.
 * Each protocol error carries the disconnect code comet sends in op 6 before closing.
 */
export const ProtocolErrorCode = {
  /** A frame's packLen exceeds the decoder's limit (4112 for client → server frames). */
  PACK_TOO_LARGE: 'GOIM_ERR_PROTOCOL_PACK_TOO_LARGE',
  /** packLen is smaller than the 16-byte header (negative included). */
  BAD_PACK_LEN: 'GOIM_ERR_PROTOCOL_BAD_PACK_LEN',
  /** headerLen is not 16. */
  BAD_HEADER_LEN: 'GOIM_ERR_PROTOCOL_BAD_HEADER_LEN',
  /** A WebSocket message is shorter than the 16-byte header. */
  SHORT_MESSAGE: 'GOIM_ERR_PROTOCOL_SHORT_MESSAGE',
  /** A WebSocket message's packLen differs from the message length. */
  LENGTH_MISMATCH: 'GOIM_ERR_PROTOCOL_LENGTH_MISMATCH',
  /** An op-9 body does not split into whole, well-formed inner frames. */
  BAD_RAW_BATCH: 'GOIM_ERR_PROTOCOL_BAD_RAW_BATCH',
  /** The stream ended in the middle of a frame. */
  TRUNCATED: 'GOIM_ERR_PROTOCOL_TRUNCATED',
  /** A JSON body (auth token, auth reply) is not valid JSON. */
  BAD_JSON: 'GOIM_ERR_PROTOCOL_BAD_JSON',
  /** A body has the wrong shape: a JSON field of the wrong type, a heartbeat reply that is not 4 bytes. */
  BAD_BODY: 'GOIM_ERR_PROTOCOL_BAD_BODY',
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** Disconnect code sent in op 6 when a client breaks the frame protocol. */
export const DISCONNECT_CODE_PROTOCOL = 3501; // DisconnectCode.PROTOCOL_ERROR

/**
 * Thrown by every decoder and body parser of @goim/protocol on malformed input; the
 * message says why (the reason comet logs and puts in its op-6 notice).
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** The op-6 disconnect code for this error. */
  readonly disconnectCode: number = DISCONNECT_CODE_PROTOCOL;
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
