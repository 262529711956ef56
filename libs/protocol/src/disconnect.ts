/**
 * Disconnect notices (goim-ts extension): before closing a connection on purpose, comet
 * sends op 6 (OpDisconnectReply, unused by goim) with the JSON body
 * `{"code": number, "reason": string, "reconnect": boolean}`. Old goim clients ignore it.
 *
 * Codes (stable; a released code never changes meaning):
 *   3000–3499  the client may reconnect (server side or transient causes)
 *   3500–3999  terminal: reconnecting with the same credentials/behaviour will fail again
 */
export const DisconnectCode = {
  /** Server shutting down or draining; reconnect (to another node). */
  SHUTDOWN: 3000,
  /** The client missed its heartbeats (idle timeout). */
  HEARTBEAT_TIMEOUT: 3001,
  /** No auth frame within the handshake timeout. */
  HANDSHAKE_TIMEOUT: 3002,
  /** The client did not read fast enough; its bounded outbound buffer filled up. */
  SLOW_CONSUMER: 3003,
  /** A dependency (logic) failed while serving the client. */
  SERVER_ERROR: 3004,
  /** Kicked by an operator (admin kick API). */
  KICKED: 3500,
  /** The client broke the frame protocol (see ProtocolError codes). */
  PROTOCOL_ERROR: 3501,
  /** Authentication refused. */
  AUTH_FAILED: 3502,
  /** A newer connection with the same key replaced this one. */
  REPLACED: 3503,
} as const;
export type DisconnectCode = (typeof DisconnectCode)[keyof typeof DisconnectCode];

/** Body of an op-6 frame. */
export interface DisconnectNotice {
  code: number;
  reason: string;
  reconnect: boolean;
}

/** Whether clients should reconnect after `code` (3000–3499). */
export function shouldReconnect(code: number): boolean {
  return code >= 3000 && code < 3500;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The op-6 body for a disconnect `code` and human-readable `reason`. */
export function encodeDisconnectBody(code: number, reason: string, reconnect = shouldReconnect(code)): Uint8Array {
  return encoder.encode(JSON.stringify({ code, reason, reconnect } satisfies DisconnectNotice));
}

/** Parses an op-6 body; undefined if it is not a disconnect notice. */
export function decodeDisconnectBody(body: Uint8Array): DisconnectNotice | undefined {
  try {
    const v = JSON.parse(decoder.decode(body)) as Partial<DisconnectNotice>;
    if (typeof v.code !== 'number' || typeof v.reason !== 'string') return undefined;
    return { code: v.code, reason: v.reason, reconnect: typeof v.reconnect === 'boolean' ? v.reconnect : shouldReconnect(v.code) };
  } catch {
    return undefined;
  }
}
