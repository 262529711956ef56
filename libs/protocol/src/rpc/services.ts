/**
 * The role interfaces of goim-ts, derived from goim's gRPC services.
 *
 * `LogicService` is what a comet needs from logic; `CometService` is what job (and the
 * admin API) need from a comet. gRPC (`./grpc.ts`) is one implementation; apps/standalone
 * passes the objects directly (an in-process link). Methods take and return the generated
 * protobuf message types, so both links carry exactly the same data.
 *
 * Errors: an implementation rejects with {@link RpcError} to choose the gRPC status a
 * remote caller sees; any other error becomes INTERNAL with its message.
 */
import type {
  BroadcastReply,
  BroadcastReq,
  BroadcastRoomReply,
  BroadcastRoomReq,
  KickReply,
  KickReq,
  PushMsgReply,
  PushMsgReq,
  RoomsReply,
  RoomsReq,
} from './gen/goim/comet/comet.js';
import type {
  ConnectReply,
  ConnectReq,
  DisconnectReply,
  DisconnectReq,
  HeartbeatReply,
  HeartbeatReq,
  NodesReply,
  NodesReq,
  OnlineReply,
  OnlineReq,
  ReceiveReply,
  ReceiveReq,
} from './gen/goim/logic/logic.js';

/** What a comet calls on logic (`goim.logic.Logic`). */
export interface LogicService {
  /** Authenticates a connection from its op-7 token and records its session. */
  connect(req: ConnectReq): Promise<ConnectReply>;
  /** Forgets a session; only removes mappings that still point at `req.server`. */
  disconnect(req: DisconnectReq): Promise<DisconnectReply>;
  /** Refreshes the session TTL (re-adds it if it expired). */
  heartbeat(req: HeartbeatReq): Promise<HeartbeatReply>;
  /** Stores this comet's room counts; answers the cluster-wide counts. */
  renewOnline(req: OnlineReq): Promise<OnlineReply>;
  /** An upstream client message (any op comet does not handle itself). */
  receive(req: ReceiveReq): Promise<ReceiveReply>;
  /** The weighted comet list for a client. */
  nodes(req: NodesReq): Promise<NodesReply>;
}

/** What job (and logic's admin API) call on a comet (`goim.comet.Comet`). */
export interface CometService {
  /** Pushes to connections by key; only those whose accepts contain `protoOp`. */
  pushMsg(req: PushMsgReq): Promise<PushMsgReply>;
  /** Pushes to every connection whose accepts contain `protoOp`. */
  broadcast(req: BroadcastReq): Promise<BroadcastReply>;
  /** Pushes to every member of a room (no accepts filter). */
  broadcastRoom(req: BroadcastRoomReq): Promise<BroadcastRoomReply>;
  /** Rooms with at least one local member. */
  rooms(req: RoomsReq): Promise<RoomsReply>;
  /** goim-ts extension: disconnects connections by key or mid with a reason. */
  kick(req: KickReq): Promise<KickReply>;
}

/** gRPC status codes used by goim-ts (the numeric values are gRPC's). */
export const RpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type RpcStatus = (typeof RpcStatus)[keyof typeof RpcStatus];

/** An error that carries the gRPC status a remote caller should see. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: RpcStatus,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
