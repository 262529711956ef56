/**
 * Sessions come back after logic's session store lost its data: a new epoch in the
 * RenewOnline reply makes every connection call logic Heartbeat on its next client
 * heartbeat, instead of waiting for its random 10–30 min server heartbeat.
 */
import { Op } from '@goim/protocol';
import { waitFor } from '@goim/testkit';
import { FakeLogic, FrameClient, startComet, type TestComet, type Transport } from './testing.js';

describe('comet session resync after logic reports a new session-store epoch', () => {
  let t: TestComet | undefined;
  const clients: FrameClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await t?.close();
    t = undefined;
  });

  // The clock never moves: no server heartbeat is due by time (the first is 10–30 min away),
  // so every logic Heartbeat seen here comes from the resync.
  async function start(epoch: string): Promise<TestComet> {
    const logic = new FakeLogic();
    logic.epoch = epoch;
    logic.heartbeatNs = 3600e9;
    t = await startComet({}, { now: () => 5_000_000, random: () => 0.5 }, logic);
    await t.comet.reportOnline(); // the comet has seen `epoch`
    return t;
  }

  async function client(transport: Transport, mid: number, key: string): Promise<FrameClient> {
    const c = await FrameClient.connect(transport, t!.addrs);
    clients.push(c);
    await c.auth({ mid, key });
    return c;
  }

  let seq = 100;
  /**
   * One client heartbeat. The server calls logic Heartbeat (if it does) before it replies,
   * and the fake logic answers at once, so the call has settled by the next client frame.
   */
  async function heartbeat(c: FrameClient): Promise<void> {
    c.sendFrame({ op: Op.Heartbeat, seq: ++seq });
    await c.next((f) => f.op === Op.HeartbeatReply);
  }

  const resyncs = async (): Promise<string> => (await t!.comet.metrics.registry.getSingleMetricAsString('goim_comet_session_resyncs_total')).split('\n').at(-1)!;

  it("calls logic Heartbeat for each connection on its next client heartbeat, once, after the epoch changed", async () => {
    await start('epoch-1');
    const a = await client('tcp', 11, 'ka');
    const b = await client('ws', 12, 'kb');
    await heartbeat(a);
    await heartbeat(b);
    expect(t!.logic.heartbeats).toEqual([]);

    t!.logic.epoch = 'epoch-2';
    await t!.comet.reportOnline();
    expect(await resyncs()).toBe('goim_comet_session_resyncs_total 1');
    // Nothing walked the connections: each re-registers when it next speaks.
    expect(t!.logic.heartbeats).toEqual([]);

    await heartbeat(a);
    expect(t!.logic.heartbeats).toEqual([{ mid: 11, key: 'ka', server: 'comet-test' }]);
    await heartbeat(a); // already re-registered under this epoch
    await heartbeat(b);
    expect(t!.logic.heartbeats).toEqual([
      { mid: 11, key: 'ka', server: 'comet-test' },
      { mid: 12, key: 'kb', server: 'comet-test' },
    ]);
    await heartbeat(b);
    await heartbeat(a);
    expect(t!.logic.heartbeats).toHaveLength(2);

    // A connection made after the change is registered by its Connect: no extra Heartbeat.
    const c = await client('ws', 13, 'kc');
    await heartbeat(c);
    expect(t!.logic.heartbeats).toHaveLength(2);

    // A second loss resyncs everyone again.
    t!.logic.epoch = 'epoch-3';
    await t!.comet.reportOnline();
    for (const x of [a, b, c]) await heartbeat(x);
    expect(t!.logic.heartbeats.slice(2).map((h) => h.key)).toEqual(['ka', 'kb', 'kc']);
    expect(await resyncs()).toBe('goim_comet_session_resyncs_total 2');
  });

  it.each<[string, string, string[]]>([
    ['the same epoch again', 'epoch-1', ['epoch-1', 'epoch-1']],
    ['an empty epoch (a Go logic answered) between equal ones', 'epoch-1', ['', 'epoch-1', '']],
    ['no epoch ever (only Go logics)', '', ['', '']],
    ['the first epoch after none: a baseline, not a change', '', ['', 'epoch-1']],
  ])('does not resync on %s', async (_name, first, later) => {
    await start(first);
    const a = await client('tcp', 21, 'ka');
    const b = await client('ws', 22, 'kb');
    for (const epoch of later) {
      t!.logic.epoch = epoch;
      await t!.comet.reportOnline();
      await heartbeat(a);
      await heartbeat(b);
    }
    expect(t!.logic.heartbeats).toEqual([]);
    expect(await resyncs()).toBe('goim_comet_session_resyncs_total 0');
  });

  it('retries a failed re-registration on the next client heartbeat', async () => {
    await start('epoch-1');
    const a = await client('tcp', 51, 'ka');
    t!.logic.epoch = 'epoch-2';
    await t!.comet.reportOnline();
    t!.logic.failHeartbeats = 1;
    await heartbeat(a);
    expect(t!.logic.heartbeats).toHaveLength(1);
    await waitFor(async () => (await t!.comet.metrics.registry.getSingleMetricAsString('goim_comet_logic_errors_total')).includes('method="heartbeat"} 1'), 'the failure counted');
    await heartbeat(a);
    expect(t!.logic.heartbeats).toHaveLength(2);
    await heartbeat(a);
    expect(t!.logic.heartbeats).toHaveLength(2);
  });
});
