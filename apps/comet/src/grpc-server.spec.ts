import { request } from 'node:http';
import { Op, encodeRawBatch } from '@goim/protocol';
import { RpcStatus, createCometClient, type CometService, type Closable } from '@goim/protocol/rpc';
import { FrameClient, rawProto, startComet, type TestComet } from './testing.js';

const batch = (op: number, s: string) => encodeRawBatch([{ op, body: Buffer.from(s) }]);
const texts = (frames: { body: Uint8Array }[]) => frames.map((f) => Buffer.from(f.body).toString());

describe('comet gRPC server (goim.comet.Comet) with a real @grpc/grpc-js client', () => {
  let t: TestComet;
  let client: Closable<CometService>;
  let tcp: FrameClient;
  let ws: FrameClient;
  beforeAll(async () => {
    t = await startComet({ rpcServer: { addr: '127.0.0.1:0' }, admin: { addr: '127.0.0.1:0' } });
    client = createCometClient(`127.0.0.1:${t.addrs.grpc!.port}`, { deadlineMs: 3000 });
    tcp = await FrameClient.connect('tcp', t.addrs);
    await tcp.auth({ mid: 1, key: 'gt', room_id: 'live://1', accepts: [1000] });
    ws = await FrameClient.connect('ws', t.addrs);
    await ws.auth({ mid: 2, key: 'gw', room_id: 'live://2', accepts: [1001] });
  });
  afterAll(async () => {
    tcp.destroy();
    ws.destroy();
    client.close();
    await t.close();
  });

  it('PushMsg delivers to the listed keys whose accepts hold protoOp', async () => {
    await client.pushMsg({ keys: ['gt', 'gw', 'nobody'], proto: rawProto(batch(1000, 'k1')), protoOp: 1000, msgID: '' });
    await client.pushMsg({ keys: ['gt', 'gw'], proto: rawProto(batch(1001, 'k2')), protoOp: 1001, msgID: '' });
    const a = await tcp.pushes(1);
    expect([a[0]!.op, texts(a)[0]]).toEqual([1000, 'k1']);
    const w = await ws.next();
    expect(w.op).toBe(Op.Raw); // WS gets op 9 wrapping
    expect(Buffer.from(w.body).subarray(16).toString()).toBe('k2');
    await new Promise((r) => setTimeout(r, 30));
    expect(tcp.received).toHaveLength(0);
    expect(ws.received).toHaveLength(0);
  });

  it('PushMsg without keys or proto fails with INVALID_ARGUMENT "rpc pushmsg arg error"', async () => {
    await expect(client.pushMsg({ keys: [], proto: rawProto(batch(1000, 'x')), protoOp: 1000, msgID: '' })).rejects.toMatchObject({
      code: RpcStatus.INVALID_ARGUMENT,
      message: 'rpc pushmsg arg error',
    });
    await expect(client.pushMsg({ keys: ['gt'], proto: undefined, protoOp: 1000, msgID: '' })).rejects.toMatchObject({
      code: RpcStatus.INVALID_ARGUMENT,
    });
  });

  it('Broadcast reaches every connection that accepts the op', async () => {
    await client.broadcast({ protoOp: 1000, proto: rawProto(batch(1000, 'b1000')), speed: 0, msgID: '' });
    await client.broadcast({ protoOp: 1001, proto: rawProto(batch(1001, 'b1001')), speed: 0, msgID: '' });
    expect(texts(await tcp.pushes(1))).toEqual(['b1000']);
    expect(texts(await ws.pushes(1))).toEqual(['b1001']);
  });

  it('Broadcast with speed returns at once and paces buckets in the background (goim)', async () => {
    await client.broadcast({ protoOp: 1000, proto: rawProto(batch(1000, 'paced')), speed: 1000, msgID: '' });
    expect(texts(await tcp.pushes(1))).toEqual(['paced']);
  });

  it('BroadcastRoom reaches room members without an accepts filter; empty room id is rejected', async () => {
    await client.broadcastRoom({ roomID: 'live://2', proto: rawProto(batch(3000, 'room2')), msgID: '', msgIDs: [] });
    expect(texts(await ws.pushes(1))).toEqual(['room2']);
    await expect(client.broadcastRoom({ roomID: '', proto: rawProto(batch(1, 'x')), msgID: '', msgIDs: [] })).rejects.toMatchObject({
      code: RpcStatus.INVALID_ARGUMENT,
    });
  });

  it('a non-raw proto is framed once: plain frame on TCP, inside op 9 on WS', async () => {
    await client.broadcastRoom({ roomID: 'live://1', proto: { ver: 1, op: 2000, seq: 0, body: Buffer.from('plain') }, msgID: '', msgIDs: [] });
    const [f] = await tcp.pushes(1);
    expect([f!.op, Buffer.from(f!.body).toString()]).toEqual([2000, 'plain']);
  });

  it('Rooms lists rooms with local members', async () => {
    expect(await client.rooms({})).toEqual({ rooms: { 'live://1': true, 'live://2': true } });
  });

  it('Kick closes by key', async () => {
    const c = await FrameClient.connect('tcp', t.addrs);
    await c.auth({ mid: 50, key: 'kk' });
    expect(await client.kick({ keys: ['kk'], mids: [], reason: '' })).toEqual({ kicked: 1 });
    await c.waitClosed();
  });

  it('serves /metrics, /healthz and /readyz on the admin port', async () => {
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        request({ host: '127.0.0.1', port: t.addrs.admin!.port, path }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
          .on('error', reject)
          .end();
      });
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect((await get('/readyz')).status).toBe(200);
    const m = await get('/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/goim_comet_channels 2/);
    expect(m.body).toMatch(/goim_comet_connections\{transport="tcp"\} 1/);
    expect(m.body).toMatch(/goim_comet_rooms 2/);
    expect(m.body).toMatch(/goim_comet_pushes_in_total\{kind="keys"\} \d+/);
    expect(m.body).toMatch(/goim_comet_pushes_out_total \d+/);
    expect(m.body).toMatch(/goim_comet_auths_total\{result="ok"\} \d+/);
    expect((await get('/nope')).status).toBe(404);
  });
});
