/**
 * Protobuf wire bytes of every §12 message, written out by hand (tag = field << 3 | wire
 * type; varints little-endian base-128; floats little-endian IEEE-754). Go goim peers
 * read and write exactly these bytes, so matching them is what interop means. Each case
 * also decodes its bytes back to the same object.
 */
import {
  Backoff,
  BroadcastReply,
  BroadcastReq,
  BroadcastRoomReply,
  BroadcastRoomReq,
  ConnectReply,
  ConnectReq,
  DisconnectReply,
  DisconnectReq,
  HeartbeatReply,
  HeartbeatReq,
  KickReply,
  KickReq,
  NodesReply,
  NodesReq,
  OnlineReply,
  OnlineReq,
  Proto,
  PushMsg,
  PushMsgReply,
  PushMsgReq,
  PushMsg_Type,
  ReceiveReply,
  ReceiveReq,
  RoomsReply,
  RoomsReq,
} from './index.js';

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** Joins hex fragments; each fragment is one field, commented at the call site. */
const h = (...parts: string[]) => parts.join('').replace(/\s+/g, '');
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const buf = (s: string) => Buffer.from(s, 'utf8');

// ASCII of the strings used below.
const LIVE1 = '6c6976653a2f2f31'; // "live://1" (8 bytes)
const C1 = '6331'; // "c1"
const K1 = '6b31'; // "k1"
const K2 = '6b32'; // "k2"

const cases: [string, Codec<any>, unknown, string][] = [
  [
    'goim.protocol.Proto',
    Proto,
    { ver: 1, op: 9, seq: 7, body: buf('abc') },
    h(
      '08 01', //          1 ver = 1
      '10 09', //          2 op = 9
      '18 07', //          3 seq = 7
      '22 03 616263', //   4 body = "abc"
    ),
  ],
  [
    'goim.logic.PushMsg (every field set)',
    PushMsg,
    { type: PushMsg_Type.ROOM, operation: 1000, speed: 2, server: 'c1', room: 'live://1', keys: ['k1', 'k2'], msg: buf('hi'), msgID: 'm1' },
    h(
      '08 01', //                 1 type = ROOM (1)
      '10 e807', //               2 operation = 1000
      '18 02', //                 3 speed = 2
      '22 02', C1, //             4 server = "c1"
      '2a 08', LIVE1, //          5 room = "live://1"
      '32 02', K1, '32 02', K2, // 6 keys = ["k1", "k2"] (one field per element)
      '3a 02 6869', //            7 msg = "hi"
      '42 02 6d31', //            8 msgID = "m1" (goim-ts extension; Go ignores field 8)
    ),
  ],
  [
    'goim.logic.PushMsg as goim writes it (PUSH, no extension field)',
    PushMsg,
    { type: PushMsg_Type.PUSH, operation: 1000, speed: 0, server: 'c1', room: '', keys: ['k1'], msg: buf('{}'), msgID: '' },
    h(
      // 1 type = PUSH (0) and 3 speed = 0: proto3 defaults are not written
      '10 e807', //    2 operation = 1000
      '22 02', C1, //  4 server = "c1"
      '32 02', K1, //  6 keys = ["k1"]
      '3a 02 7b7d', // 7 msg = "{}"
    ),
  ],
  [
    'goim.logic.ConnectReq',
    ConnectReq,
    { server: 'comet-1', cookie: 'a=b', token: buf('{"mid":1}') },
    h(
      '0a 07 636f6d65742d31', //       1 server = "comet-1"
      '12 03 613d62', //               2 cookie = "a=b"
      '1a 09 7b226d6964223a317d', //   3 token = {"mid":1}
    ),
  ],
  [
    'goim.logic.ConnectReply',
    ConnectReply,
    { mid: 123, key: 'k1', roomID: 'live://1', accepts: [1000, 1001], heartbeat: 480_000_000_000 },
    h(
      '08 7b', //                1 mid = 123
      '12 02', K1, //            2 key = "k1"
      '1a 08', LIVE1, //         3 roomID = "live://1"
      '22 04 e807 e907', //      4 accepts = [1000, 1001] (packed, proto3 default for repeated scalars)
      '28 8080eb91fc0d', //      5 heartbeat = 480 000 000 000 ns (8 min)
    ),
  ],
  [
    'goim.logic.ConnectReply with a negative int64 mid',
    ConnectReply,
    { mid: -1, key: '', roomID: '', accepts: [], heartbeat: 123456789012345 },
    h(
      '08 ffffffffffffffffff01', // 1 mid = -1 (ten-byte two's-complement varint)
      '28 f9beb7b088891c', //       5 heartbeat = 123456789012345 (beyond 32 bits)
    ),
  ],
  [
    'goim.logic.DisconnectReq',
    DisconnectReq,
    { mid: 123, key: 'k1', server: 'c1' },
    h('08 7b', '12 02', K1, '1a 02', C1), // 1 mid, 2 key, 3 server
  ],
  ['goim.logic.DisconnectReply', DisconnectReply, { has: true }, h('08 01')], // 1 has = true
  [
    'goim.logic.HeartbeatReq',
    HeartbeatReq,
    { mid: 1, key: 'k2', server: 'c1' },
    h('08 01', '12 02', K2, '1a 02', C1), // 1 mid, 2 key, 3 server
  ],
  ['goim.logic.HeartbeatReply (empty)', HeartbeatReply, {}, ''],
  [
    'goim.logic.OnlineReq (map<string,int32>)',
    OnlineReq,
    { server: 'c1', roomCount: { 'live://1': 5, r0: 0 } },
    h(
      '0a 02', C1, //                     1 server = "c1"
      '12 0c', '0a 08', LIVE1, '10 05', // 2 roomCount entry {1 key = "live://1", 2 value = 5}
      '12 04', '0a 02 7230', //           2 roomCount entry {1 key = "r0"} (value 0 is the default, left out)
    ),
  ],
  [
    'goim.logic.OnlineReply as goim writes it (no epoch)',
    OnlineReply,
    { allRoomCount: { 'live://1': 8000 }, epoch: '' },
    h('0a 0d', '0a 08', LIVE1, '10 c03e'), // 1 allRoomCount entry {key "live://1", value 8000}
  ],
  [
    'goim.logic.OnlineReply with the session-store epoch',
    OnlineReply,
    { allRoomCount: { 'live://1': 8000 }, epoch: 'e1' },
    h(
      '0a 0d', '0a 08', LIVE1, '10 c03e', // 1 allRoomCount entry {key "live://1", value 8000}
      '12 02 6531', //                      2 epoch = "e1" (goim-ts extension; a Go comet ignores field 2)
    ),
  ],
  [
    'goim.logic.ReceiveReq (nested Proto)',
    ReceiveReq,
    { mid: 7, proto: { ver: 1, op: 1000, seq: 6, body: buf('hi') } },
    h(
      '08 07', //                                 1 mid = 7
      '12 0b', '08 01 10 e807 18 06 22 02 6869', // 2 proto = {ver 1, op 1000, seq 6, body "hi"} (11 bytes)
    ),
  ],
  ['goim.logic.ReceiveReply (empty)', ReceiveReply, {}, ''],
  [
    'goim.logic.NodesReq',
    NodesReq,
    { platform: 'web', clientIP: '127.0.0.1' },
    h('0a 03 776562', '12 09 3132372e302e302e31'), // 1 platform = "web", 2 clientIP = "127.0.0.1"
  ],
  [
    'goim.logic.NodesReply (floats in Backoff)',
    NodesReply,
    {
      domain: 'goim.io',
      tcpPort: 3101,
      wsPort: 3102,
      wssPort: 3103,
      heartbeat: 240,
      nodes: ['127.0.0.1'],
      backoff: { maxDelay: 300, baseDelay: 3, factor: Math.fround(1.8), jitter: Math.fround(0.3) },
      heartbeatMax: 2,
    },
    h(
      '0a 07 676f696d2e696f', //         1 domain = "goim.io"
      '10 9d18', //                      2 tcp_port = 3101
      '18 9e18', //                      3 ws_port = 3102
      '20 9f18', //                      4 wss_port = 3103
      '28 f001', //                      5 heartbeat = 240 (seconds)
      '32 09 3132372e302e302e31', //     6 nodes = ["127.0.0.1"]
      '3a 0f', //                        7 backoff (15 bytes):
      '08 ac02', //                        1 max_delay = 300
      '10 03', //                          2 base_delay = 3
      '1d 6666e63f', //                    3 factor = 1.8f (fixed32 LE 0x3fe66666)
      '25 9a99993e', //                    4 jitter = 0.3f (fixed32 LE 0x3e99999a)
      '40 02', //                        8 heartbeat_max = 2
    ),
  ],
  [
    'goim.logic.Backoff',
    Backoff,
    { maxDelay: 0, baseDelay: 0, factor: Math.fround(1.6), jitter: 0 },
    h('1d cdcccc3f'), // 3 factor = 1.6f; zero fields left out
  ],
  [
    'goim.comet.PushMsgReq (nested Proto)',
    PushMsgReq,
    { keys: ['k1'], proto: { ver: 1, op: 9, seq: 0, body: buf('abc') }, protoOp: 1000, msgID: 'm' },
    h(
      '0a 02', K1, //                       1 keys = ["k1"]
      '12 09', '08 01 10 09 22 03 616263', // 2 proto = {ver 1, op 9, body "abc"} (seq 0 left out)
      '18 e807', //                         3 protoOp = 1000
      '22 01 6d', //                        4 msgID = "m" (goim-ts extension)
    ),
  ],
  ['goim.comet.PushMsgReply (empty)', PushMsgReply, {}, ''],
  [
    'goim.comet.BroadcastReq',
    BroadcastReq,
    { protoOp: 1000, proto: { ver: 1, op: 9, seq: 0, body: buf('x') }, speed: 16, msgID: '' },
    h('08 e807', '12 07', '08 01 10 09 22 01 78', '18 10'), // 1 protoOp, 2 proto (7 bytes), 3 speed = 16
  ],
  ['goim.comet.BroadcastReply (empty)', BroadcastReply, {}, ''],
  [
    'goim.comet.BroadcastRoomReq',
    BroadcastRoomReq,
    { roomID: 'live://1', proto: { ver: 1, op: 9, seq: 0, body: buf('') }, msgID: 'b1', msgIDs: [] },
    h('0a 08', LIVE1, '12 04', '08 01 10 09', '1a 02 6231'), // 1 roomID, 2 proto (empty body left out), 3 msgID = "b1"
  ],
  [
    'goim.comet.BroadcastRoomReq (per-frame msgIDs)',
    BroadcastRoomReq,
    { roomID: 'live://1', proto: undefined, msgID: 'rb', msgIDs: ['a', 'b'] },
    h('0a 08', LIVE1, '1a 02 7262', '22 01 61', '22 01 62'), // 3 msgID = "rb", 4 msgIDs = "a", "b" (repeated, one tag each)
  ],
  ['goim.comet.BroadcastRoomReply (empty)', BroadcastRoomReply, {}, ''],
  ['goim.comet.RoomsReq (empty)', RoomsReq, {}, ''],
  [
    'goim.comet.RoomsReply (map<string,bool>)',
    RoomsReply,
    { rooms: { 'live://1': true } },
    h('0a 0c', '0a 08', LIVE1, '10 01'), // 1 rooms entry {1 key "live://1", 2 value true}
  ],
  [
    'goim.comet.KickReq (goim-ts extension)',
    KickReq,
    { keys: ['k1'], mids: [1, 300], reason: 'x' },
    h('0a 02', K1, '12 03 01 ac02', '1a 01 78'), // 1 keys, 2 mids packed [1, 300], 3 reason
  ],
  ['goim.comet.KickReply (goim-ts extension)', KickReply, { kicked: 3 }, h('08 03')],
];

describe('protobuf wire bytes (spec §12)', () => {
  it.each(cases)('%s encodes to the reference bytes and decodes back', (_name, codec, message, expected) => {
    const bytes = codec.encode(message).finish();
    expect(hexOf(bytes)).toBe(expected);
    expect(codec.decode(bytes)).toEqual(message);
  });

  it('decodes an unpacked repeated int32 and ignores unknown fields, as Go peers may send them', () => {
    // accepts written unpacked (field 4, varint, twice) plus an unknown field 15 (varint 1).
    const bytes = Buffer.from(h('08 7b', '20 e807', '20 e907', '78 01'), 'hex');
    expect(ConnectReply.decode(bytes)).toEqual({ mid: 123, key: '', roomID: '', accepts: [1000, 1001], heartbeat: 0 });
  });
});
