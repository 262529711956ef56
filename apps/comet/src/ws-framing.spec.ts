/**
 * op-9 pushes over WebSocket: the three WebSocket length encodings, the same shared body
 * going to several room members, and ordering of pushes against replies on one connection.
 */
import { Op, encodeFrame, encodeRawBatch } from '@goim/protocol';
import { FrameClient, rawProto, startComet, type TestComet } from './testing.js';

describe('comet over ws: op-9 message framing', () => {
  let t: TestComet;
  const clients: FrameClient[] = [];
  const open = async () => {
    const c = await FrameClient.connect('ws', t.addrs);
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

  // Payload (16-byte op-9 header + inner frame) below 126, below 65 536 and above: the 2-, 4-
  // and 10-byte WebSocket header forms.
  it.each([20, 1_000, 70_000])('delivers a %i-byte room body whole to every member', async (size) => {
    const members = [await open(), await open(), await open()];
    for (const [i, c] of members.entries()) await c.auth({ mid: i + 1, key: `pf-${size}-${i}`, room_id: 'live://pf' });
    const inner = encodeRawBatch([{ op: 1000, body: Buffer.alloc(size, 0x61 + (size % 7)) }]);
    await t.comet.service.broadcastRoom({ roomID: 'live://pf', proto: rawProto(inner), msgID: '', msgIDs: [] });
    for (const c of members) {
      const r = await c.next();
      expect(r.op).toBe(Op.Raw);
      expect(Buffer.from(r.body).equals(Buffer.from(inner))).toBe(true);
    }
  });

  it('keeps pushes and replies in order on one connection', async () => {
    const c = await open();
    await c.auth({ mid: 1, key: 'pf-order', room_id: 'live://o', accepts: [1000] });
    const a = encodeRawBatch([{ op: 1000, body: Buffer.from('first') }]);
    const b = encodeRawBatch([{ op: 1000, body: Buffer.from('second') }]);
    t.comet.buckets.pushKeys(['pf-order'], 1000, a);
    await new Promise((r) => setImmediate(r));
    c.send(encodeFrame({ ver: 1, op: Op.Heartbeat, seq: 2, body: new Uint8Array(0) }));
    await new Promise((r) => setTimeout(r, 20));
    t.comet.buckets.pushKeys(['pf-order'], 1000, b);
    const got = [await c.next(), await c.next(), await c.next()];
    expect(got.map((f) => f.op)).toEqual([Op.Raw, Op.HeartbeatReply, Op.Raw]);
    expect(Buffer.from(got[0]!.body).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(got[2]!.body).equals(Buffer.from(b))).toBe(true);
  });
});
