/**
 * The acceptance scenario on a real cluster: 2 logics, 2 comets, 2 jobs as separate processes
 * on real Kafka and etcd (from `npm test`) and the cluster's own Redis (restarted below).
 * Clients are spread over both comets on WebSocket and TCP and follow `nodes/weighted`.
 */
import { requireService, waitFor } from '@goim/testkit';
import { startCluster, cometClientIp, type Cluster } from './cluster.js';
import { FollowingClient } from './following-client.js';

const OP = 1000;
const OTHER_OP = 1001;

let cluster: Cluster | undefined;
const clients: FollowingClient[] = [];

function c(): Cluster {
  if (!cluster) throw new Error('cluster did not start');
  return cluster;
}

/** POSTs a push through logic `via` and checks goim's envelope. */
async function push(path: string, body: string, via = 0): Promise<void> {
  const res = await fetch(`${c().logicUrl(via)}${path}`, { method: 'POST', body });
  const json = (await res.json()) as { code: number; message: string };
  if (res.status !== 200 || json.code !== 0) throw new Error(`push ${path} via logic ${via}: HTTP ${res.status} ${JSON.stringify(json)}`);
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const json = (await res.json()) as { code: number; data: T };
  if (json.code !== 0) throw new Error(`${url}: ${JSON.stringify(json)}`);
  return json.data;
}

async function client(
  name: string,
  opts: { transport: 'ws' | 'tcp'; comet: number; mid: number; room: string; accepts: number[]; reconnect?: boolean },
): Promise<FollowingClient> {
  const fc = new FollowingClient({
    logicUrls: c().logics.map((_, i) => c().logicUrl(i)),
    transport: opts.transport,
    token: { mid: opts.mid, key: name, room_id: opts.room, platform: 'web', accepts: opts.accepts },
    initialIp: cometClientIp(opts.comet),
    heartbeatIntervalMs: 1_000,
    reconnect: opts.reconnect ?? true,
  });
  clients.push(fc);
  await fc.connect(20_000);
  return fc;
}

const sorted = (xs: string[]): string[] => [...xs].sort();

/** Waits until every client got exactly `expected` (as a multiset) on `op`, then a quiet period for strays. */
async function expectExactly(expected: Map<FollowingClient, string[]>, op: number, what: string): Promise<void> {
  await waitFor(() => [...expected].every(([fc, want]) => fc.texts(op).length >= want.length), what, 20_000, 50);
  // Room batches flush within 1 s: anything extra (a duplicate, a push to a non-member) shows by then.
  await new Promise((r) => setTimeout(r, 1_500));
  for (const [fc, want] of expected) expect({ key: fc.client.session?.key, got: sorted(fc.texts(op)) }).toEqual({ key: fc.client.session?.key, got: sorted(want) });
}

beforeAll(async () => {
  const kafkaBrokers = requireService('GOIM_TEST_KAFKA_BROKERS');
  const etcdUrl = requireService('GOIM_TEST_ETCD_URL');
  // Redis is the cluster's own: the spec stops and restarts it on the same port.
  cluster = await startCluster({ comets: 2, logics: 2, jobs: 2, backends: { kafkaBrokers, etcdUrl }, timing: 'fast', partitions: 4 });
}, 240_000);

afterAll(async () => {
  for (const fc of clients) fc.close();
  await cluster?.stop();
}, 60_000);

describe('a real cluster: 2 logics, 2 comets, 2 jobs on Kafka, etcd and Redis', () => {
  let a1: FollowingClient; // ws, comet-1, mid 101, room r1
  let a2: FollowingClient; // tcp, comet-1, mid 102, room r1
  let a3: FollowingClient; // ws, comet-1, mid 106, no accepts, room r2
  let b1: FollowingClient; // ws, comet-2, mid 103, room r1
  let b2: FollowingClient; // tcp, comet-2, mid 104, room r2
  let b3: FollowingClient; // ws, comet-2, mid 101 (same mid as a1), room r1
  let late: FollowingClient; // ws, comet-2, mid 401, connected after logic-2 left

  it('spreads WebSocket and TCP clients over both comets', async () => {
    a1 = await client('ka1', { transport: 'ws', comet: 1, mid: 101, room: 'live://r1', accepts: [OP] });
    a2 = await client('ka2', { transport: 'tcp', comet: 1, mid: 102, room: 'live://r1', accepts: [OP] });
    a3 = await client('ka3', { transport: 'ws', comet: 1, mid: 106, room: 'live://r2', accepts: [] });
    b1 = await client('kb1', { transport: 'ws', comet: 2, mid: 103, room: 'live://r1', accepts: [OP] });
    b2 = await client('kb2', { transport: 'tcp', comet: 2, mid: 104, room: 'live://r2', accepts: [OP] });
    b3 = await client('kb3', { transport: 'ws', comet: 2, mid: 101, room: 'live://r1', accepts: [OP] });
    expect([a1, a2, a3].map((x) => x.servers[0])).toEqual([cometClientIp(1), cometClientIp(1), cometClientIp(1)]);
    expect([b1, b2, b3].map((x) => x.servers[0])).toEqual([cometClientIp(2), cometClientIp(2), cometClientIp(2)]);
  }, 90_000);

  it('delivers keys, mids (across comets), room (members on both comets) and broadcast pushes exactly, honouring accepts', async () => {
    await push(`/goim/push/keys?operation=${OP}&keys=ka1&keys=kb2&keys=ka3`, 'to-keys', 0);
    await push(`/goim/push/mids?operation=${OP}&mids=101&mids=104`, 'to-mids', 1);
    await push(`/goim/push/room?operation=${OP}&type=live&room=r1`, 'to-room', 0);
    await push(`/goim/push/all?operation=${OP}`, 'to-all', 1);
    // An op nobody accepts: key pushes and broadcasts are filtered by accepts (goim), so nobody gets it.
    await push(`/goim/push/keys?operation=${OTHER_OP}&keys=ka1&keys=kb1`, 'unaccepted', 0);
    await push(`/goim/push/all?operation=${OTHER_OP}`, 'unaccepted', 1);
    await expectExactly(
      new Map([
        [a1, ['to-keys', 'to-mids', 'to-room', 'to-all']],
        [a2, ['to-room', 'to-all']],
        // No accepts: key push and broadcast skip it; not in r1.
        [a3, []],
        [b1, ['to-room', 'to-all']],
        [b2, ['to-keys', 'to-mids', 'to-all']],
        [b3, ['to-mids', 'to-room', 'to-all']],
      ]),
      OP,
      'pushes of every kind',
    );
    for (const fc of [a1, a2, a3, b1, b2, b3]) expect(fc.texts(OTHER_OP)).toEqual([]);
  }, 60_000);

  it('converges online counts on both logics within 25 s and lists both comets in nodes/weighted', async () => {
    const started = Date.now();
    for (let i = 0; i < 2; i++) {
      await waitFor(
        async () => {
          const rooms = await getJson<Record<string, number>>(`${c().logicUrl(i)}/goim/online/room?type=live&rooms=r1&rooms=r2`);
          const total = await getJson<{ conn_count: number; ip_count: number }>(`${c().logicUrl(i)}/goim/online/total`);
          return rooms.r1 === 4 && rooms.r2 === 2 && total.conn_count === 6;
        },
        `online counts on logic ${i + 1}`,
        25_000 - (Date.now() - started),
        200,
      );
      const nodes = await getJson<{ nodes: string[] }>(`${c().logicUrl(i)}/goim/nodes/weighted?platform=`);
      expect(sorted(nodes.nodes)).toEqual([cometClientIp(1), cometClientIp(2)]);
      const instances = await getJson<Array<{ hostname: string; metadata: Record<string, string> }>>(`${c().logicUrl(i)}/goim/nodes/instances`);
      expect(instances.map((x) => [x.hostname, x.metadata.conn_count])).toEqual([
        ['comet-1', '3'],
        ['comet-2', '3'],
      ]);
    }
  }, 30_000);

  it('loses no push when a job is SIGKILLed mid-stream', async () => {
    // Eight extra rooms and five keys, so the pushes spread over every partition (both jobs own some).
    const rooms = Array.from({ length: 8 }, (_, i) => `x${i}`);
    const joined = new Promise<void>((resolve) => {
      let n = 0;
      b2.client.on('reply', (m) => {
        if (m.op === 19 && ++n === rooms.length) resolve();
      });
    });
    for (const r of rooms) b2.client.joinRoom(`live://${r}`);
    await joined;
    const keyed = new Map<FollowingClient, string[]>([a1, a2, b1, b2, b3].map((fc) => [fc, []]));
    const roomSent: string[] = [];
    const keyOf = (fc: FollowingClient): string => fc.client.session!.key;
    const targets = [...keyed.keys()];
    for (let i = 0; i < 48; i++) {
      if (i === 12) {
        const exit = await c().jobs[0]!.kill('SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
      }
      const fc = targets[i % targets.length]!;
      const text = `seq-${i}`;
      await push(`/goim/push/keys?operation=${OP}&keys=${keyOf(fc)}`, text, i % 2);
      keyed.get(fc)!.push(text);
      const roomText = `room-${i}`;
      await push(`/goim/push/room?operation=${OP}&type=live&room=${rooms[i % rooms.length]}`, roomText, (i + 1) % 2);
      roomSent.push(roomText);
      await new Promise((r) => setTimeout(r, 40));
    }
    // The dead job's partitions move to the other job after the Kafka session timeout (6 s here).
    await waitFor(
      () => [...keyed].every(([fc, sent]) => sent.every((t) => fc.texts(OP).includes(t))) && roomSent.every((t) => b2.texts(OP).includes(t)),
      'every push after the job kill',
      60_000,
      100,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    // At-least-once end to end; the comet drops redeliveries by message id, so each arrives once.
    for (const [fc, sent] of keyed) expect(sorted(fc.texts(OP).filter((t) => t.startsWith('seq-')))).toEqual(sorted(sent));
    expect(sorted(b2.texts(OP).filter((t) => t.startsWith('room-')))).toEqual(sorted(roomSent));
  }, 120_000);

  it('SIGTERM on a comet: it leaves discovery, its clients get op 6 (reconnect) and move to the other comet, and mid pushes reach them again', async () => {
    const comet1 = c().comets[0]!;
    const exit = await comet1.kill('SIGTERM', 20_000);
    expect(exit.code).toBe(0);
    for (const fc of [a1, a2, a3]) {
      expect(fc.disconnects[0]).toMatchObject({ reconnect: true });
      await fc.waitAuthenticated(2, 20_000);
      expect(fc.servers.at(-1)).toBe(cometClientIp(2));
    }
    for (let i = 0; i < 2; i++) {
      const nodes = await getJson<{ nodes: string[] }>(`${c().logicUrl(i)}/goim/nodes/weighted?platform=`);
      expect(nodes.nodes).toEqual([cometClientIp(2)]);
    }
    const before = new Map([a1, a2, b3].map((fc) => [fc, fc.texts(OP).length]));
    await push(`/goim/push/mids?operation=${OP}&mids=101&mids=102`, 'after-move', 0);
    await waitFor(() => [a1, a2, b3].every((fc) => fc.texts(OP).includes('after-move')), 'mid pushes after the move', 20_000, 50);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const [fc, n] of before) expect(fc.texts(OP).slice(n)).toEqual(['after-move']);
  }, 90_000);

  it('an offline comet is listed in nodes/instances but never handed out by nodes/weighted', async () => {
    const comet1 = c().comets[0]!;
    await comet1.start(['-offline']);
    for (let i = 0; i < 2; i++) {
      await waitFor(
        async () => {
          const instances = await getJson<Array<{ hostname: string; metadata: Record<string, string> }>>(`${c().logicUrl(i)}/goim/nodes/instances`);
          return instances.some((x) => x.hostname === 'comet-1' && x.metadata.offline === 'true');
        },
        `offline comet-1 in discovery on logic ${i + 1}`,
        15_000,
        100,
      );
      const nodes = await getJson<{ nodes: string[] }>(`${c().logicUrl(i)}/goim/nodes/weighted?platform=`);
      expect(nodes.nodes).toEqual([cometClientIp(2)]);
    }
    const exit = await comet1.kill('SIGTERM', 20_000);
    expect(exit.code).toBe(0);
  }, 90_000);

  it('a SIGKILLed comet disappears from discovery and its ol_ counts age out', async () => {
    const comet1 = c().comets[0]!;
    await comet1.start();
    const lone = await client('kc1', { transport: 'ws', comet: 1, mid: 201, room: 'live://r9', accepts: [OP], reconnect: false });
    expect(lone.servers[0]).toBe(cometClientIp(1));
    for (let i = 0; i < 2; i++) {
      await waitFor(
        async () => (await getJson<Record<string, number>>(`${c().logicUrl(i)}/goim/online/room?type=live&rooms=r9`)).r9 === 1,
        `r9 counted on logic ${i + 1}`,
        25_000,
        200,
      );
    }
    const exit = await comet1.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    lone.close();
    for (let i = 0; i < 2; i++) {
      await waitFor(
        async () => {
          const instances = await getJson<Array<{ hostname: string }>>(`${c().logicUrl(i)}/goim/nodes/instances`);
          return instances.length === 1 && instances[0]!.hostname === 'comet-2';
        },
        `comet-1 gone from discovery on logic ${i + 1}`,
        15_000,
        200,
      );
      await waitFor(
        async () => (await getJson<Record<string, number>>(`${c().logicUrl(i)}/goim/online/room?type=live&rooms=r9`)).r9 === 0,
        `r9 aged out on logic ${i + 1}`,
        20_000,
        200,
      );
    }
  }, 90_000);

  it('logic recovers from a Redis restart without being restarted; sessions of connected clients come back', async () => {
    const redis = c().redis!;
    // b2 (TCP on comet-2, mid 104) connected long before and keeps sending client heartbeats.
    const b2Auths = b2.servers.length;
    const cometLogAt = c().comets[1]!.log().length;
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    await redis.start();
    const restartedAt = Date.now();
    // The restarted Redis is empty (no persistence): sessions written from now on must work
    // through the same logic processes, and online reports must land again.
    const fresh = await client('kd1', { transport: 'tcp', comet: 2, mid: 301, room: 'live://r7', accepts: [OP] });
    let n = 0;
    await waitFor(
      async () => {
        await push(`/goim/push/mids?operation=${OP}&mids=301`, `after-redis-${n}`, n % 2).catch(() => undefined);
        n++;
        await new Promise((r) => setTimeout(r, 300));
        return fresh.texts(OP).some((t) => t.startsWith('after-redis-'));
      },
      'a mid push after the Redis restart',
      30_000,
      200,
    );
    // The empty Redis has a new epoch: logic reports it in RenewOnline (every 1 s here), the
    // comet has each connection re-register on its next client heartbeat (every 1 s), so b2's
    // mapping is back within seconds — goim waits for a 10–30 min server heartbeat.
    let m = 0;
    await waitFor(
      async () => {
        await push(`/goim/push/mids?operation=${OP}&mids=104`, `resynced-${m}`, m % 2).catch(() => undefined);
        m++;
        await new Promise((r) => setTimeout(r, 300));
        return b2.texts(OP).some((t) => t.startsWith('resynced-'));
      },
      'a mid push to a client connected before the Redis restart',
      20_000 - (Date.now() - restartedAt),
      200,
    );
    expect(b2.servers.length).toBe(b2Auths); // the same connection: no reconnect
    expect(c().comets[1]!.log().slice(cometLogAt)).toContain('logic session store lost its data');
    for (let i = 0; i < 2; i++) {
      await waitFor(
        async () => (await getJson<Record<string, number>>(`${c().logicUrl(i)}/goim/online/room?type=live&rooms=r7`)).r7 === 1,
        `online counts after the Redis restart on logic ${i + 1}`,
        20_000,
        200,
      );
    }
    for (const logic of c().logics) expect(logic.running()).toBe(true);
  }, 90_000);

  it('SIGTERM on a logic: it leaves discovery and exits 0; comets switch to the other logic without a restart', async () => {
    const logic2 = c().logics[1]!;
    const cometLogAt = c().comets[1]!.log().length;
    const started = Date.now();
    const exit = await logic2.kill('SIGTERM', 20_000);
    expect(exit.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    // New connections authenticate (Connect goes to logic-1 only) and pushes through logic-1 arrive.
    late = await client('ke1', { transport: 'ws', comet: 2, mid: 401, room: 'live://r1', accepts: [OP] });
    await push(`/goim/push/mids?operation=${OP}&mids=401`, 'after-logic-left', 0);
    await waitFor(() => late.texts(OP).includes('after-logic-left'), 'a push after logic-2 left', 20_000, 50);
    // Online reports keep landing (RenewOnline through the remaining logic).
    await waitFor(
      async () => (await getJson<Record<string, number>>(`${c().logicUrl(0)}/goim/online/room?type=live&rooms=r1`)).r1 >= 1,
      'online counts after logic-2 left',
      15_000,
      200,
    );
    // The comet's logic client followed the change (no restart): logic-1 only.
    await waitFor(() => c().comets[1]!.log().slice(cometLogAt).includes('"logics":["logic-1"]'), 'comet-2 dropping logic-2', 10_000, 50);
  }, 60_000);

  it('SIGTERM on a job: it finishes in-flight work, commits and exits 0 in bounded time', async () => {
    const job2 = c().jobs[1]!;
    // (ke1 connected after logic-2 left.)
    await push(`/goim/push/keys?operation=${OP}&keys=ke1`, 'before-job-stop', 0);
    await waitFor(() => late.texts(OP).includes('before-job-stop'), 'the push before the job stops', 20_000, 50);
    const started = Date.now();
    const exit = await job2.kill('SIGTERM', 20_000);
    expect(exit.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(job2.log()).toContain('"msg":"job closed"');
  }, 60_000);
});
