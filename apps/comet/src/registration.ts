/**
 * Comet ↔ discovery (spec §2.9, §5): the comet registers itself as `goim.comet` with goim's
 * metadata (weight, offline, addrs, then conn_count / ip_count every 10 s) and sends its logic
 * calls through a client that follows the live `goim.logic` instances.
 */
import { instanceAddr, type Instance, type InstanceSnapshot, type Registration, type Registry, type Watch } from '@goim/discovery-client';
import {
  RpcError,
  RpcStatus,
  createLogicClient,
  type Closable,
  type LogicService,
} from '@goim/protocol/rpc';
import type { Logger } from './logger.js';

/** Builds one logic client for `host:port` (injected in tests). */
export type LogicClientFactory = (addr: string) => Closable<LogicService>;

/** Options of {@link FollowingLogicClient}. */
export interface FollowingLogicClientOptions {
  /** The comet's zone: logic instances of this zone are preferred when any exist (goim §2.9). */
  zone?: string;
  /** Deadline of every call, ms (goim had none, §10.14). */
  deadlineMs?: number;
  /** Client factory; default `createLogicClient(addr, { deadlineMs })`. */
  createClient?: LogicClientFactory;
  logger?: Logger;
}

interface Member {
  hostname: string;
  zone: string;
  addr: string;
  client: Closable<LogicService>;
}

type Method = keyof LogicService;

/**
 * A `LogicService` that spreads calls round-robin over the logic instances of the last
 * discovery snapshot (own zone first, as goim's resolver). Clients of unchanged instances are
 * kept, new ones are dialled, removed ones closed — no restart needed. With no logic known a
 * call fails at once with UNAVAILABLE (the caller retries, e.g. the online loop). A call that
 * fails UNAVAILABLE is tried once more on the next instance, so a logic that just died costs
 * no client connection.
 */
export class FollowingLogicClient implements LogicService {
  private members = new Map<string, Member>();
  private order: Member[] = [];
  private next = 0;
  private closed = false;
  private readonly createClient: LogicClientFactory;

  constructor(private readonly options: FollowingLogicClientOptions = {}) {
    this.createClient = options.createClient ?? ((addr) => createLogicClient(addr, { deadlineMs: options.deadlineMs }));
  }

  /** Hostnames of the logic instances calls currently go to. */
  targets(): string[] {
    return this.order.map((m) => m.hostname);
  }

  /** Applies a `goim.logic` snapshot (instances without a `grpc://` address are skipped). */
  update(instances: readonly Instance[]): void {
    if (this.closed) return;
    const wanted = new Map<string, { zone: string; addr: string }>();
    for (const ins of instances) {
      const addr = instanceAddr(ins);
      if (addr) wanted.set(ins.hostname, { zone: ins.zone, addr });
    }
    const before = this.targets().join(',');
    for (const [hostname, m] of this.members) {
      const w = wanted.get(hostname);
      if (!w || w.addr !== m.addr) {
        this.members.delete(hostname);
        m.client.close();
      }
    }
    for (const [hostname, w] of wanted) {
      const cur = this.members.get(hostname);
      if (cur) cur.zone = w.zone;
      else this.members.set(hostname, { hostname, zone: w.zone, addr: w.addr, client: this.createClient(w.addr) });
    }
    const all = [...this.members.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : 1));
    const zone = this.options.zone;
    const local = zone ? all.filter((m) => m.zone === zone) : [];
    this.order = local.length > 0 ? local : all;
    const after = this.targets().join(',');
    if (before !== after) {
      if (this.order.length === 0) this.options.logger?.warn({}, 'no goim.logic instance in discovery: logic calls fail until one registers');
      else this.options.logger?.info({ logics: this.targets() }, 'logic instances changed');
    }
  }

  /** Closes every client; later calls fail with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    for (const m of this.members.values()) m.client.close();
    this.members.clear();
    this.order = [];
  }

  connect = this.call('connect');
  disconnect = this.call('disconnect');
  heartbeat = this.call('heartbeat');
  renewOnline = this.call('renewOnline');
  receive = this.call('receive');
  nodes = this.call('nodes');

  private pick(): Member | undefined {
    const n = this.order.length;
    if (n === 0) return undefined;
    const m = this.order[this.next % n]!;
    this.next = (this.next + 1) % n;
    return m;
  }

  private call<M extends Method>(method: M): LogicService[M] {
    const run = async (req: unknown): Promise<unknown> => {
      const first = this.pick();
      if (!first) throw new RpcError(RpcStatus.UNAVAILABLE, 'no goim.logic instance known');
      const invoke = (m: Member) => (m.client[method] as (r: unknown) => Promise<unknown>)(req);
      try {
        return await invoke(first);
      } catch (err) {
        const second = err instanceof RpcError && err.code === RpcStatus.UNAVAILABLE ? this.pick() : undefined;
        if (!second || second === first) throw err;
        return invoke(second);
      }
    };
    return run as LogicService[M];
  }
}

/**
 * Watches `goim.logic` in `registry` and feeds `client`. Resolves once the first snapshot was
 * applied (the registry calls back before `watch` resolves).
 */
export function followLogic(registry: Registry, client: FollowingLogicClient, appid = 'goim.logic'): Promise<Watch> {
  return registry.watch(appid, (snapshot: InstanceSnapshot) => client.update(snapshot.instances));
}

/** What {@link registerComet} reads from the running comet. */
export interface CometLoad {
  /** Live authenticated connections and distinct client IPs (`Buckets.stats()`). */
  stats(): { channels: number; ips: number };
}

/** Identity of the comet registration (goim's flags). */
export interface CometIdentity {
  region: string;
  zone: string;
  host: string;
  weight: number;
  offline: boolean;
  /** Public client addresses (goim `-addrs`), stored comma-joined in metadata `addrs`. */
  addrs: readonly string[];
  /** `host:port` other processes reach the comet's gRPC server at. */
  grpcAddr: string;
}

/** A live comet registration. */
export interface CometRegistration {
  readonly registration: Registration;
  /** Writes conn_count / ip_count now (the timer does it every interval). */
  refresh(): Promise<void>;
  /** Stops the refresh timer and removes the instance from discovery; safe twice. */
  cancel(): Promise<void>;
}

/** goim's comet metadata (spec §5): every value a string. */
export function cometMetadata(id: CometIdentity, load: { channels: number; ips: number }): Record<string, string> {
  return {
    weight: String(id.weight),
    offline: String(id.offline),
    addrs: id.addrs.join(','),
    conn_count: String(load.channels),
    ip_count: String(load.ips),
  };
}

/**
 * Registers the comet as `goim.comet` (`addrs: ['grpc://host:port']`, goim's metadata) and
 * refreshes conn_count / ip_count every `intervalMs` (goim: 10 s). A failed refresh is logged
 * and retried at the next tick (the registration itself is kept alive by the adapter).
 */
export async function registerComet(
  registry: Registry,
  id: CometIdentity,
  load: CometLoad,
  options: { intervalMs: number; logger?: Logger },
): Promise<CometRegistration> {
  const registration = await registry.register({
    region: id.region,
    zone: id.zone,
    appid: 'goim.comet',
    hostname: id.host,
    addrs: [`grpc://${id.grpcAddr}`],
    version: '',
    metadata: cometMetadata(id, load.stats()),
  });
  let cancelled = false;
  let failing = false;
  const refresh = async (): Promise<void> => {
    if (cancelled) return;
    try {
      await registration.update(cometMetadata(id, load.stats()));
      if (failing) options.logger?.info({}, 'discovery metadata update works again');
      failing = false;
    } catch (err) {
      if (cancelled) return;
      // Logged once per outage, not every tick.
      if (!failing) options.logger?.warn({ err }, 'discovery metadata update failed; retrying every interval');
      failing = true;
    }
  };
  const timer = setInterval(() => void refresh(), Math.max(1, options.intervalMs));
  timer.unref();
  return {
    registration,
    refresh,
    async cancel() {
      if (cancelled) return;
      cancelled = true;
      clearInterval(timer);
      await registration.cancel();
    },
  };
}
