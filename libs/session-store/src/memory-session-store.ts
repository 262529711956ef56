import { randomUUID } from 'node:crypto';
import { SessionStoreError, SessionStoreErrorCode } from './errors.js';
import { memorySessionStoreOptionsSchema, type SessionStoreLogger } from './options.js';
import type { ServerOnline, SessionStore } from './session-store.js';
import { checkKey, checkKeys, checkMid, checkMids, checkOnline, checkServer, formatIssues } from './validate.js';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** TTL of every mapping and online report, seconds; default 1800 (`DEFAULT_SESSION_TTL_SEC`). */
  sessionTtlSec?: number;
  /** Clock in ms since the epoch, for TTLs; default `Date.now`. Tests inject a fake one. */
  now?: () => number;
  /** Accepted for symmetry with the other adapters; this adapter has nothing to log. */
  logger?: SessionStoreLogger;
}

interface MidEntry {
  fields: Map<string, string>;
  expiresAt: number;
}
interface KeyEntry {
  server: string;
  expiresAt: number;
}
interface OnlineEntry {
  online: ServerOnline;
  expiresAt: number;
}

/**
 * SessionStore held in this process's memory, with Redis's semantics (a TTL per `mid_` hash,
 * `key_` string and `ol_` report, refreshed by the same calls; compare-and-delete). It serves
 * one process — `apps/standalone` and tests; logic instances that must share sessions use
 * {@link RedisSessionStore} (single Redis or Redis Cluster).
 *
 * Expired entries vanish on read and are swept on every write. Each map is kept in expiry
 * order (a refreshed entry is moved to the end; every TTL is the same), so a sweep only looks
 * at the entries that did expire.
 */
export class MemorySessionStore implements SessionStore {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly mids = new Map<number, MidEntry>();
  private readonly keys = new Map<string, KeyEntry>();
  private readonly online = new Map<string, OnlineEntry>();
  // The data lives and dies with this instance, so one id per instance is its generation.
  private readonly epochId = randomUUID();
  private closed = false;

  constructor(options: MemorySessionStoreOptions = {}) {
    const { now, logger: _logger, ...data } = options;
    const parsed = memorySessionStoreOptionsSchema.safeParse(data);
    if (!parsed.success) {
      throw new SessionStoreError(SessionStoreErrorCode.INVALID_OPTIONS, `MemorySessionStore: ${formatIssues(parsed.error)}`);
    }
    if (now !== undefined && typeof now !== 'function') {
      throw new SessionStoreError(SessionStoreErrorCode.INVALID_OPTIONS, 'MemorySessionStore: now must be a function returning ms');
    }
    this.ttlMs = parsed.data.sessionTtlSec * 1000;
    this.now = now ?? Date.now;
  }

  async addMapping(mid: number, key: string, server: string): Promise<void> {
    this.open();
    checkMid(mid);
    checkKey(key);
    checkServer(server);
    const t = this.sweep();
    const expiresAt = t + this.ttlMs;
    if (mid > 0) {
      const entry = live(this.mids, mid, t) ?? { fields: new Map<string, string>(), expiresAt };
      entry.fields.set(key, server);
      touch(this.mids, mid, entry, expiresAt);
    }
    touch(this.keys, key, { server, expiresAt }, expiresAt);
  }

  async expireMapping(mid: number, key: string): Promise<boolean> {
    this.open();
    checkMid(mid);
    checkKey(key);
    const t = this.sweep();
    const expiresAt = t + this.ttlMs;
    if (mid > 0) {
      const m = live(this.mids, mid, t);
      if (m) touch(this.mids, mid, m, expiresAt);
    }
    const k = live(this.keys, key, t);
    if (k) touch(this.keys, key, k, expiresAt);
    return k !== undefined;
  }

  async delMapping(mid: number, key: string, server: string): Promise<boolean> {
    this.open();
    checkMid(mid);
    checkKey(key);
    checkServer(server);
    const t = this.sweep();
    let deleted = false;
    if (mid > 0) {
      const m = live(this.mids, mid, t);
      if (m && m.fields.get(key) === server) {
        m.fields.delete(key);
        if (m.fields.size === 0) this.mids.delete(mid); // as Redis drops an empty hash
        deleted = true;
      }
    }
    const k = live(this.keys, key, t);
    if (k && k.server === server) {
      this.keys.delete(key);
      deleted = true;
    }
    return deleted;
  }

  async serversByKeys(keys: readonly string[]): Promise<(string | undefined)[]> {
    this.open();
    checkKeys(keys);
    const t = this.now();
    return keys.map((k) => live(this.keys, k, t)?.server);
  }

  async keysByMids(mids: readonly number[]): Promise<Map<string, string>> {
    this.open();
    checkMids(mids);
    const t = this.now();
    const out = new Map<string, string>();
    for (const mid of mids) {
      const m = live(this.mids, mid, t);
      if (m) for (const [k, s] of m.fields) out.set(k, s);
    }
    return out;
  }

  async addServerOnline(online: ServerOnline): Promise<void> {
    this.open();
    checkOnline(online);
    const t = this.sweep();
    const copy: ServerOnline = { server: online.server, roomCount: { ...online.roomCount }, updated: online.updated };
    touch(this.online, online.server, { online: copy, expiresAt: 0 }, t + this.ttlMs);
  }

  async serverOnline(server: string): Promise<ServerOnline | undefined> {
    this.open();
    checkServer(server);
    const e = live(this.online, server, this.now());
    return e && { server: e.online.server, roomCount: { ...e.online.roomCount }, updated: e.online.updated };
  }

  async delServerOnline(server: string): Promise<void> {
    this.open();
    checkServer(server);
    this.online.delete(server);
  }

  async epoch(): Promise<string> {
    this.open();
    return this.epochId;
  }

  async ping(): Promise<void> {
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.mids.clear();
    this.keys.clear();
    this.online.clear();
  }

  private open(): void {
    if (this.closed) throw new SessionStoreError(SessionStoreErrorCode.CLOSED, 'MemorySessionStore is closed');
  }

  /** Drops expired entries from the front of each map; returns the current time. */
  private sweep(): number {
    const t = this.now();
    sweepFront(this.mids, t);
    sweepFront(this.keys, t);
    sweepFront(this.online, t);
    return t;
  }
}

function live<K, E extends { expiresAt: number }>(map: Map<K, E>, k: K, t: number): E | undefined {
  const e = map.get(k);
  if (e === undefined) return undefined;
  if (e.expiresAt <= t) {
    map.delete(k);
    return undefined;
  }
  return e;
}

/** Sets the expiry and moves the entry to the end, keeping the map in expiry order. */
function touch<K, E extends { expiresAt: number }>(map: Map<K, E>, k: K, e: E, expiresAt: number): void {
  e.expiresAt = expiresAt;
  map.delete(k);
  map.set(k, e);
}

function sweepFront<K, E extends { expiresAt: number }>(map: Map<K, E>, t: number): void {
  for (const [k, e] of map) {
    if (e.expiresAt > t) return;
    map.delete(k);
  }
}
