/**
 * Browser-side client of logic's admin API. The admin token is never in the page source: the
 * user types it, it lives in sessionStorage (gone when the tab closes) and travels only as an
 * `Authorization: Bearer` header.
 */

import type { AdminNode } from '@goim/logic-app';

/** sessionStorage key of the admin token. */
export const TOKEN_STORAGE_KEY = 'goim-admin-token';

/** The storage subset used (sessionStorage in the page; a Map-backed one in specs). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** An admin API call that failed; `status` 401 means the token was refused. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
  /** True when the server refused the token (or the API is disabled). */
  get refused(): boolean {
    return this.status === 401 || this.status === 404;
  }
}

/** One row of `/goim/admin/nodes`: the type logic's admin API answers with (type-only, erased from the bundle). */
export type { AdminNode };

export interface RoomRow {
  room: string;
  count: number;
}

export interface RoomView {
  room: string;
  count: number;
  servers: { server: string; count: number; updated: number }[];
}

export interface MetricsSnapshot {
  at: number;
  pushes: { push: number; room: number; broadcast: number; total: number };
  counters: { delivered: number; kicked: number; slowConsumers: number; replaced: number; undeliverable: number };
  scraped: { url: string; ok: boolean; error?: string }[];
}

export interface KickResult {
  kicked: number;
  servers: { server: string; keys: number; kicked: number; error?: string }[];
  notFound: string[];
}

export type PushTarget = 'keys' | 'mids' | 'room' | 'all';

export interface PushForm {
  target: PushTarget;
  operation: number;
  body: string;
  keys?: string[];
  mids?: number[];
  room?: string;
  speed?: number;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export class AdminApi {
  constructor(
    private readonly storage: TokenStorage,
    private readonly doFetch: Fetch = (i, init) => fetch(i, init),
    private readonly base = '',
  ) {}

  get token(): string | null {
    return this.storage.getItem(TOKEN_STORAGE_KEY);
  }

  /** Checks `token` against the server and keeps it only if accepted. */
  async login(token: string): Promise<void> {
    const t = token.trim();
    if (!t) throw new AdminApiError(401, -401, 'enter the admin token');
    await this.call('GET', '/goim/admin/nodes', undefined, t);
    this.storage.setItem(TOKEN_STORAGE_KEY, t);
  }

  logout(): void {
    this.storage.removeItem(TOKEN_STORAGE_KEY);
  }

  nodes(): Promise<{ nodes: AdminNode[] }> {
    return this.call('GET', '/goim/admin/nodes');
  }
  topRooms(limit = 20): Promise<{ rooms: RoomRow[]; total: number }> {
    return this.call('GET', `/goim/admin/rooms/top?limit=${limit}`);
  }
  room(room: string): Promise<RoomView> {
    return this.call('GET', `/goim/admin/rooms/${encodeURIComponent(room)}`);
  }
  /** logic's resolved config, secrets redacted by the server. */
  config(): Promise<Record<string, unknown>> {
    return this.call('GET', '/goim/admin/config');
  }
  metrics(): Promise<MetricsSnapshot> {
    return this.call('GET', '/goim/admin/metrics');
  }
  push(form: PushForm): Promise<{ messages: number }> {
    return this.call('POST', '/goim/admin/push', form);
  }
  kick(req: { keys?: string[]; mids?: number[]; reason: string }): Promise<KickResult> {
    return this.call('POST', '/goim/admin/kick', req);
  }

  private async call<T>(method: string, path: string, body?: unknown, token = this.token): Promise<T> {
    if (!token) throw new AdminApiError(401, -401, 'not logged in');
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.doFetch(this.base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    let json: { code?: number; message?: string; data?: unknown } | undefined;
    try {
      json = (await res.json()) as typeof json;
    } catch {
      json = undefined;
    }
    if (!res.ok || !json || json.code !== 0) {
      const message = json?.message || `HTTP ${res.status}`;
      throw new AdminApiError(res.status, json?.code ?? -500, res.status === 401 ? `refused: ${message}` : message);
    }
    return json.data as T;
  }
}

/** Splits a comma/space separated list, dropping empties. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Parses a list of mids; throws on anything that is not a positive integer. */
export function parseMids(text: string): number[] {
  return splitList(text).map((s) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`not a mid: ${s}`);
    return n;
  });
}

/**
 * The op-7 token of the tail client: empty = goim-json `{mid: 0, room_id}` (development
 * auth); text starting with `{` = a goim-json object (room_id filled in when missing);
 * anything else = sent as is (e.g. a JWT for logic's jwt authenticator).
 */
export function tailToken(text: string, room: string): Record<string, unknown> | string {
  if (!text) return { mid: 0, room_id: room, platform: 'admin', accepts: [] };
  if (!text.startsWith('{')) return text;
  const parsed = JSON.parse(text) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('JSON token must be an object');
  return { room_id: room, ...(parsed as Record<string, unknown>) };
}
