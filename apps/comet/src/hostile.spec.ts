import { DisconnectCode, Op, encodeFrame, encodeRawBatch } from '@goim/protocol';
import { hex, loadVectors, waitFor } from '@goim/testkit';
import { FrameClient, rawProto, startComet, type TestComet, type Transport } from './testing.js';

interface Vector {
  name: string;
  direction: string;
  transport: 'tcp' | 'ws' | 'both';
  hex: string;
  valid: boolean;
}
const vectors = loadVectors<{ vectors: Vector[] }>('frames.json').vectors;

/** A small seeded PRNG (mulberry32) so the garbage is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function garbageFrame(rand: () => number): Uint8Array {
  const kind = rand();
  const len = Math.floor(rand() * 48);
  const body = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
  if (kind < 0.4) return body; // pure noise (often shorter than a header)
  if (kind < 0.7) {
    // a well-formed header with a random op: valid frames mixed into the noise
    return encodeFrame({ ver: 1, op: Math.floor(rand() * 40) - 5, seq: Math.floor(rand() * 1000), body });
  }
  const f = encodeFrame({ ver: 1, op: Math.floor(rand() * 20), seq: 0, body });
  const v = new DataView(f.buffer);
  if (kind < 0.85) v.setInt32(0, Math.floor(rand() * 2 ** 32) | 0);
  else v.setInt16(4, Math.floor(rand() * 64));
  return f;
}

describe.each<Transport>(['tcp', 'ws'])('hostile clients over %s', (transport) => {
  let t: TestComet;
  let good: FrameClient;
  beforeEach(async () => {
    t = await startComet({ protocol: { handshakeTimeout: 1000 } });
    good = await FrameClient.connect(transport, t.addrs);
    await good.auth({ mid: 1, key: 'good', room_id: 'live://good', accepts: [1000] });
  });
  afterEach(async () => {
    good.destroy();
    await t.close();
  });

  // The well-behaved client still gets pushes and heartbeat replies.
  async function goodStillServed(): Promise<void> {
    await t.comet.service.broadcastRoom({ roomID: 'live://good', proto: rawProto(encodeRawBatch([{ op: 1000, body: Buffer.from('still') }])), msgID: '', msgIDs: [] });
    const [f] = await good.pushes(1);
    expect(Buffer.from(f!.body).toString()).toBe('still');
    good.sendFrame({ op: Op.Heartbeat, seq: 77 });
    expect((await good.next((r) => r.op === Op.HeartbeatReply)).seq).toBe(77);
  }

  const invalid = vectors.filter((v) => v.direction === 'client->server' && !v.valid && (v.transport === 'both' || v.transport === transport));

  it.each(invalid.map((v) => [v.name, v] as const))('closes on %s (after auth) with at most an op-6 notice', async (_name, v) => {
    const c = await FrameClient.connect(transport, t.addrs);
    await c.auth({ mid: 2, key: `bad-${v.name}` });
    c.send(hex(v.hex));
    if (v.name.endsWith('_then_eof')) c.end();
    await c.waitClosed();
    expect(c.received.every((f) => f.op === Op.DisconnectReply)).toBe(true);
    for (const n of c.notices()) expect(n.code).toBe(DisconnectCode.PROTOCOL_ERROR);
    if (!v.name.endsWith('_then_eof')) expect(c.notices()).toHaveLength(1);
    await waitFor(() => t.logic.disconnects.some((d) => d.key === `bad-${v.name}`), 'logic disconnect');
    await goodStillServed();
  });

  it.each(invalid.filter((v) => !v.name.endsWith('_then_eof')).map((v) => [v.name, v] as const))(
    'closes on %s before auth too',
    async (_name, v) => {
      const c = await FrameClient.connect(transport, t.addrs);
      c.send(hex(v.hex));
      await c.waitClosed();
      expect(c.received.every((f) => f.op === Op.DisconnectReply)).toBe(true);
    },
  );

  it('names the protocol error code in the op-6 reason (packLen 4113, packLen < 16, headerLen ≠ 16)', async () => {
    const cases: [string, string][] = [
      ['invalid_packlen_4113', 'GOIM_ERR_PROTOCOL_PACK_TOO_LARGE'],
      ['invalid_packlen_15', 'GOIM_ERR_PROTOCOL_BAD_PACK_LEN'],
      ['invalid_headerlen_17', 'GOIM_ERR_PROTOCOL_BAD_HEADER_LEN'],
    ];
    if (transport === 'ws') cases.push(['invalid_ws_packlen_gt_message', 'GOIM_ERR_PROTOCOL_LENGTH_MISMATCH']);
    for (const [name, code] of cases) {
      const c = await FrameClient.connect(transport, t.addrs);
      c.send(hex(vectors.find((v) => v.name === name)!.hex));
      await c.waitClosed();
      expect(c.notices()).toEqual([{ code: DisconnectCode.PROTOCOL_ERROR, reason: code, reconnect: false }]);
    }
    const m = await t.comet.metrics.registry.getSingleMetricAsString('goim_comet_protocol_errors_total');
    expect(m).toContain('code="GOIM_ERR_PROTOCOL_PACK_TOO_LARGE"} 1');
  });

  if (transport === 'ws') {
    it('closes a client sending a 1 MB WebSocket message (maxPayload) and keeps serving others', async () => {
      const c = await FrameClient.connect('ws', t.addrs);
      await c.auth({ mid: 3, key: 'huge' });
      c.send(new Uint8Array(1 << 20));
      await c.waitClosed();
      expect(c.closeInfo.code).toBe(1009);
      await waitFor(() => t.comet.buckets.get('huge') === undefined, 'huge client gone');
      await goodStillServed();
    });
  }

  it('survives 10 000 random garbage frames from 100 connections', async () => {
    const rand = prng(transport === 'tcp' ? 1 : 2);
    const clients: FrameClient[] = [];
    let sent = 0;
    for (let i = 0; i < 100; i++) {
      const c = await FrameClient.connect(transport, t.addrs);
      clients.push(c);
      if (i % 2 === 0) await c.auth({ mid: 10 + i, key: `g-${i}` });
      const frames = Array.from({ length: 100 }, () => garbageFrame(rand));
      sent += frames.length;
      if (transport === 'tcp') c.send(Buffer.concat(frames));
      else for (const f of frames) c.send(f);
    }
    expect(sent).toBe(10_000);
    await waitFor(() => clients.filter((c) => !c.closed).length <= 3, 'garbage senders closed', 8000);
    for (const c of clients) c.destroy();
    await goodStillServed();
    await waitFor(() => t.comet.connections === 1, 'only the good client left', 5000);
  });

  it('keeps serving others while a client never reads (slow consumer)', async () => {
    const t2 = t;
    const slow = await FrameClient.connect(transport, t2.addrs);
    await slow.auth({ mid: 4, key: 'never-reads', room_id: 'live://good' });
    slow.pause();
    const body = encodeRawBatch([{ op: 1000, body: new Uint8Array(60_000) }]);
    for (let i = 0; i < 600 && t2.comet.buckets.get('never-reads'); i++) {
      t2.comet.buckets.broadcastRoom('live://good', body);
      await good.pushes(1);
    }
    expect(t2.comet.buckets.get('never-reads')).toBeUndefined();
    await goodStillServed();
    slow.destroy();
  });
});
