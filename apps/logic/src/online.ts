/**
 * Cluster-wide room counts (spec §3.5): every 10 s logic reads `ol_<server>` of each known
 * comet, drops comets whose newest report is older than 5 minutes (deleting their key) and
 * sums the rest. The result answers RenewOnline and the HTTP online endpoints.
 */
import type { SessionStore } from '@goim/session-store';
import type { CometSource } from './comets.js';
import { DEFAULT_ONLINE_REFRESH_MS, DEFAULT_ONLINE_STALE_MS } from './config.js';
import type { Logger } from './logger.js';

export interface OnlineAggregatorOptions {
  /** Clock in ms (injected for tests); default `Date.now`. */
  now?: () => number;
  /** Refresh period in ms; default {@link DEFAULT_ONLINE_REFRESH_MS}. */
  refreshMs?: number;
  /** Stale cutoff in ms; default {@link DEFAULT_ONLINE_STALE_MS}. */
  staleMs?: number;
  logger?: Logger;
}

/** One row of online/top. */
export interface RoomTop {
  room_id: string;
  count: number;
}

export class OnlineAggregator {
  private counts = new Map<string, number>();
  /** Servers that called RenewOnline on this logic → time of their last report (ms). */
  private readonly reporters = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly refreshMs: number;
  private readonly staleMs: number;

  constructor(
    private readonly sessions: SessionStore,
    private readonly comets: CometSource,
    private readonly options: OnlineAggregatorOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.refreshMs = options.refreshMs ?? DEFAULT_ONLINE_REFRESH_MS;
    this.staleMs = options.staleMs ?? DEFAULT_ONLINE_STALE_MS;
  }

  /** The last merged counts: room id → connections cluster-wide. */
  roomCount(): ReadonlyMap<string, number> {
    return this.counts;
  }

  /**
   * Remembers a server that reported through this logic, so its rooms count even when it is
   * not (yet) in the comet list (goim counted only discovered comets).
   */
  noteReport(server: string): void {
    this.reporters.set(server, this.now());
  }

  /** Reads every known comet's `ol_` once and swaps in the new totals. Concurrent calls share one run. */
  refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async load(): Promise<void> {
    const now = this.now();
    const servers = new Set(this.comets.current().map((i) => i.hostname));
    for (const [server, at] of this.reporters) {
      if (now - at > this.staleMs) this.reporters.delete(server);
      else servers.add(server);
    }
    const next = new Map<string, number>();
    await Promise.all(
      [...servers].map(async (server) => {
        const online = await this.sessions.serverOnline(server);
        if (!online) return;
        if (now - online.updated * 1000 > this.staleMs) {
          // A comet that stopped reporting (crashed, partitioned): forget its counts (goim deletes too).
          await this.sessions.delServerOnline(server);
          return;
        }
        for (const [room, count] of Object.entries(online.roomCount)) next.set(room, (next.get(room) ?? 0) + count);
      }),
    );
    this.counts = next;
  }

  /** Loads once, then every `refreshMs` until {@link stop}; a failed load keeps the previous counts. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.tick();
  }

  private async tick(): Promise<void> {
    try {
      await this.refresh();
    } catch (err) {
      this.options.logger?.warn({ err }, 'online counts refresh failed');
    }
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), this.refreshMs);
    this.timer.unref?.();
  }

  /** Stops the refresh loop and waits for a load in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => undefined);
  }

  /**
   * Rooms of `type` (`type://…`), biggest first, at most `limit`. Matches the exact `type://`
   * prefix and returns the id after it untouched (goim matched a bare prefix and URL-parsed
   * the id, §10.20).
   */
  top(type: string, limit: number): RoomTop[] {
    const prefix = `${type}://`;
    const rows: RoomTop[] = [];
    for (const [room, count] of this.counts) {
      if (room.startsWith(prefix)) rows.push({ room_id: room.slice(prefix.length), count });
    }
    rows.sort((a, b) => b.count - a.count || (a.room_id < b.room_id ? -1 : a.room_id > b.room_id ? 1 : 0));
    return rows.slice(0, limit);
  }

  /** Counts of `type://room` for each room (0 when unknown). */
  rooms(type: string, rooms: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const room of rooms) out[room] = this.counts.get(`${type}://${room}`) ?? 0;
    return out;
  }
}
