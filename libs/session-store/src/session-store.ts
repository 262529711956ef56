/**
 * SessionStore: where logic keeps the session map (which comet holds a key, which keys a
 * mid has) and each comet's room counts. The Redis adapter uses goim's exact schema
 * (spec §3.4) so a Go goim logic and goim-ts logic can share one Redis:
 *
 *   mid_<mid>    hash   key → server          (only for mid > 0)      TTL sessionTtlSec
 *   key_<key>    string server                                        TTL sessionTtlSec
 *   ol_<server>  hash   "0".."63" → JSON {"server","room_count","updated"}, a room in field
 *                       CityHash32(room) % 64                        TTL sessionTtlSec
 */

/** One comet's room counts as stored under `ol_<server>`. */
export interface ServerOnline {
  /** Comet id (hostname). */
  server: string;
  /** room id → connections on this comet. */
  roomCount: Record<string, number>;
  /** Unix time in seconds of the report (the newest shard's, when read back). */
  updated: number;
}

export interface SessionStore {
  /**
   * Records that connection `key` of user `mid` lives on `server`, and refreshes both TTLs.
   * `mid` 0 means anonymous: only `key_<key>` is written.
   */
  addMapping(mid: number, key: string, server: string): Promise<void>;

  /**
   * Refreshes the TTLs of `mid_<mid>` and `key_<key>`. Resolves true if `key_<key>` still
   * existed (goim's "has"); false tells the caller to re-add the mapping.
   */
  expireMapping(mid: number, key: string): Promise<boolean>;

  /**
   * Removes the mapping only where it still points at `server` (atomic compare-and-delete),
   * so a stale comet's disconnect never erases a newer session of the same key
   * (goim deletes unconditionally, spec §10.3). Resolves true if anything was deleted.
   */
  delMapping(mid: number, key: string, server: string): Promise<boolean>;

  /** The server of each key, in the order given; `undefined` where unknown. Empty input → []. */
  serversByKeys(keys: readonly string[]): Promise<(string | undefined)[]>;

  /** Every live key of the given mids with its server (key → server). Empty input → empty map. */
  keysByMids(mids: readonly number[]): Promise<Map<string, string>>;

  /** Stores one comet's room counts (64 shards by CityHash32(room) % 64) and refreshes the TTL. */
  addServerOnline(online: ServerOnline): Promise<void>;

  /** Reads one comet's room counts back (all shards merged); undefined if none stored. */
  serverOnline(server: string): Promise<ServerOnline | undefined>;

  /** Deletes one comet's room counts. */
  delServerOnline(server: string): Promise<void>;

  /** Resolves when the backend answers (readiness probes). */
  ping(): Promise<void>;

  /** Releases connections; safe to call twice. */
  close(): Promise<void>;
}
