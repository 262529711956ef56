/**
 * goim v2 operation codes (spec §1.2) plus goim-ts extensions (ops 18–21).
 * Business ops (≥ 1000 by convention) are plain numbers.
 */
export const Op = {
  Handshake: 0,
  HandshakeReply: 1,
  Heartbeat: 2,
  HeartbeatReply: 3,
  SendMsg: 4,
  SendMsgReply: 5,
  /** Server → client before a close: JSON `{code, reason, reconnect}` (goim-ts; unused in goim). */
  DisconnectReply: 6,
  Auth: 7,
  /** Server → client; goim sends an empty body, goim-ts adds `{mid,key,room_id,heartbeat}`. */
  AuthReply: 8,
  /** Server push container: inner frames verbatim on TCP, wrapped in one op-9 frame on WebSocket. */
  Raw: 9,
  /** Internal sentinel in goim, never on the wire. */
  ProtoReady: 10,
  /** Internal sentinel in goim, never on the wire. */
  ProtoFinish: 11,
  /** Replace all rooms by the body's room id (empty body = leave all rooms). */
  ChangeRoom: 12,
  ChangeRoomReply: 13,
  Sub: 14,
  SubReply: 15,
  Unsub: 16,
  UnsubReply: 17,
  /** goim-ts: join one more room (body = room id, echoed in op 19). */
  JoinRoom: 18,
  JoinRoomReply: 19,
  /** goim-ts: leave one room (body = room id, echoed in op 21). */
  LeaveRoom: 20,
  LeaveRoomReply: 21,
} as const;

export type OpName = keyof typeof Op;
export type KnownOp = (typeof Op)[OpName];
