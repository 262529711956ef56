/**
 * goim's `ol_<server>` value format (spec §3.4): hash fields "0".."63", each holding the JSON
 * that Go's encoding/json writes for `{Server string "server"; RoomCount map[string]int32
 * "room_count"; Updated int64 "updated"}` with only the rooms of that shard.
 */
import { SessionStoreError, SessionStoreErrorCode } from './errors.js';
import { OL_SHARDS } from './options.js';
import type { ServerOnline } from './session-store.js';

/**
 * A JSON string literal as Go's json.Marshal writes it: like JSON.stringify, plus Go's HTML
 * escaping of `<`, `>`, `&`, U+2028 and U+2029, and lone surrogates (invalid UTF-8 once
 * encoded) as \ufffd — so the stored bytes match a Go (≥ 1.22) logic's byte for byte.
 */
export function goJsonString(s: string): string {
  // Scanning left to right, the first alternative consumes each escaped backslash pair, so
  // the second only matches a real lone-surrogate escape (JSON.stringify writes those).
  return JSON.stringify(s).replace(/\\\\|\\ud[89a-f][0-9a-f]{2}|[<>&\u2028\u2029]/g, (m) => {
    if (m === '\\\\') return m;
    return m.length > 1 ? '\\ufffd' : `\\u${m.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

// JS compares UTF-16 code units; Go sorts map keys by UTF-8 bytes (= code point order). The
// two differ only between surrogates (D800–DFFF) and E000–FFFF, so lift surrogates above.
function utf8Order(c: number): number {
  return c >= 0xd800 ? (c <= 0xdfff ? c + 0x2000 : c - 0x800) : c;
}

/** Go's map-key order: byte-wise on UTF-8. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Order(x) - utf8Order(y);
  }
  return a.length - b.length;
}

/**
 * The 64 shard values of one report, index = field number. Every shard is present, empty
 * ones as `"room_count":{}`, so a new report overwrites every older shard (goim leaves shards
 * that became empty in place, spec §10.19).
 */
export function encodeOnlineShards(online: ServerOnline, shardOf: (room: string) => number): string[] {
  const shards: string[][] = Array.from({ length: OL_SHARDS }, () => []);
  for (const room of Object.keys(online.roomCount)) shards[shardOf(room)]!.push(room);
  const head = `{"server":${goJsonString(online.server)},"room_count":{`;
  const tail = `},"updated":${online.updated}}`;
  return shards.map((rooms) => {
    rooms.sort(compareUtf8);
    return head + rooms.map((r) => `${goJsonString(r)}:${online.roomCount[r]}`).join(',') + tail;
  });
}

function bad(server: string, field: string, why: string, cause?: unknown): SessionStoreError {
  return new SessionStoreError(
    SessionStoreErrorCode.BAD_ONLINE_DATA,
    `ol_${server} field ${JSON.stringify(field)}: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Merges shard values (field → JSON) into one report: room counts of every shard, `updated`
 * the newest. Accepts what a Go goim logic writes too (only non-empty shards; a nil map as
 * `null`). undefined when there are no fields.
 */
export function decodeOnlineShards(server: string, fields: Record<string, string>): ServerOnline | undefined {
  const entries = Object.entries(fields);
  if (entries.length === 0) return undefined;
  const roomCount: Record<string, number> = {};
  let updated = 0;
  for (const [field, json] of entries) {
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch (err) {
      throw bad(server, field, 'not JSON', err);
    }
    if (typeof v !== 'object' || v === null) throw bad(server, field, 'not a JSON object');
    const o = v as { updated?: unknown; room_count?: unknown };
    if (typeof o.updated !== 'number' || !Number.isFinite(o.updated)) throw bad(server, field, '"updated" is not a number');
    const rc = o.room_count;
    if (rc !== null && rc !== undefined) {
      if (typeof rc !== 'object' || Array.isArray(rc)) throw bad(server, field, '"room_count" is not an object');
      for (const [room, count] of Object.entries(rc)) {
        if (typeof count !== 'number' || !Number.isFinite(count)) throw bad(server, field, `count of ${JSON.stringify(room)} is not a number`);
        roomCount[room] = count;
      }
    }
    if (o.updated > updated) updated = o.updated;
  }
  return { server, roomCount, updated };
}
