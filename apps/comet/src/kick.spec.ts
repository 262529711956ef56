/**
 * Kick (goim-ts addition used by the admin dashboard): over a real gRPC client, the target
 * gets op 6 KICKED with the reason and no reconnect, comet tells logic (Disconnect with its
 * server id, which is what removes the session mapping) and forgets the key; others stay.
 */
import { DisconnectCode } from '@goim/protocol';
import { createCometClient, type Closable, type CometService } from '@goim/protocol/rpc';
import { waitFor } from '@goim/testkit';
import { FrameClient, startComet, type TestComet } from './testing.js';

describe('comet Kick', () => {
  let t: TestComet;
  let client: Closable<CometService>;
  const open: FrameClient[] = [];

  async function connect(transport: 'tcp' | 'ws', mid: number, key: string) {
    const c = await FrameClient.connect(transport, t.addrs);
    open.push(c);
    await c.auth({ mid, key, room_id: 'live://9' });
    return c;
  }

  beforeAll(async () => {
    t = await startComet({ rpcServer: { addr: '127.0.0.1:0' } });
    client = createCometClient(`127.0.0.1:${t.addrs.grpc!.port}`, { deadlineMs: 3000 });
  });
  afterAll(async () => {
    for (const c of open) c.destroy();
    client.close();
    await t.close();
  });

  it.each(['tcp', 'ws'] as const)('sends op 6 KICKED with the reason over %s, reports Disconnect to logic and forgets the key', async (transport) => {
    const target = await connect(transport, 70, `kick-${transport}`);
    const bystander = await connect(transport, 71, `stay-${transport}`);
    const before = t.logic.disconnects.length;
    expect(await client.kick({ keys: [`kick-${transport}`], mids: [], reason: 'abuse report #12' })).toEqual({ kicked: 1 });
    await target.waitClosed();
    expect(target.notices()).toEqual([{ code: DisconnectCode.KICKED, reason: 'abuse report #12', reconnect: false }]);
    // Logic's Disconnect handler is what deletes mid_/key_ (only while they still point at this server).
    await waitFor(() => t.logic.disconnects.length > before, 'Disconnect reported to logic');
    expect(t.logic.disconnects.slice(before)).toEqual([expect.objectContaining({ mid: 70, key: `kick-${transport}`, server: t.comet.host })]);
    expect(t.comet.buckets.get(`kick-${transport}`)).toBeUndefined();
    expect(t.comet.buckets.get(`stay-${transport}`)).toBeDefined();
    expect(bystander.notices()).toEqual([]);
  });

  it('kicks every connection of a mid, uses "kicked" as the default reason and counts kicks', async () => {
    const a = await connect('tcp', 80, 'm80-a');
    const b = await connect('ws', 80, 'm80-b');
    const kickedBefore = t.comet.buckets.counters.kicked;
    expect(await client.kick({ keys: [], mids: [80], reason: '' })).toEqual({ kicked: 2 });
    await Promise.all([a.waitClosed(), b.waitClosed()]);
    expect(a.notices()).toEqual([{ code: DisconnectCode.KICKED, reason: 'kicked', reconnect: false }]);
    expect(b.notices()).toEqual([{ code: DisconnectCode.KICKED, reason: 'kicked', reconnect: false }]);
    expect(t.comet.buckets.counters.kicked).toBe(kickedBefore + 2);
    expect(await t.comet.metrics.registry.getSingleMetricAsString('goim_comet_kicked_total')).toContain(`goim_comet_kicked_total ${kickedBefore + 2}`);
  });

  it('answers kicked 0 for keys and mids it does not hold', async () => {
    expect(await client.kick({ keys: ['nobody'], mids: [123456], reason: 'x' })).toEqual({ kicked: 0 });
  });
});
