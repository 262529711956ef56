/**
 * `@goim/protocol/rpc` (Node only): goim's protobuf messages (packages goim.protocol,
 * goim.comet, goim.logic with goim's names and field numbers), the role interfaces and
 * their gRPC links.
 */
export { Proto } from './gen/goim/protocol/protocol.js';
export {
  PushMsgReq,
  PushMsgReply,
  BroadcastReq,
  BroadcastReply,
  BroadcastRoomReq,
  BroadcastRoomReply,
  RoomsReq,
  RoomsReply,
  KickReq,
  KickReply,
} from './gen/goim/comet/comet.js';
export {
  PushMsg,
  PushMsg_Type,
  ConnectReq,
  ConnectReply,
  DisconnectReq,
  DisconnectReply,
  HeartbeatReq,
  HeartbeatReply,
  OnlineReq,
  OnlineReply,
  ReceiveReq,
  ReceiveReply,
  NodesReq,
  NodesReply,
  Backoff,
} from './gen/goim/logic/logic.js';
export { RpcError, RpcStatus } from './services.js';
export {
  DEFAULT_RPC_DEADLINE_MS,
  DEFAULT_GRPC_CHANNEL_OPTIONS,
  DEFAULT_GRPC_SERVER_OPTIONS,
  CometServiceDefinition,
  LogicServiceDefinition,
  cometGrpcHandlers,
  logicGrpcHandlers,
  createCometClient,
  createLogicClient,
} from './grpc.js';
export type { CometService, LogicService } from './services.js';
export type { Closable, GrpcClientOptions } from './grpc.js';
