/**
 * Errors of @goim/protocol. Codes are stable: a released code never changes meaning.
 * Each protocol error carries the disconnect code comet sends in op 6 before closing.
 */
export const ProtocolErrorCode = {
  PACK_TOO_LARGE: 'GOIM_ERR_PROTOCOL_PACK_TOO_LARGE',
  BAD_PACK_LEN: 'GOIM_ERR_PROTOCOL_BAD_PACK_LEN',
  BAD_HEADER_LEN: 'GOIM_ERR_PROTOCOL_BAD_HEADER_LEN',
  SHORT_MESSAGE: 'GOIM_ERR_PROTOCOL_SHORT_MESSAGE',
  LENGTH_MISMATCH: 'GOIM_ERR_PROTOCOL_LENGTH_MISMATCH',
  BAD_RAW_BATCH: 'GOIM_ERR_PROTOCOL_BAD_RAW_BATCH',
  TRUNCATED: 'GOIM_ERR_PROTOCOL_TRUNCATED',
  BAD_JSON: 'GOIM_ERR_PROTOCOL_BAD_JSON',
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** Disconnect code sent in op 6 when a client breaks the frame protocol. */
export const DISCONNECT_CODE_PROTOCOL = 3501; // DisconnectCode.PROTOCOL_ERROR

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
