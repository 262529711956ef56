/**
 * The logic role behind both links: the gRPC server comets call (`goim.logic.Logic`) and
 * the in-process link apps/standalone hands to its comet. Spec §3.2 with the §10 fixes:
 * real authentication, compare-and-delete on Disconnect, a real sink for Receive.
 */
import { randomUUID } from 'node:crypto';
import {
  RpcError,
  RpcStatus,
  type ConnectReply,
  type ConnectReq,
  type DisconnectReply,
  type DisconnectReq,
  type HeartbeatReply,
  type HeartbeatReq,
  type LogicService,
  type NodesReply,
  type NodesReq,
  type OnlineReply,
  type OnlineReq,
  type ReceiveReply,
  type ReceiveReq,
} from '@goim/protocol/rpc';
import { SessionStoreError, SessionStoreErrorCode, type SessionStore } from '@goim/session-store';
import type { Authenticator } from './auth/types.js';
import type { WeightedBalancer } from './balancer.js';
import type { LogicConfig } from './config.js';
import { AuthError, AuthErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import type { LogicMetrics } from './metrics.js';
import type { OnlineAggregator } from './online.js';
import type { ReceiveSink } from './receive.js';

export interface LogicServiceDeps {
  config: LogicConfig;
  sessions: SessionStore;
  authenticator: Authenticator;
  online: OnlineAggregator;
  balancer: WeightedBalancer;
  receiveSink: ReceiveSink;
  metrics: LogicMetrics;
  logger: Logger;
  now: () => number;
  /** Region of a client IP; goim's was a stub that found none (§10.22). Default ''. */
  locate?: (clientIP: string) => string;
  newKey?: () => string;
}

/** The weighted node list for a platform/region (nodes/weighted and the Nodes RPC). */
export function nodesReply(config: LogicConfig, balancer: WeightedBalancer, platform: string, region: string): NodesReply {
  const { node, backoff } = config;
  const picked = balancer.pick(region, node.hostDomain, node.regionWeight);
  let nodes = platform === 'web' ? picked.domains : picked.addrs;
  if (nodes.length === 0) nodes = [node.defaultDomain];
  return {
    domain: node.defaultDomain,
    tcpPort: node.tcpPort,
    wsPort: node.wsPort,
    wssPort: node.wssPort,
    heartbeat: Math.floor(node.heartbeat / 1000),
    heartbeatMax: node.heartbeatMax,
    nodes,
    backoff: { maxDelay: backoff.maxDelay, baseDelay: backoff.baseDelay, factor: backoff.factor, jitter: backoff.jitter },
  };
}

/** Runs a session-store call; bad arguments become INVALID_ARGUMENT, other failures UNAVAILABLE. */
async function store<T>(method: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SessionStoreError && err.code === SessionStoreErrorCode.INVALID_ARGUMENT) {
      throw new RpcError(RpcStatus.INVALID_ARGUMENT, `${method}: ${err.message}`, { cause: err });
    }
    throw new RpcError(RpcStatus.UNAVAILABLE, `${method}: session store failed: ${(err as Error).message}`, { cause: err });
  }
}

function requireServer(server: string, method: string): void {
  if (!server) throw new RpcError(RpcStatus.INVALID_ARGUMENT, `${method}: server is required`);
}

/** Creates the LogicService implementation. */
export function createLogicService(deps: LogicServiceDeps): LogicService {
  const { config, sessions, authenticator, online, balancer, receiveSink, metrics, logger } = deps;
  const heartbeatNs = config.node.heartbeat * config.node.heartbeatMax * 1e6;
  const newKey = deps.newKey ?? randomUUID;
  const locate = deps.locate ?? (() => '');

  return {
    async connect(req: ConnectReq): Promise<ConnectReply> {
      requireServer(req.server, 'Connect');
      let identity;
      try {
        identity = await authenticator.authenticate(req.token, { server: req.server, cookie: req.cookie });
      } catch (err) {
        if (err instanceof AuthError && err.code !== AuthErrorCode.BACKEND_UNAVAILABLE) {
          metrics.connects.inc({ result: 'refused' });
          throw new RpcError(RpcStatus.UNAUTHENTICATED, err.message, { cause: err });
        }
        metrics.connects.inc({ result: 'error' });
        logger.warn({ err, server: req.server }, 'authenticator failed');
        throw new RpcError(RpcStatus.UNAVAILABLE, (err as Error).message, { cause: err });
      }
      const key = identity.key || newKey();
      try {
        await sessions.addMapping(identity.mid, key, req.server);
      } catch (err) {
        // goim accepts the connection anyway; the next Heartbeat re-adds the mapping.
        metrics.sessionErrors.inc({ op: 'addMapping' });
        logger.warn({ err, server: req.server }, 'session write failed on connect');
      }
      metrics.connects.inc({ result: 'ok' });
      return { mid: identity.mid, key, roomID: identity.roomID, accepts: identity.accepts, heartbeat: heartbeatNs };
    },

    async disconnect(req: DisconnectReq): Promise<DisconnectReply> {
      requireServer(req.server, 'Disconnect');
      // Only where the mapping still points at this server (goim deleted unconditionally, §10.3).
      const has = await store('Disconnect', () => sessions.delMapping(req.mid, req.key, req.server));
      return { has };
    },

    async heartbeat(req: HeartbeatReq): Promise<HeartbeatReply> {
      requireServer(req.server, 'Heartbeat');
      const has = await store('Heartbeat', () => sessions.expireMapping(req.mid, req.key));
      if (!has) await store('Heartbeat', () => sessions.addMapping(req.mid, req.key, req.server));
      return {};
    },

    async renewOnline(req: OnlineReq): Promise<OnlineReply> {
      requireServer(req.server, 'RenewOnline');
      // goim-ts: the reply also carries the store's data generation. Every comet asks every
      // online interval, so a store that lost its sessions (Redis restarted empty) is noticed
      // within one interval, and each comet re-registers its connections (spread over their
      // client heartbeats). A Go comet ignores the field.
      const [, epoch] = await Promise.all([
        store('RenewOnline', () =>
          sessions.addServerOnline({ server: req.server, roomCount: req.roomCount, updated: Math.floor(deps.now() / 1000) }),
        ),
        store('RenewOnline', () => sessions.epoch()),
      ]);
      online.noteReport(req.server);
      return { allRoomCount: Object.fromEntries(online.roomCount()), epoch };
    },

    async receive(req: ReceiveReq): Promise<ReceiveReply> {
      try {
        await receiveSink.receive(req);
      } catch (err) {
        // The comet learns the message was not taken (goim's Receive could not fail).
        throw new RpcError(RpcStatus.UNAVAILABLE, (err as Error).message, { cause: err });
      }
      metrics.received.inc();
      return {};
    },

    async nodes(req: NodesReq): Promise<NodesReply> {
      return nodesReply(config, balancer, req.platform, locate(req.clientIP));
    },
  };
}
