/**
 * Bodies of the ops with structured payloads: the auth token (op 7), the goim-ts auth
 * reply (op 8), the heartbeat reply (op 3) and the op lists of Sub/Unsub (ops 14/16).
 *
 * Browser-safe: Uint8Array, DataView, TextEncoder/TextDecoder only.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function isInt32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
}

function parseJsonObject(body: Uint8Array | string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(typeof body === 'string' ? body : decoder.decode(body));
  } catch (err) {
    throw new ProtocolError(ProtocolErrorCode.BAD_JSON, `${what} is not valid JSON`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ProtocolError(ProtocolErrorCode.BAD_BODY, `${what} is not a JSON object`);
  }
  return v as Record<string, unknown>;
}

function badField(what: string, field: string, expected: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.BAD_BODY, `${what}: "${field}" must be ${expected}`);
}

// Go's encoding/json leaves a field at its zero value when it is absent or null; we do too.
function optString(o: Record<string, unknown>, field: string, what: string): string {
  const v = o[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw badField(what, field, 'a string');
  return v;
}

function optInteger(o: Record<string, unknown>, field: string, what: string): number {
  const v = o[field];
  if (v === undefined || v === null) return 0;
  // goim's int64 mid can exceed 2^53; JS numbers cannot hold that exactly, so we reject it.
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badField(what, field, 'an integer within ±(2^53 − 1)');
  return v;
}

// ---------------------------------------------------------------------------------------
// Auth token (op 7 body), spec §1.4

/** The op-7 auth token JSON `{mid, key, room_id, platform, accepts}` (goim's field names). */
export interface AuthToken {
  /** User id (goim int64); 0 = anonymous. */
  mid: number;
  /** Connection key; empty = the server generates a UUID v4. */
  key: string;
  /** Initial room, conventionally `"{type}://{id}"`; empty = no room. */
  room_id: string;
  /** Client platform, e.g. `"web"`; informational. */
  platform: string;
  /** Business ops (int32) this connection accepts for key pushes and broadcasts. */
  accepts: number[];
}

/** The op-7 body for `token`; fields left out are omitted from the JSON. */
export function encodeAuthToken(token: Partial<AuthToken>): Uint8Array {
  // Fixed key order (goim's), independent of the caller's object.
  return encoder.encode(
    JSON.stringify({
      mid: token.mid,
      key: token.key,
      room_id: token.room_id,
      platform: token.platform,
      accepts: token.accepts,
    }),
  );
}

/**
 * Parses and type-checks an op-7 body. Absent or null fields take their zero value (as
 * goim's Go decoder does); unknown fields are ignored.
 * @throws ProtocolError `BAD_JSON` when the body is not JSON, `BAD_BODY` when it is not an
 *   object or a field has the wrong type (mid: safe integer; key, room_id, platform:
 *   strings; accepts: int32 array).
 */
export function parseAuthToken(body: Uint8Array | string): AuthToken {
  const what = 'auth token';
  const o = parseJsonObject(body, what);
  const rawAccepts = o['accepts'];
  let accepts: number[] = [];
  if (rawAccepts !== undefined && rawAccepts !== null) {
    if (!Array.isArray(rawAccepts) || !rawAccepts.every(isInt32)) throw badField(what, 'accepts', 'an array of int32 numbers');
    accepts = rawAccepts.slice();
  }
  return {
    mid: optInteger(o, 'mid', what),
    key: optString(o, 'key', what),
    room_id: optString(o, 'room_id', what),
    platform: optString(o, 'platform', what),
    accepts,
  };
}

// ---------------------------------------------------------------------------------------
// Auth reply (op 8 body) — goim-ts extension

/**
 * The goim-ts op-8 body `{mid, key, room_id, heartbeat}`: what the server decided, so a
 * client learns a server-generated key (goim sends an empty body, spec §10.11; old clients
 * ignore the body).
 */
export interface AuthReplyBody {
  /** User id (0 = anonymous). */
  mid: number;
  /** The connection key (client-supplied or generated). */
  key: string;
  /** The initial room (empty = none). */
  room_id: string;
  /**
   * Idle timeout in **seconds** (a JSON number, may be fractional): the server closes the
   * connection when no heartbeat arrives for this long. Not goim's nanoseconds: those live
   * only in the gRPC ConnectReply.
   */
  heartbeat: number;
}

/** The op-8 body for `reply`. */
export function encodeAuthReplyBody(reply: AuthReplyBody): Uint8Array {
  return encoder.encode(JSON.stringify({ mid: reply.mid, key: reply.key, room_id: reply.room_id, heartbeat: reply.heartbeat }));
}

/**
 * Parses an op-8 body. An empty body (what a goim server sends) gives `undefined`.
 * @throws ProtocolError `BAD_JSON` / `BAD_BODY` on a malformed non-empty body.
 */
export function decodeAuthReplyBody(body: Uint8Array): AuthReplyBody | undefined {
  if (body.length === 0) return undefined;
  const what = 'auth reply';
  const o = parseJsonObject(body, what);
  const hb = o['heartbeat'];
  if (hb !== undefined && hb !== null && (typeof hb !== 'number' || !Number.isFinite(hb) || hb < 0)) {
    throw badField(what, 'heartbeat', 'a non-negative number of seconds');
  }
  return {
    mid: optInteger(o, 'mid', what),
    key: optString(o, 'key', what),
    room_id: optString(o, 'room_id', what),
    heartbeat: typeof hb === 'number' ? hb : 0,
  };
}

// ---------------------------------------------------------------------------------------
// Heartbeat reply (op 3 body)

/** Size of the heartbeat-reply body: one big-endian int32 (so the reply frame is 20 bytes). */
export const HEARTBEAT_REPLY_BODY_SIZE = 4;

/**
 * The op-3 body: the room's online count as a big-endian int32.
 * @throws RangeError if `online` is not an int32.
 */
export function encodeHeartbeatReplyBody(online: number): Uint8Array {
  if (!isInt32(online)) throw new RangeError(`online must be an int32, got ${online}`);
  const out = new Uint8Array(HEARTBEAT_REPLY_BODY_SIZE);
  new DataView(out.buffer).setInt32(0, online);
  return out;
}

/**
 * The online count in an op-3 body.
 * @throws ProtocolError `BAD_BODY` if the body is not exactly 4 bytes.
 */
export function decodeHeartbeatReplyBody(body: Uint8Array): number {
  if (body.length !== HEARTBEAT_REPLY_BODY_SIZE) {
    throw new ProtocolError(ProtocolErrorCode.BAD_BODY, `heartbeat reply body is ${body.length} bytes, expected ${HEARTBEAT_REPLY_BODY_SIZE}`);
  }
  return new DataView(body.buffer, body.byteOffset, HEARTBEAT_REPLY_BODY_SIZE).getInt32(0);
}

// ---------------------------------------------------------------------------------------
// Op lists (op 14 Sub / op 16 Unsub bodies)

const OP_TOKEN = /^[+-]?[0-9]+$/;

/**
 * Parses a Sub/Unsub body `"n1,n2,…"` (base-10 int32, optional sign, no spaces).
 * Returns `undefined` on any malformed item, and for an empty body: goim then ignores the
 * whole body (and still echoes it). Kept for goim compatibility.
 */
export function parseOpList(body: Uint8Array | string): number[] | undefined {
  const text = typeof body === 'string' ? body : decoder.decode(body);
  const parts = text.split(',');
  const out: number[] = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (!OP_TOKEN.test(p)) return undefined;
    const n = Number(p);
    if (!isInt32(n)) return undefined;
    out[i] = n | 0; // "-0" → 0
  }
  return out;
}

/** The Sub/Unsub body for `ops` (`[1000, 1001]` → `"1000,1001"`). */
export function encodeOpList(ops: readonly number[]): Uint8Array {
  for (const op of ops) if (!isInt32(op)) throw new RangeError(`op must be an int32, got ${op}`);
  return ops.length === 0 ? EMPTY : encoder.encode(ops.join(','));
}
