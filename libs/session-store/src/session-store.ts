/**
 * SessionStore: where logic keeps the session map (which comet holds a key, which keys a
 * mid has) and each comet's room counts. The Redis adapter uses goim's exact schema
 * (spec §3.4) so a Go goim logic and goim-ts logic can share one Redis:
 *
 *   mid_<mid>    hash   key → server          (only for mid > 0)      TTL sessionTtlSec
 *   key_<key>    string server                                        TTL sessionTtlSec
 *   ol_<server>  hash   "0".."63" → JSON {"server","room_count","updated"}, a room in field
 *                       CityHash32(room) % 64                        TTL sessionTtlSec
 *
 * Guarantees every adapter gives (checked by `describeSessionStoreContract` in
 * `@goim/session-store/testing`):
 * - Every entry expires `sessionTtlSec` (default 1800) after its last write or refresh; the
 *   TTL of `mid_<mid>` covers the whole hash, i.e. all keys of that mid.
 * - A key maps to at most one server: the last `addMapping` wins.
 * - `delMapping` is a compare-and-delete per entry: it never removes a mapping that a newer
 *   `addMapping` pointed at another server, whatever the interleaving.
 * - Every rejection is a `SessionStoreError`: `GOIM_ERR_SESSION_STORE_INVALID_ARGUMENT` for bad
 *   input (checked before anything is written), `GOIM_ERR_SESSION_STORE_BACKEND` when the
 *   backend fails (with `cause`), `GOIM_ERR_SESSION_STORE_CLOSED` after `close()`.
 *
 * Arguments: `mid` is a non-negative safe integer (0 = anonymous), `key` and `server` are
 * non-empty strings.
 */

/** One comet's room counts as stored under `ol_<server>`. */
export interface ServerOnline {
  /** Comet id (hostname), as registered in discovery. */
  server: string;
  /** room id → connections on this comet (int32 ≥ 0, as goim's `map[string]int32`). */
  roomCount: Record<string, number>;
  /** Unix time in seconds of the report (the newest shard's, when read back). */
  updated: number;
}

export interface SessionStore {
  /**
   * Records that connection `key` of user `mid` lives on `server`, and refreshes both TTLs
   * (called on Connect and on a heartbeat whose mapping expired). Overwrites a mapping of the
   * same key to another server. `mid` 0 means anonymous: only `key_<key>` is written.
   */
  addMapping(mid: number, key: string, server: string): Promise<void>;

  /**
   * Refreshes the TTLs of `mid_<mid>` (mid > 0) and `key_<key>`; never creates either.
   * Resolves true if `key_<key>` still existed (goim's "has"); false tells the caller to
   * re-add the mapping.
   */
  expireMapping(mid: number, key: string): Promise<boolean>;

  /**
   * Removes the mapping only where it still points at `server` (atomic compare-and-delete),
   * so a stale comet's disconnect never erases a newer session of the same key
   * (goim deletes unconditionally, spec §10.3). The `mid_` field and the `key_` entry are each
   * checked and deleted atomically, not as one transaction (they may live on different Redis
   * Cluster nodes). Resolves true if anything was deleted.
   */
  delMapping(mid: number, key: string, server: string): Promise<boolean>;

  /**
   * The server of each key, in the order given (repeats allowed); `undefined` where unknown
   * or expired. Empty input → [] without a backend call (goim sends an empty MGET, §10.21).
   */
  serversByKeys(keys: readonly string[]): Promise<(string | undefined)[]>;

  /**
   * Every live key of the given mids with its server (key → server). Repeated and unknown
   * mids are fine; mid 0 contributes nothing. Empty input → empty map.
   */
  keysByMids(mids: readonly number[]): Promise<Map<string, string>>;

  /**
   * Stores one comet's room counts (64 shards by CityHash32(room) % 64) and refreshes the TTL.
   * Replaces the previous report of that server entirely: a room left out is gone (goim keeps
   * shards that became empty, §10.19). The caller's object is not retained.
   */
  addServerOnline(online: ServerOnline): Promise<void>;

  /**
   * Reads one comet's room counts back (all shards merged, `updated` = the newest shard's);
   * undefined if none stored or expired. Reads reports written by a Go goim logic too; a shard
   * that is not goim's JSON rejects with `GOIM_ERR_SESSION_STORE_BAD_ONLINE_DATA`.
   */
  serverOnline(server: string): Promise<ServerOnline | undefined>;

  /** Deletes one comet's room counts (no error if there were none). */
  delServerOnline(server: string): Promise<void>;

  /**
   * An opaque, non-empty id of the backend's current data generation. It stays the same as
   * long as the data does, and every store on the same data (several logic processes on one
   * Redis) returns the same id. When the data is lost — a Redis restarted without
   * persistence, a failover to an empty replica, `FLUSHALL` — the next call returns a new id,
   * and stores racing to notice the loss agree on it. Logic hands it to comets in
   * RenewOnline's reply; a comet that sees it change re-registers its connections.
   *
   * Only a loss of the whole store is seen: on Redis Cluster the id lives in one slot, so a
   * single master losing its data is noticed only if it owns that slot.
   * Redis: the key `goim-ts:epoch` (not one of goim's key shapes; no TTL), created with
   * `SET NX` when missing. Memory: a constant id per instance (its data dies with it).
   */
  epoch(): Promise<string>;

  /** Resolves when the backend answers (readiness probes); rejects with BACKEND otherwise. */
  ping(): Promise<void>;

  /** Releases connections the store owns; later calls reject with CLOSED. Safe to call twice. */
  close(): Promise<void>;
}
