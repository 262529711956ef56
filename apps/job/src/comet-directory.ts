/**
 * CometDirectory: the comets a job delivers to, by hostname (the `server` of a PUSH message).
 * Static from config for now; a discovery Registry watch can feed the same interface later
 * (call `replace()` with each snapshot).
 */
import type { Instance, Registry, Watch } from '@goim/discovery-client';
import { createCometClient, type CometService } from '@goim/protocol/rpc';
import { grpcTarget } from './config.js';

/** One comet the job can call. */
export interface CometEntry {
  /** Comet id (goim `-host`), as PushMsg.server names it. */
  hostname: string;
  zone: string;
  service: CometService;
}

/** Hostname → comet, with change notifications. */
export interface CometDirectory {
  /** The comet named `hostname`, if known now. */
  get(hostname: string): CometEntry | undefined;
  /** Every known comet (a fresh array). */
  list(): CometEntry[];
  /** Calls `listener` after every change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Releases clients the directory created; safe twice. */
  close(): Promise<void>;
}

/** A static comet description: gRPC address instead of a service object. */
export interface CometAddress {
  hostname: string;
  zone?: string;
  /** `host:port` or `grpc://host:port`. */
  addr: string;
}

type Owned = CometEntry & { close?: () => void; addr?: string };

/**
 * A directory held in memory: `set`/`remove`/`replace` change it and notify listeners.
 * Entries built from addresses own a gRPC client, closed when the entry goes away.
 */
export class MemoryCometDirectory implements CometDirectory {
  private readonly entries = new Map<string, Owned>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(
    entries: readonly CometEntry[] = [],
    private readonly clientOptions: { deadlineMs?: number } = {},
  ) {
    for (const e of entries) this.entries.set(e.hostname, { ...e });
  }

  /** A directory with a gRPC client per address (goim's static comet list). */
  static fromAddresses(list: readonly CometAddress[], options: { deadlineMs?: number } = {}): MemoryCometDirectory {
    const dir = new MemoryCometDirectory([], options);
    for (const c of list) dir.setAddress(c, false);
    return dir;
  }

  get(hostname: string): CometEntry | undefined {
    return this.entries.get(hostname);
  }

  list(): CometEntry[] {
    return [...this.entries.values()];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds or replaces a comet given as a service object (e.g. the in-process link). */
  set(entry: CometEntry): void {
    this.drop(entry.hostname);
    this.entries.set(entry.hostname, { ...entry });
    this.emit();
  }

  /** Adds or replaces a comet reached over gRPC. */
  setAddress(c: CometAddress, notify = true): void {
    this.drop(c.hostname);
    const client = createCometClient(grpcTarget(c.addr), { deadlineMs: this.clientOptions.deadlineMs });
    this.entries.set(c.hostname, {
      hostname: c.hostname,
      zone: c.zone ?? '',
      service: client,
      addr: c.addr,
      close: () => client.close(),
    });
    if (notify) this.emit();
  }

  /** Removes a comet; returns whether it was known. */
  remove(hostname: string): boolean {
    const had = this.drop(hostname);
    if (had) this.emit();
    return had;
  }

  /** Makes the directory hold exactly `list`, keeping clients of unchanged addresses (a discovery snapshot). */
  replaceAddresses(list: readonly CometAddress[]): void {
    const next = new Set(list.map((c) => c.hostname));
    let changed = false;
    for (const h of [...this.entries.keys()]) if (!next.has(h)) changed = this.drop(h) || changed;
    for (const c of list) {
      const cur = this.entries.get(c.hostname);
      if (cur && cur.addr === c.addr && cur.zone === (c.zone ?? '')) continue;
      this.setAddress(c, false);
      changed = true;
    }
    // Discovery snapshots also change with every 10-s conn_count update: only real changes notify.
    if (changed) this.emit();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of [...this.entries.keys()]) this.drop(h);
    this.listeners.clear();
  }

  private drop(hostname: string): boolean {
    const cur = this.entries.get(hostname);
    if (!cur) return false;
    this.entries.delete(hostname);
    cur.close?.();
    return true;
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}

/**
 * The gRPC address of a discovery instance: its first `grpc://` entry (goim registers comets
 * as `grpc://ip:3109`), or undefined when it has none.
 */
export function instanceGrpcAddr(instance: Instance): string | undefined {
  return instance.addrs.find((a) => a.startsWith('grpc://'));
}

/**
 * Keeps `dir` equal to the registry's live instances of `appid` (default `goim.comet`):
 * every snapshot replaces the directory's content, keeping the clients of unchanged comets.
 * Instances of every zone are kept; the job filters by zone itself when `job.zoneOnly` is set.
 */
export function followRegistry(dir: MemoryCometDirectory, registry: Registry, appid = 'goim.comet'): Promise<Watch> {
  return registry.watch(appid, (snapshot) => {
    const list: CometAddress[] = [];
    for (const ins of snapshot.instances) {
      const addr = instanceGrpcAddr(ins);
      if (addr) list.push({ hostname: ins.hostname, zone: ins.zone, addr });
    }
    dir.replaceAddresses(list);
  });
}
