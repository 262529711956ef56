import { DisconnectCode, Op, decodeAuthReplyBody, encodeRawBatch } from '@goim/protocol';
import { RpcError, RpcStatus } from '@goim/protocol/rpc';
import { hex, loadVectors, waitFor } from '@goim/testkit';
import { FrameClient, rawProto, startComet, type TestComet, type Transport } from './testing.js';

interface Vector {
  name: string;
  direction: string;
  transport: 'tcp' | 'ws' | 'both';
  hex: string;
  valid: boolean;
  reply?: string;
  fields: { packLen?: number; op?: number; seq?: number; ver?: number; body_hex?: string };
}
const vectors = loadVectors<{ vectors: Vector[]; session_example: string[] }>('frames.json');
const byName = new Map(vectors.vectors.map((v) => [v.name, v]));
const V = (name: string): Vector => byName.get(name)!;
const AUTH_TOKEN = { mid: 123, room_id: 'live://1000', platform: 'web', accepts: [1000, 1001] };

describe.each<Transport>(['tcp', 'ws'])('comet over %s', (transport) => {
  let t: TestComet;
  const clients: FrameClient[] = [];
  const open = async (path?: string) => {
    const c = await FrameClient.connect(transport, t.addrs, path);
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    t = await startComet();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await t.close();
  });

  it('answers the auth vector with op 8 (same ver/seq) carrying {mid,key,room_id,heartbeat}', async () => {
    const c = await open();
    c.send(hex(V('auth').hex));
    const r = await c.next();
    const exp = V('auth_reply').fields;
    expect([r.op, r.ver, r.seq]).toEqual([exp.op, exp.ver, exp.seq]);
    expect(decodeAuthReplyBody(r.body)).toEqual({ mid: 123, key: 'gen-1', room_id: 'live://1000', heartbeat: 480 });
    expect(t.logic.connects[0]).toMatchObject({ server: 'comet-test', cookie: '' });
    expect(Buffer.from(t.logic.connects[0]!.token).toString('hex')).toBe(V('auth').fields.body_hex);
  });

  it('replays every client vector of frames.json after auth and gets the byte-exact reply', async () => {
    const c = await open();
    c.send(hex(V('auth').hex));
    await c.next((f) => f.op === Op.AuthReply);
    // Leave the auth room first so heartbeats report 0 (heartbeat_reply_online_0 / ver2 vectors).
    c.send(hex(V('change_room_leave').hex));
    expect((await c.next()).hex).toBe(V('change_room_leave_reply').hex);
    const pairs = vectors.vectors.filter(
      (v) => v.direction === 'client->server' && v.valid && v.reply && v.name !== 'auth' && v.name !== 'heartbeat' && v.transport === 'both',
    );
    expect(pairs.length).toBeGreaterThanOrEqual(6);
    for (const v of pairs) {
      c.send(hex(v.hex));
      const r = await c.next();
      expect({ name: v.name, hex: r.hex }).toEqual({ name: v.name, hex: V(v.reply!).hex });
    }
    c.send(hex(V('heartbeat').hex));
    expect((await c.next()).hex).toBe(V('heartbeat_reply_online_0').hex);
    expect(t.logic.receives.map((r) => r.proto!.op)).toEqual([1000, 1000]);
  });

  it('reports the room online count in heartbeat replies (local, then AllOnline from logic)', async () => {
    const c = await open();
    c.send(hex(V('auth').hex));
    await c.next((f) => f.op === Op.AuthReply);
    c.send(hex(V('heartbeat').hex));
    expect((await c.next()).body).toEqual(new Uint8Array([0, 0, 0, 1]));
    t.logic.allRoomCount = { 'live://1000': 42 };
    await t.comet.reportOnline();
    expect(t.logic.onlines.at(-1)).toEqual({ server: 'comet-test', roomCount: { 'live://1000': 1 } });
    c.send(hex(V('heartbeat').hex));
    expect((await c.next()).hex).toBe(V('heartbeat_reply_online_42').hex);
  });

  it('discards frames sent before auth without replying', async () => {
    const c = await open();
    c.send(hex(V('heartbeat').hex));
    c.send(hex(V('sub').hex));
    c.send(hex(V('auth').hex));
    const r = await c.next();
    expect(r.op).toBe(Op.AuthReply);
    expect(c.received).toHaveLength(0);
    expect(t.logic.receives).toHaveLength(0);
  });

  if (transport === 'tcp') {
    it('answers two frames that arrive in one TCP write, in order', async () => {
      const c = await open();
      await c.auth(AUTH_TOKEN);
      c.send(hex(V('tcp_two_frames_one_write').hex));
      const a = await c.next();
      const b = await c.next();
      expect([a.op, a.seq, b.op, b.seq]).toEqual([Op.HeartbeatReply, 20, Op.SubReply, 21]);
    });

    it('handles frames written right behind the auth frame once auth completes', async () => {
      t.logic.connectDelayMs = 50;
      const c = await open();
      c.send(Buffer.concat([hex(V('auth').hex), hex(V('heartbeat').hex), hex(V('sub').hex)]));
      expect((await c.next()).op).toBe(Op.AuthReply);
      expect((await c.next()).op).toBe(Op.HeartbeatReply);
      expect((await c.next()).hex).toBe(V('sub_reply').hex);
    });
  }

  it('ignores a malformed op list in Sub but still echoes it', async () => {
    const c = await open();
    await c.auth({ mid: 1, key: 'subx', accepts: [1000] });
    c.sendFrame({ op: Op.Sub, seq: 2, body: '2000,x' });
    const r = await c.next();
    expect([r.op, Buffer.from(r.body).toString()]).toEqual([Op.SubReply, '2000,x']);
    expect(t.comet.buckets.get('subx')!.watchedOps()).toEqual([1000]);
  });

  it('forwards op 4 and a second op 7 to logic Receive and echoes them with an empty body', async () => {
    const c = await open();
    await c.auth({ mid: 11, key: 'rx' });
    c.sendFrame({ op: Op.SendMsg, seq: 2, body: 'hello' });
    c.sendFrame({ op: Op.Auth, seq: 3, body: '{"mid":12}' });
    const a = await c.next();
    const b = await c.next();
    expect([a.op, a.seq, a.body.length, b.op, b.seq, b.body.length]).toEqual([Op.SendMsg, 2, 0, Op.Auth, 3, 0]);
    await waitFor(() => t.logic.receives.length === 2, 'receives');
    expect(t.logic.receives[0]).toEqual({ mid: 11, proto: { ver: 1, op: Op.SendMsg, seq: 2, body: Buffer.from('hello') } });
    expect(t.logic.connects).toHaveLength(1);
  });

  it('closes with op 6 AUTH_FAILED when logic rejects the token (goim closed silently)', async () => {
    t.logic.reject = () => new RpcError(RpcStatus.UNAUTHENTICATED, 'bad token');
    const c = await open();
    c.sendFrame({ op: Op.Auth, seq: 1, body: '{"mid":1}' });
    await c.waitClosed();
    expect(c.notices()).toEqual([{ code: DisconnectCode.AUTH_FAILED, reason: 'auth failed: bad token', reconnect: false }]);
    expect(c.received.filter((f) => f.op !== Op.DisconnectReply)).toHaveLength(0);
  });

  it('closes with op 6 AUTH_FAILED on a non-JSON token and SERVER_ERROR when logic fails', async () => {
    const c = await open();
    c.sendFrame({ op: Op.Auth, seq: 1, body: 'not json' });
    await c.waitClosed();
    expect(c.notices()[0]!.code).toBe(DisconnectCode.AUTH_FAILED);
    t.logic.reject = () => new RpcError(RpcStatus.UNAVAILABLE, 'redis down');
    const d = await open();
    d.sendFrame({ op: Op.Auth, seq: 1, body: '{}' });
    await d.waitClosed();
    expect(d.notices()).toEqual([{ code: DisconnectCode.SERVER_ERROR, reason: 'auth unavailable', reconnect: true }]);
  });

  it('tells logic Disconnect(mid, key, server) when the client goes away', async () => {
    const c = await open();
    await c.auth({ mid: 7, key: 'k7' });
    expect(t.comet.buckets.get('k7')).toBeDefined();
    c.end();
    await waitFor(() => t.logic.disconnects.length === 1, 'disconnect');
    expect(t.logic.disconnects[0]).toEqual({ mid: 7, key: 'k7', server: 'comet-test' });
    expect(t.comet.buckets.get('k7')).toBeUndefined();
  });

  it('delivers key pushes as OpRaw: verbatim on TCP, one op-9 frame on WS (vectors)', async () => {
    const c = await open();
    await c.auth({ mid: 1, key: 'raw-k', accepts: [1000, 1001] });
    const inner = hex(V('push_raw_tcp_single_inner').hex);
    await t.comet.service.pushMsg({ keys: ['raw-k'], proto: rawProto(inner), protoOp: 1000, msgID: '' });
    const r = await c.next();
    expect(r.hex).toBe(transport === 'tcp' ? V('push_raw_tcp_single_inner').hex : V('push_raw_ws_single_inner').hex);
    // a two-frame room batch
    t.comet.buckets.changeRoom(t.comet.buckets.get('raw-k')!, 'live://9');
    await t.comet.service.broadcastRoom({ roomID: 'live://9', proto: rawProto(hex(V('push_raw_tcp_two_inner').hex)), msgID: '', msgIDs: [] });
    if (transport === 'tcp') {
      const a = await c.next();
      const b = await c.next();
      expect(a.hex + b.hex).toBe(V('push_raw_tcp_two_inner').hex);
    } else {
      expect((await c.next()).hex).toBe(V('push_raw_ws_two_inner').hex);
    }
    // server → client frames have no 4096 limit
    const large = V('push_raw_ws_large_inner');
    const largeInner = hex(large.hex).subarray(16);
    await t.comet.service.pushMsg({ keys: ['raw-k'], proto: rawProto(largeInner), protoOp: 1001, msgID: '' });
    const l = await c.next();
    expect(l.hex).toBe(transport === 'tcp' ? Buffer.from(largeInner).toString('hex') : large.hex);
  });

  it('coalesces pushes queued in the same tick into one op-9 frame on WS, in order', async () => {
    const c = await open();
    await c.auth({ mid: 1, key: 'co', accepts: [1000] });
    const a = encodeRawBatch([{ op: 1000, body: Buffer.from('a') }]);
    const b = encodeRawBatch([{ op: 1000, body: Buffer.from('b') }]);
    t.comet.buckets.pushKeys(['co'], 1000, a);
    t.comet.buckets.pushKeys(['co'], 1000, b);
    if (transport === 'ws') {
      const r = await c.next();
      expect(r.op).toBe(Op.Raw);
      expect(Buffer.from(r.body)).toEqual(Buffer.concat([a, b]));
    } else {
      expect(Buffer.from((await c.next()).body).toString()).toBe('a');
      expect(Buffer.from((await c.next()).body).toString()).toBe('b');
    }
  });

  it('applies accepts: key pushes and broadcasts need the op, room pushes do not (§2.7)', async () => {
    const c = await open();
    await c.auth({ mid: 1, key: 'acc', room_id: 'r://1', accepts: [1000] });
    const body = (op: number, s: string) => encodeRawBatch([{ op, body: Buffer.from(s) }]);
    await t.comet.service.pushMsg({ keys: ['acc'], proto: rawProto(body(2000, 'no')), protoOp: 2000, msgID: '' });
    await t.comet.service.broadcast({ protoOp: 2000, proto: rawProto(body(2000, 'no')), speed: 0, msgID: '' });
    await t.comet.service.broadcastRoom({ roomID: 'r://1', proto: rawProto(body(2000, 'room')), msgID: '', msgIDs: [] });
    await t.comet.service.broadcast({ protoOp: 1000, proto: rawProto(body(1000, 'bc')), speed: 0, msgID: '' });
    const texts = (await c.pushes(2)).map((f) => Buffer.from(f.body).toString());
    expect(texts.join('|')).toContain('room');
    expect(texts.join('|')).toContain('bc');
    expect(texts.join('|')).not.toContain('no');
    // op 14 adds 2000; op 16 removes 1000
    c.sendFrame({ op: Op.Sub, seq: 3, body: '2000' });
    await c.next((f) => f.op === Op.SubReply);
    c.sendFrame({ op: Op.Unsub, seq: 4, body: '1000' });
    await c.next((f) => f.op === Op.UnsubReply);
    await t.comet.service.pushMsg({ keys: ['acc'], proto: rawProto(body(1000, 'gone')), protoOp: 1000, msgID: '' });
    await t.comet.service.pushMsg({ keys: ['acc'], proto: rawProto(body(2000, 'yes')), protoOp: 2000, msgID: '' });
    const f = await c.next();
    expect(Buffer.from(f.body).toString('latin1')).toContain('yes');
    expect(Buffer.from(f.body).toString('latin1')).not.toContain('gone');
  });

  it('moves rooms with op 12, joins and leaves extra rooms with ops 18/20', async () => {
    const c = await open();
    await c.auth({ mid: 1, key: 'mv', room_id: 'a://1' });
    const ch = () => t.comet.buckets.get('mv')!;
    expect(ch().rooms).toEqual(['a://1']);
    c.sendFrame({ op: Op.ChangeRoom, seq: 2, body: 'a://2' });
    expect(Buffer.from((await c.next()).body).toString()).toBe('a://2');
    expect(ch().rooms).toEqual(['a://2']);
    c.sendFrame({ op: Op.JoinRoom, seq: 3, body: 'b://1' });
    const j = await c.next();
    expect([j.op, j.seq, Buffer.from(j.body).toString()]).toEqual([Op.JoinRoomReply, 3, 'b://1']);
    expect(ch().rooms.sort()).toEqual(['a://2', 'b://1']);
    const push = (room: string, s: string) =>
      t.comet.service.broadcastRoom({ roomID: room, proto: rawProto(encodeRawBatch([{ op: 5000, body: Buffer.from(s) }])), msgID: '', msgIDs: [] });
    await push('a://1', 'old');
    await push('b://1', 'multi');
    expect(Buffer.from((await c.next()).body).toString('latin1')).toContain('multi');
    c.sendFrame({ op: Op.LeaveRoom, seq: 4, body: 'b://1' });
    expect((await c.next()).op).toBe(Op.LeaveRoomReply);
    c.sendFrame({ op: Op.LeaveRoom, seq: 5, body: 'b://1' }); // leaving twice is harmless
    expect((await c.next()).op).toBe(Op.LeaveRoomReply);
    expect(ch().rooms).toEqual(['a://2']);
    c.sendFrame({ op: Op.ChangeRoom, seq: 6, body: '' });
    expect((await c.next()).op).toBe(Op.ChangeRoomReply);
    expect(ch().rooms).toEqual([]);
    c.sendFrame({ op: Op.Heartbeat, seq: 7 });
    expect((await c.next()).body).toEqual(new Uint8Array(4)); // reset after leaving (§10.8)
  });

  it('replaces an older connection with the same key (op 6 REPLACED) and keeps the new one routed', async () => {
    const a = await open();
    await a.auth({ mid: 5, key: 'same' });
    const b = await open();
    await b.auth({ mid: 5, key: 'same', accepts: [1000] });
    await a.waitClosed();
    expect(a.notices()[0]!.code).toBe(DisconnectCode.REPLACED);
    await t.comet.service.pushMsg({ keys: ['same'], proto: rawProto(encodeRawBatch([{ op: 1000, body: Buffer.from('x') }])), protoOp: 1000, msgID: '' });
    expect((await b.next()).op).toBe(transport === 'ws' ? Op.Raw : 1000);
    expect(t.comet.buckets.get('same')).toBeDefined();
  });

  it('kicks by key with op 6 KICKED', async () => {
    const c = await open();
    await c.auth({ mid: 9, key: 'kick-me' });
    expect(await t.comet.service.kick({ keys: [], mids: [9], reason: 'bye' })).toEqual({ kicked: 1 });
    await c.waitClosed();
    expect(c.notices()).toEqual([{ code: DisconnectCode.KICKED, reason: 'bye', reconnect: false }]);
  });

  it('drops a push whose msgID was seen recently (job redelivery)', async () => {
    const c = await open();
    await c.auth({ mid: 1, key: 'dup', accepts: [1000] });
    const req = { keys: ['dup'], proto: rawProto(encodeRawBatch([{ op: 1000, body: Buffer.from('once') }])), protoOp: 1000, msgID: 'm-1' };
    await t.comet.service.pushMsg(req);
    await t.comet.service.pushMsg(req);
    await t.comet.service.pushMsg({ ...req, msgID: 'm-2' });
    expect((await c.pushes(2)).map((f) => Buffer.from(f.body).toString())).toEqual(['once', 'once']);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.received).toHaveLength(0);
    expect(await t.comet.metrics.registry.getSingleMetricAsString('goim_comet_push_duplicates_total')).toContain('kind="keys"} 1');
  });

  it('drops the frames of a room batch delivered before, even when a redelivery batches them differently', async () => {
    const c = await open();
    await c.auth({ mid: 1, key: 'room-dup', room_id: 'live://dup' });
    const frames = (...ids: string[]) => rawProto(encodeRawBatch(ids.map((id) => ({ op: 1000, body: Buffer.from(id) }))));
    const room = (msgID: string, ...ids: string[]) => t.comet.service.broadcastRoom({ roomID: 'live://dup', proto: frames(...ids), msgID, msgIDs: ids });
    await room('rb-1', 'a', 'b');
    await room('rb-2', 'b', 'c'); // b redelivered next to a new neighbour
    await room('rb-3', 'a', 'c'); // nothing new: dropped whole
    await t.comet.service.broadcastRoom({ roomID: 'live://dup', proto: frames('c'), msgID: 'c', msgIDs: [] }); // a batch of one: its id is the message's
    await room('rb-4', 'c', 'd');
    const got = (await c.pushes(4)).map((f) => Buffer.from(f.body).toString());
    expect(got).toEqual(['a', 'b', 'c', 'd']);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.received).toHaveLength(0);
    const dups = await t.comet.metrics.registry.getSingleMetricAsString('goim_comet_push_duplicates_total');
    expect(dups).toContain('kind="room-frame"} 4'); // b in rb-2, a and c in rb-3, c in rb-4
    expect(dups).toContain('kind="room"} 2'); // rb-3 (nothing left) and the batch of one 'c'
  });

  it('refuses per-frame msgIDs that do not match the batch', async () => {
    const body = encodeRawBatch([{ op: 1000, body: Buffer.from('x') }]);
    await t.comet.service.broadcastRoom({ roomID: 'live://dup2', proto: rawProto(body), msgID: 'rb-x', msgIDs: ['x1'] });
    await expect(
      t.comet.service.broadcastRoom({ roomID: 'live://dup2', proto: rawProto(body), msgID: 'rb-y', msgIDs: ['x1', 'x2'] }),
    ).rejects.toMatchObject({ code: RpcStatus.INVALID_ARGUMENT, message: 'rpc broadcastroom: 2 msgIDs for 1 frames' });
    await expect(
      t.comet.service.broadcastRoom({ roomID: 'live://dup2', proto: { ver: 1, op: 1000, seq: 0, body: Buffer.from('x') }, msgID: 'rb-z', msgIDs: ['z'] }),
    ).rejects.toMatchObject({ code: RpcStatus.INVALID_ARGUMENT });
  });
});

describe('comet WebSocket path', () => {
  it('accepts /sub?token=… and refuses other paths', async () => {
    const t = await startComet();
    try {
      const c = await FrameClient.connect('ws', t.addrs, '/sub?token=abc');
      await c.auth({ mid: 1 });
      c.destroy();
      await expect(FrameClient.connect('ws', t.addrs, '/other')).rejects.toThrow();
    } finally {
      await t.close();
    }
  });

  it('parses a text message as a binary frame, like goim (no UTF-8 check)', async () => {
    const t = await startComet();
    try {
      const c = await FrameClient.connect('ws', t.addrs);
      await c.auth({ mid: 1 });
      const ws = (c as unknown as { ws: import('ws').WebSocket }).ws;
      ws.send(Buffer.from('0000001400100001000003e800000009ff00fffe', 'hex'), { binary: false });
      const r = await c.next();
      expect([r.op, r.seq]).toEqual([1000, 9]);
      c.destroy();
    } finally {
      await t.close();
    }
  });

  it('passes the Cookie header to logic Connect', async () => {
    const t = await startComet();
    try {
      const c = await FrameClient.connect('ws', t.addrs, '/sub', { cookie: 'sid=1' });
      await c.auth({ mid: 1 });
      expect(t.logic.connects[0]!.cookie).toBe('sid=1');
      c.destroy();
    } finally {
      await t.close();
    }
  });
});
