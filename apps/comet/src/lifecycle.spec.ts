import { DisconnectCode, Op, encodeRawBatch } from '@goim/protocol';
import { waitFor } from '@goim/testkit';
import { FrameClient, rawProto, startComet, type TestComet, type Transport } from './testing.js';

describe.each<Transport>(['tcp', 'ws'])('comet lifecycle over %s', (transport) => {
  let t: TestComet | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('closes a connection that sends no auth within the handshake timeout (op 6 HANDSHAKE_TIMEOUT)', async () => {
    t = await startComet({ protocol: { handshakeTimeout: 150 } });
    const c = await FrameClient.connect(transport, t.addrs);
    const started = Date.now();
    c.sendFrame({ op: Op.Heartbeat, seq: 1 }); // ignored before auth, does not extend the deadline
    await c.waitClosed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    expect(c.notices()).toEqual([{ code: DisconnectCode.HANDSHAKE_TIMEOUT, reason: 'no auth within the handshake timeout', reconnect: true }]);
  });

  it('re-arms the idle timeout to logic heartbeat on each heartbeat and closes when they stop', async () => {
    t = await startComet();
    t.logic.heartbeatNs = 400e6; // 400 ms
    const c = await FrameClient.connect(transport, t.addrs);
    const reply = await c.auth({ mid: 3, key: 'idle' });
    expect(JSON.parse(Buffer.from(reply.body).toString()).heartbeat).toBe(0.4);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      c.sendFrame({ op: Op.Heartbeat, seq: 10 + i });
      await c.next((f) => f.op === Op.HeartbeatReply);
    }
    expect(c.closed).toBe(false);
    await c.waitClosed(2000);
    expect(c.notices()[0]!.code).toBe(DisconnectCode.HEARTBEAT_TIMEOUT);
    await waitFor(() => t!.logic.disconnects.length === 1, 'logic disconnect');
  });

  it('calls logic Heartbeat once the random 10–30 min server heartbeat has elapsed', async () => {
    let clock = 1_000_000;
    t = await startComet({}, { now: () => clock, random: () => 0.5 }); // 20 min
    t.logic.heartbeatNs = 3600e9;
    const c = await FrameClient.connect(transport, t.addrs);
    await c.auth({ mid: 4, key: 'shb' });
    c.sendFrame({ op: Op.Heartbeat, seq: 1 });
    await c.next();
    expect(t.logic.heartbeats).toHaveLength(0);
    clock += 19 * 60_000;
    c.sendFrame({ op: Op.Heartbeat, seq: 2 });
    await c.next();
    expect(t.logic.heartbeats).toHaveLength(0);
    clock += 2 * 60_000;
    c.sendFrame({ op: Op.Heartbeat, seq: 3 });
    await c.next();
    await waitFor(() => t!.logic.heartbeats.length === 1, 'logic heartbeat');
    expect(t.logic.heartbeats[0]).toEqual({ mid: 4, key: 'shb', server: 'comet-test' });
    c.sendFrame({ op: Op.Heartbeat, seq: 4 });
    await c.next();
    expect(t.logic.heartbeats).toHaveLength(1);
    c.destroy();
  });

  it('shuts down gracefully: stops accepting, op 6 SHUTDOWN (reconnect) to all, Disconnect for each', async () => {
    t = await startComet({ shutdown: { batchSize: 2 } });
    const clients: FrameClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await FrameClient.connect(transport, t.addrs);
      await c.auth({ mid: i, key: `sd-${i}` });
      clients.push(c);
    }
    const started = Date.now();
    const closing = t.comet.close(200);
    await closing;
    expect(Date.now() - started).toBeGreaterThanOrEqual(100); // 3 batches over 200 ms
    for (const c of clients) {
      await c.waitClosed();
      expect(c.notices()).toEqual([{ code: DisconnectCode.SHUTDOWN, reason: 'server shutting down', reconnect: true }]);
    }
    expect(t.logic.disconnects.map((d) => d.key).sort()).toEqual(['sd-0', 'sd-1', 'sd-2', 'sd-3', 'sd-4']);
    expect(t.comet.connections).toBe(0);
    await expect(FrameClient.connect(transport, t.addrs)).rejects.toThrow();
    t = undefined;
  });

  it('reports room counts to logic on the online interval and applies AllOnline', async () => {
    t = await startComet({ online: { interval: 50 } });
    t.logic.allRoomCount = { 'live://7': 99 };
    const c = await FrameClient.connect(transport, t.addrs);
    await c.auth({ mid: 1, key: 'on', room_id: 'live://7' });
    await waitFor(() => t!.logic.onlines.some((o) => o.roomCount['live://7'] === 1), 'renew online with the room');
    await waitFor(() => t!.comet.buckets.onlineOf(t!.comet.buckets.get('on')!) === 99, 'AllOnline applied');
    c.destroy();
  });
});

describe('comet slow consumers', () => {
  it('closes a client that stops reading once its outbound bound is exceeded; others keep receiving', async () => {
    const t = await startComet({ protocol: { maxOutboundBytes: 64 * 1024, writeTimeout: 60_000 } });
    try {
      const slow = await FrameClient.connect('tcp', t.addrs);
      await slow.auth({ mid: 1, key: 'slow', room_id: 'r://s', accepts: [1000] });
      const ok = await FrameClient.connect('ws', t.addrs);
      await ok.auth({ mid: 2, key: 'ok', room_id: 'r://s', accepts: [1000] });
      slow.pause();
      const body = encodeRawBatch([{ op: 1000, body: new Uint8Array(32_000) }]);
      let got = 0;
      // Bounded: loopback kernel buffers absorb a few MB before the server's buffer grows.
      for (let i = 0; i < 2000 && !t.comet.buckets.get('slow')?.closed && t.comet.buckets.get('slow'); i++) {
        // PushMsg continues with the remaining keys when one channel is full.
        await t.comet.service.pushMsg({ keys: ['slow', 'ok'], proto: rawProto(body), protoOp: 1000, msgID: '' });
        got += (await ok.pushes(1)).length;
        await new Promise((r) => setImmediate(r));
      }
      expect(t.comet.buckets.get('slow')).toBeUndefined();
      expect(t.comet.buckets.counters.overflowed).toBe(1);
      // Reading again, the slow client finds the reason at the end of its stream.
      (slow as unknown as { tcp: { resume(): void } }).tcp.resume();
      await slow.waitClosed();
      expect(slow.notices()).toEqual([{ code: DisconnectCode.SLOW_CONSUMER, reason: 'slow consumer: outbound buffer full', reconnect: true }]);
      await t.comet.service.pushMsg({ keys: ['slow', 'ok'], proto: rawProto(body), protoOp: 1000, msgID: '' });
      expect(await ok.pushes(1)).toHaveLength(1);
      expect(got).toBeGreaterThan(5);
      await waitFor(() => t.logic.disconnects.some((d) => d.key === 'slow'), 'slow consumer disconnected');
      const metrics = await t.comet.metrics.registry.metrics();
      expect(metrics).toMatch(/goim_comet_slow_consumers_total 1/);
      ok.destroy();
      slow.destroy();
    } finally {
      await t.close();
    }
  });

  it('closes a socket that accepts no bytes within the write timeout', async () => {
    const t = await startComet({ protocol: { maxOutboundBytes: 64 << 20, writeTimeout: 300 } });
    try {
      const c = await FrameClient.connect('tcp', t.addrs);
      await c.auth({ mid: 1, key: 'wt', accepts: [1000] });
      c.pause();
      const body = encodeRawBatch([{ op: 1000, body: new Uint8Array(60_000) }]);
      for (let i = 0; i < 200; i++) t.comet.buckets.pushKeys(['wt'], 1000, body);
      await waitFor(() => t.comet.buckets.get('wt') === undefined, 'write timeout close', 5000);
      const m = await t.comet.metrics.registry.getSingleMetricAsString('goim_comet_write_timeouts_total');
      expect(m).toMatch(/goim_comet_write_timeouts_total 1/);
      c.destroy();
    } finally {
      await t.close();
    }
  });
});

describe('comet paced broadcast', () => {
  it('returns at once and sleeps floor(bucketChannels / speed) s after each bucket (goim §2.8)', async () => {
    const sleeps: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = await startComet({ bucket: { size: 2 } }, {
      sleep: (ms) => {
        sleeps.push(ms);
        return gate;
      },
    });
    try {
      const clients: FrameClient[] = [];
      for (let i = 0; i < 6; i++) {
        const c = await FrameClient.connect('tcp', t.addrs);
        await c.auth({ mid: i, key: `pb-${i}`, accepts: [1000] });
        clients.push(c);
      }
      const first = t.comet.buckets.buckets[0]!.channelCount;
      await t.comet.service.broadcast({ protoOp: 1000, proto: rawProto(encodeRawBatch([{ op: 1000, body: Buffer.from('p') }])), speed: 1, msgID: '' });
      // Returned while the second bucket still waits: only bucket 0's members got it.
      expect(sleeps).toEqual(first > 0 ? [first * 1000] : []);
      const inFirst = clients.filter((_, i) => t.comet.buckets.bucket(`pb-${i}`) === t.comet.buckets.buckets[0]);
      for (const c of inFirst) await c.pushes(1);
      release();
      for (const c of clients.filter((c) => !inFirst.includes(c))) await c.pushes(1);
      for (const c of clients) c.destroy();
    } finally {
      await t.close();
    }
  });
});
