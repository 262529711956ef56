/**
 * createComet: composes buckets, the shared timer wheel, transports (TCP, WS, WSS), the
 * gRPC server `goim.comet.Comet`, the HTTP admin server and the online loop. No process
 * globals: `main.ts` parses config, builds the logic link and handles signals.
 */
import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { Buckets, TimerWheel, type Channel } from '@goim/bucket';
import { DisconnectCode, Op, encodeFrame, filterRawBatch, type DisconnectNotice } from '@goim/protocol';
import {
  RpcError,
  RpcStatus,
  type CometService,
  type LogicService,
  type Proto,
} from '@goim/protocol/rpc';
import { parseBind, type CometConfig } from './config.js';
import type { Connection, ConnectionContext } from './connection.js';
import { RecentIds } from './dedupe.js';
import { CometError, CometErrorCode } from './errors.js';
import { startCometGrpcServer, type CometGrpcServer } from './grpc-server.js';
import { createAdminServer } from './http-admin.js';
import type { Logger } from './logger.js';
import { createCometMetrics, type CometMetrics } from './metrics.js';
import type { Counter } from 'prom-client';
import { createTcpServer } from './tcp.js';
import { createWsServer } from './ws.js';

/** What a comet needs from outside. */
export interface CometDeps {
  /** The logic link: a gRPC client (`createLogicClient`) or an in-process logic. */
  logic: LogicService;
  /** pino-compatible logger; silent when absent. */
  logger?: Logger;
  /** Clock in ms (deadlines, server heartbeats). Default `Date.now`. */
  now?: () => number;
  /** Random source in [0, 1) (server-heartbeat jitter). Default `Math.random`. */
  random?: () => number;
  /** Waits `ms` (broadcast pacing); default a `setTimeout` promise. */
  sleep?: (ms: number) => Promise<void>;
}

/** A bound address. */
export interface BoundAddress {
  host: string;
  port: number;
}

/** Where the comet listens after {@link Comet.listen}. */
export interface CometAddresses {
  tcp: BoundAddress[];
  ws: BoundAddress[];
  wss: BoundAddress[];
  grpc: BoundAddress | undefined;
  admin: BoundAddress | undefined;
}

/** A comet instance. */
export interface Comet {
  /** Starts every listener and the online loop. */
  listen(): Promise<CometAddresses>;
  /**
   * Graceful shutdown: stop accepting, send op 6 `SHUTDOWN` (reconnect: true) to every
   * connection, closing them in batches over `drainMs` (default `shutdown.drain`), tell
   * logic about each, then stop gRPC and admin. Safe to call twice.
   */
  close(drainMs?: number): Promise<void>;
  /** The comet service (the in-process link for apps/standalone and job). */
  readonly service: CometService;
  readonly buckets: Buckets;
  readonly metrics: CometMetrics;
  /** This comet's id (`env.host`). */
  readonly host: string;
  /** Live client sockets (authenticated or not). */
  readonly connections: number;
  /** Runs one RenewOnline round now (the loop does it every `online.interval`). */
  reportOnline(): Promise<void>;
}

const SHUTDOWN_NOTICE: DisconnectNotice = Object.freeze({ code: DisconnectCode.SHUTDOWN, reason: 'server shutting down', reconnect: true });

/**
 * The OpRaw body for a pushed proto. Job always sends op 9 (pre-serialised frames); any
 * other proto is serialised here once, so TCP clients get exactly goim's bytes and WS
 * clients get it inside op 9 like every other push.
 */
export function rawBodyOf(proto: Proto): Uint8Array {
  if (proto.op === Op.Raw) return proto.body;
  return encodeFrame({ ver: proto.ver, op: proto.op, seq: proto.seq, body: proto.body });
}

/** Builds a comet from a resolved config (see `resolveCometConfig`). Nothing listens until `listen()`. */
export function createComet(config: CometConfig, deps: CometDeps): Comet {
  const { logic, logger } = deps;
  const now = deps.now ?? Date.now;
  const host = config.env.host;
  const buckets = new Buckets({
    size: config.bucket.size,
    maxOutboundBytes: config.protocol.maxOutboundBytes,
    ...(logger ? { logger: logger.child({ component: 'bucket' }) } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  let state: 'new' | 'listening' | 'closing' | 'closed' = 'new';
  let closing: Promise<void> | undefined;
  const live = new Set<Connection>();
  const socketsByTransport: Record<string, number> = { tcp: 0, ws: 0, wss: 0 };
  const metrics = createCometMetrics({
    stats: () => buckets.stats(),
    counters: () => buckets.counters,
    sockets: () => socketsByTransport,
  });
  const wheel = new TimerWheel<Connection>({
    onExpire: (conn) => conn.onDeadline(),
    resolutionMs: Math.max(1, Math.round(config.protocol.timerResolution)),
    now,
    ...(logger ? { logger } : {}),
  });
  const pendingLogic = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): void => {
    const q = p.then(
      () => undefined,
      () => undefined,
    );
    pendingLogic.add(q);
    void q.then(() => pendingLogic.delete(q));
  };

  // Write deadlines: sockets holding unsent bytes are checked every tick; one that made no
  // progress for `writeTimeout` is closed (goim had none, so a stuck socket stalled, §10.4).
  const writeWatch = new Set<Connection>();
  let writeTimer: ReturnType<typeof setInterval> | undefined;
  const writeTimeoutMs = config.protocol.writeTimeout;
  const checkWrites = (): void => {
    const t = now();
    for (const conn of writeWatch) {
      const b = conn.bufferedBytes;
      if (conn.isClosed || b === 0) {
        writeWatch.delete(conn);
        conn._writeSince = 0;
      } else if (b < conn._writeLast) {
        conn._writeSince = t;
        conn._writeLast = b;
      } else if (t - conn._writeSince >= writeTimeoutMs) {
        writeWatch.delete(conn);
        conn._writeSince = 0;
        conn.onWriteTimeout();
      } else {
        conn._writeLast = b;
      }
    }
    if (writeWatch.size === 0 && writeTimer !== undefined) {
      clearInterval(writeTimer);
      writeTimer = undefined;
    }
  };

  const ctx: ConnectionContext = {
    host,
    logic,
    buckets,
    // After close() the wheel is gone; late closes (an in-process kick) just skip the grace timer.
    deadlines: {
      add: (conn, ms) => {
        if (state !== 'closed') wheel.add(conn, ms);
      },
      remove: (conn) => wheel.remove(conn),
    },
    metrics,
    logger: logger?.child({ component: 'connection' }),
    handshakeTimeoutMs: config.protocol.handshakeTimeout,
    defaultIdleTimeoutMs: config.protocol.defaultIdleTimeout,
    maxPendingFrames: config.protocol.maxPendingFrames,
    closeGraceMs: Math.max(100, Math.min(1_000, writeTimeoutMs)),
    resyncGeneration: 0,
    now,
    random: deps.random ?? Math.random,
    track(conn) {
      live.add(conn);
      socketsByTransport[conn.transport] = (socketsByTransport[conn.transport] ?? 0) + 1;
    },
    untrack(conn) {
      if (live.delete(conn)) socketsByTransport[conn.transport]!--;
      writeWatch.delete(conn);
    },
    watchWrite(conn) {
      if (writeTimeoutMs <= 0 || writeWatch.has(conn)) return;
      conn._writeSince = now();
      conn._writeLast = conn.bufferedBytes;
      writeWatch.add(conn);
      if (writeTimer === undefined) {
        writeTimer = setInterval(checkWrites, Math.max(10, Math.min(config.protocol.timerResolution, writeTimeoutMs)));
        writeTimer.unref();
      }
    },
    receiveFailed(err) {
      metrics.logicErrors.inc({ method: 'receive' });
      logger?.debug({ err }, 'logic receive failed');
    },
    disconnectFromLogic(mid, key) {
      track(
        logic.disconnect({ mid, key, server: host }).catch((err: unknown) => {
          metrics.logicErrors.inc({ method: 'disconnect' });
          logger?.debug({ err, key }, 'logic disconnect failed');
        }),
      );
    },
  };

  // ---- comet service (gRPC handlers and the in-process link) -----------------------------
  const recent = new RecentIds(config.bucket.dedupeSize);
  const broadcasts = new Set<Promise<unknown>>();
  const duplicate = (kind: string, id: string): boolean => {
    if (!recent.has(id)) return false;
    metrics.duplicates.inc({ kind });
    return true;
  };
  /**
   * A room batch's op-9 body without the frames whose msgID was delivered before: a
   * redelivered message may come back batched with other neighbours (new batch id).
   */
  const unseenFrames = (proto: Proto, ids: readonly string[]): Uint8Array => {
    if (proto.op !== Op.Raw) throw new RpcError(RpcStatus.INVALID_ARGUMENT, 'rpc broadcastroom: msgIDs need an op-9 proto');
    let seen = 0;
    for (const id of ids) if (recent.has(id)) seen++;
    if (seen === 0) return proto.body;
    let frames = 0;
    let body: Uint8Array;
    try {
      body = filterRawBatch(proto.body, (i) => {
        frames = i + 1;
        return !recent.has(ids[i] ?? '');
      });
    } catch (err) {
      throw new RpcError(RpcStatus.INVALID_ARGUMENT, `rpc broadcastroom: ${(err as Error).message}`);
    }
    if (frames !== ids.length) throw new RpcError(RpcStatus.INVALID_ARGUMENT, `rpc broadcastroom: ${ids.length} msgIDs for ${frames} frames`);
    metrics.duplicates.inc({ kind: 'room-frame' }, seen);
    return body;
  };
  // Bound once: prom-client hashes the label object on every inc({…}), and these count every push.
  let keyPushesIn: Counter.Internal | undefined;
  let broadcastPushesIn: Counter.Internal | undefined;
  let roomPushesIn: Counter.Internal | undefined;
  const service: CometService = {
    async pushMsg(req) {
      if (req.keys.length === 0 || !req.proto) throw new RpcError(RpcStatus.INVALID_ARGUMENT, 'rpc pushmsg arg error');
      if (duplicate('keys', req.msgID)) return {};
      (keyPushesIn ??= metrics.pushesIn.labels('keys')).inc();
      buckets.pushKeys(req.keys, req.protoOp, rawBodyOf(req.proto));
      recent.add(req.msgID);
      return {};
    },
    async broadcast(req) {
      if (!req.proto) throw new RpcError(RpcStatus.INVALID_ARGUMENT, 'rpc broadcast arg error');
      if (req.speed < 0) throw new RpcError(RpcStatus.INVALID_ARGUMENT, 'rpc broadcast: speed must be ≥ 0');
      if (duplicate('broadcast', req.msgID)) return {};
      (broadcastPushesIn ??= metrics.pushesIn.labels('broadcast')).inc();
      const p = buckets.broadcast(req.protoOp, rawBodyOf(req.proto), req.speed);
      recent.add(req.msgID);
      // goim returns at once and walks the buckets in the background (paced by speed).
      if (req.speed > 0) {
        const q = p.then(
          () => undefined,
          (err: unknown) => logger?.error({ err }, 'paced broadcast failed'),
        );
        broadcasts.add(q);
        void q.then(() => broadcasts.delete(q));
      } else {
        await p;
      }
      return {};
    },
    async broadcastRoom(req) {
      if (!req.proto || req.roomID === '') throw new RpcError(RpcStatus.INVALID_ARGUMENT, 'rpc broadcastroom arg error');
      if (duplicate('room', req.msgID)) return {};
      let body = rawBodyOf(req.proto);
      if (req.msgIDs.length > 0) {
        body = unseenFrames(req.proto, req.msgIDs);
        if (body.length === 0) {
          metrics.duplicates.inc({ kind: 'room' });
          recent.add(req.msgID);
          return {};
        }
      }
      (roomPushesIn ??= metrics.pushesIn.labels('room')).inc();
      buckets.broadcastRoom(req.roomID, body);
      recent.add(req.msgID);
      for (const id of req.msgIDs) recent.add(id);
      return {};
    },
    async rooms() {
      const rooms: Record<string, boolean> = {};
      for (const id of buckets.rooms()) rooms[id] = true;
      return { rooms };
    },
    async kick(req) {
      const notice: DisconnectNotice = { code: DisconnectCode.KICKED, reason: req.reason || 'kicked', reconnect: false };
      return { kicked: buckets.kick(req.keys, req.mids, notice) };
    },
  };

  // ---- online loop (spec §2.10) -----------------------------------------------------------
  let onlineTimer: ReturnType<typeof setTimeout> | undefined;
  let onlineStopped = false;
  // The last non-empty session-store epoch logic reported (goim-ts OnlineReply field 2).
  let lastEpoch = '';
  const noteEpoch = (epoch: string): void => {
    // A Go logic sends none: that neither triggers a resync nor forgets what a TS logic said.
    if (epoch === '' || epoch === lastEpoch) return;
    const previous = lastEpoch;
    lastEpoch = epoch;
    if (previous === '') return; // the first one seen: nothing to compare with
    // Logic's session store lost its data (e.g. Redis restarted empty): every connection
    // re-registers through logic Heartbeat on its next client heartbeat (see Connection).
    ctx.resyncGeneration++;
    metrics.sessionResyncs.inc();
    logger?.info({ previous, epoch, connections: live.size }, 'logic session store lost its data: connections re-register on their next heartbeat');
  };
  const reportOnline = async (): Promise<void> => {
    const reply = await logic.renewOnline({ server: host, roomCount: buckets.roomCounts() });
    buckets.setAllOnline(reply.allRoomCount);
    noteEpoch(reply.epoch);
  };
  const onlineLoop = (): void => {
    if (onlineStopped) return;
    reportOnline().then(
      () => schedule(config.online.interval),
      (err: unknown) => {
        metrics.logicErrors.inc({ method: 'renewOnline' });
        logger?.warn({ err }, 'renew online failed');
        schedule(config.online.retry);
      },
    );
  };
  const schedule = (ms: number): void => {
    if (onlineStopped) return;
    onlineTimer = setTimeout(onlineLoop, ms);
    onlineTimer.unref();
  };

  // ---- listeners --------------------------------------------------------------------------
  const netServers: { kind: 'tcp' | 'ws' | 'wss'; server: NetServer | HttpServer }[] = [];
  let grpc: CometGrpcServer | undefined;
  let admin: HttpServer | undefined;

  const listenOn = (server: NetServer, bind: string): Promise<BoundAddress> => {
    const b = parseBind(bind);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: b.port, host: b.host }, () => {
        server.off('error', reject);
        const a = server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  };

  async function listen(): Promise<CometAddresses> {
    if (state !== 'new') throw new CometError(CometErrorCode.BAD_STATE, `listen() called in state ${state}`);
    state = 'listening';
    const out: CometAddresses = { tcp: [], ws: [], wss: [], grpc: undefined, admin: undefined };
    for (const bind of config.tcp.bind) {
      const s = createTcpServer(ctx, { keepalive: config.tcp.keepalive });
      netServers.push({ kind: 'tcp', server: s });
      out.tcp.push(await listenOn(s, bind));
    }
    for (const bind of config.websocket.bind) {
      const s = createWsServer(ctx, { maxPayloadBytes: config.websocket.maxPayloadBytes });
      netServers.push({ kind: 'ws', server: s });
      out.ws.push(await listenOn(s, bind));
    }
    if (config.websocket.tlsOpen) {
      const certs = config.websocket.certFile as string[];
      const keys = config.websocket.privateFile as string[];
      let tls;
      try {
        // All pairs in one server; Node picks by SNI like goim's tls.Config.
        tls = { cert: certs.map((f) => readFileSync(f)), key: keys.map((f) => readFileSync(f)) };
      } catch (err) {
        throw new CometError(CometErrorCode.TLS_FILE, `cannot read TLS files: ${(err as Error).message}`, { cause: err });
      }
      for (const bind of config.websocket.tlsBind) {
        const s = createWsServer(ctx, { maxPayloadBytes: config.websocket.maxPayloadBytes, tls });
        netServers.push({ kind: 'wss', server: s });
        out.wss.push(await listenOn(s, bind));
      }
    }
    if (config.rpcServer.addr) {
      grpc = await startCometGrpcServer(service, config.rpcServer.addr);
      out.grpc = { host: grpc.host, port: grpc.port };
    }
    if (config.admin.addr) {
      admin = createAdminServer({ registry: metrics.registry, ready: () => state === 'listening' });
      out.admin = await listenOn(admin, config.admin.addr);
    }
    onlineLoop();
    logger?.info({ host, addresses: out }, 'comet listening');
    return out;
  }

  const closeServer = (s: NetServer | HttpServer): Promise<void> =>
    new Promise((resolve) => {
      if (!s.listening) return resolve();
      s.close(() => resolve());
    });

  async function drain(drainMs: number): Promise<void> {
    // Stop accepting first (existing sockets stay open).
    const stopped = Promise.all(netServers.map(({ server }) => closeServer(server)));
    onlineStopped = true;
    if (onlineTimer) clearTimeout(onlineTimer);
    // Close live connections in batches spread over the drain window.
    const all = [...live];
    const batch = config.shutdown.batchSize;
    const batches = Math.ceil(all.length / batch);
    const pause = batches > 1 ? drainMs / batches : 0;
    logger?.info({ connections: all.length, batches, drainMs }, 'comet draining');
    for (let i = 0; i < all.length; i += batch) {
      for (const conn of all.slice(i, i + batch)) conn.close(SHUTDOWN_NOTICE);
      if (pause > 0 && i + batch < all.length) await new Promise((r) => setTimeout(r, pause));
    }
    // Sockets closing: wait for them (the close grace destroys laggards).
    const deadline = Date.now() + ctx.closeGraceMs + 2 * wheel.resolutionMs + 500;
    while (live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const conn of [...live]) conn.onWriteTimeout(); // destroys what is left
    await stopped;
    // Logic Disconnect calls (one per connection) have their own RPC deadline.
    await Promise.all([...pendingLogic]);
    await Promise.all([...broadcasts]);
    if (grpc) await grpc.close();
    if (admin) await closeServer(admin);
    if (writeTimer) clearInterval(writeTimer);
    wheel.close();
    state = 'closed';
    logger?.info({}, 'comet closed');
  }

  return {
    listen,
    close(drainMs?: number): Promise<void> {
      if (closing) return closing;
      state = 'closing';
      closing = drain(drainMs ?? config.shutdown.drain);
      return closing;
    },
    service,
    buckets,
    metrics,
    host,
    get connections() {
      return live.size;
    },
    reportOnline,
  };
}

export type { Channel };
