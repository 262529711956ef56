import { Cluster, Redis } from 'ioredis';
import { requireService, uniquePrefix, waitFor } from '@goim/testkit';
import { contractMsg, describePushQueueContract } from '@goim/queue/testing';
import { QueueErrorCode, RedisStreamsPushQueue, type PushDelivery } from '@goim/queue';

const url = requireService('GOIM_TEST_REDIS_URL');
const clusterNodes = requireService('GOIM_TEST_REDIS_CLUSTER_NODES')
  .split(',')
  .map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) }));
const clients: Array<Redis | Cluster> = [];
function client(): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null });
  clients.push(r);
  return r;
}
function clusterClient(): Cluster {
  const c = new Cluster(clusterNodes, { redisOptions: { maxRetriesPerRequest: null } });
  clients.push(c);
  return c;
}

// One backend, two setups (STYLE §4): standalone Redis and Redis Cluster.
const variants: Array<{ name: string; client: () => Redis | Cluster }> = [
  { name: 'standalone', client },
  { name: 'cluster', client: clusterClient },
];
afterAll(async () => {
  await Promise.all(clients.map((c) => (c.status === 'end' ? undefined : c.quit().catch(() => c.disconnect()))));
});

// Short leases so a rebalance or a dead owner's takeover happens in well under a second.
const fast = { leaseMs: 900, blockMs: 100, backlogCheckMs: 20 };

for (const v of variants) {
describePushQueueContract(`RedisStreamsPushQueue (${v.name})`, {
  bounded: true,
  create: (s) =>
    new RedisStreamsPushQueue({
      redis: v.client(),
      stream: uniquePrefix('rs'),
      shards: s.partitions,
      retryDelaysMs: s.retryDelaysMs,
      drainTimeoutMs: s.drainTimeoutMs,
      ...(s.capacity === undefined ? {} : { maxBacklog: s.capacity }),
      ...(s.publishTimeoutMs === undefined ? {} : { publishTimeoutMs: s.publishTimeoutMs }),
      ...fast,
    }),
});
}

describe('RedisStreamsPushQueue', () => {
  it('rejects bad options naming the property', () => {
    const redis = client();
    expect(() => new RedisStreamsPushQueue({ redis, maxLen: 100, maxBacklog: 100 })).toThrow(expect.objectContaining({ code: QueueErrorCode.INVALID_OPTIONS, message: expect.stringContaining('`maxBacklog`') }));
    expect(() => new RedisStreamsPushQueue({ redis, shards: 0 })).toThrow(expect.objectContaining({ code: QueueErrorCode.INVALID_OPTIONS }));
    expect(() => new RedisStreamsPushQueue({ redis, leaseMs: 900, blockMs: 500 })).toThrow(expect.objectContaining({ message: expect.stringContaining('`blockMs`') }));
    expect(() => new RedisStreamsPushQueue({} as never)).toThrow(expect.objectContaining({ message: expect.stringContaining('`redis`') }));
  });

  it('writes entries to <stream>:<sarama partition of the key> with the protobuf value, trimmed by MAXLEN ~', async () => {
    const redis = client();
    const stream = uniquePrefix('rs');
    const q = new RedisStreamsPushQueue({ redis, stream, shards: 16, maxLen: 200, maxBacklog: 100, ...fast });
    await q.producer().publish(contractMsg('foobar', 0)); // FNV-1a partition 8 of 16
    const entries = await redis.xrangeBuffer(`${stream}:8`, '-', '+');
    expect(entries).toHaveLength(1);
    const fields = entries[0]![1].map(String);
    expect(fields[0]).toBe('k');
    expect(fields[1]).toBe('foobar');
    await q.close();
  });

  for (const v of variants) {
    it(`reclaims the pending entries of a consumer that died without closing (lease expiry, XAUTOCLAIM) (${v.name})`, async () => {
      const stream = uniquePrefix('rs');
      const dying = v.client();
      const qa = new RedisStreamsPushQueue({ redis: dying, stream, shards: 2, retryDelaysMs: [10], drainTimeoutMs: 200, ...fast });
      const qb = new RedisStreamsPushQueue({ redis: v.client(), stream, shards: 2, retryDelaysMs: [10], drainTimeoutMs: 200, ...fast });
      const gotA: string[] = [];
      let hold = true;
      await qa.consumer('g').start(async (d) => {
        gotA.push(d.msg.msgID);
        // a hangs on its first message: then its process "dies" (connection cut, no close).
        while (hold) await new Promise((r) => setTimeout(r, 20));
        throw new Error('dead');
      });
      for (let s = 0; s < 5; s++) await qb.producer().publish(contractMsg('dead', s));
      await waitFor(() => gotA.length === 1, 'a took dead#0');
      // Simulate a crash: a's connection goes away, so no heartbeat, no lease renewal, no XACK.
      dying.disconnect();
      clients.splice(clients.indexOf(dying), 1);
      const gotB: PushDelivery[] = [];
      await qb.consumer('g').start(async (d) => void gotB.push(d));
      await waitFor(() => gotB.length >= 5, 'b got all 5 after the lease expired', 5_000);
      expect(gotB.map((d) => d.msg.msgID)).toEqual([0, 1, 2, 3, 4].map((s) => `dead#${s}`));
      expect(gotB[0]!.attempt).toBeGreaterThan(1); // reclaimed: delivered before
      hold = false;
      await qb.close();
      await qa.close();
    }, 20_000);
  }

  it('keeps each shard stream bounded by MAXLEN ~ while consumers keep up, delivering everything in order', async () => {
    const redis = client();
    const stream = uniquePrefix('rs');
    const q = new RedisStreamsPushQueue({ redis, stream, shards: 1, maxLen: 100, maxBacklog: 40, ...fast });
    const got: string[] = [];
    await q.consumer('g').start(async (d) => void got.push(d.msg.msgID));
    const total = 1_000;
    await Promise.all(Array.from({ length: total }, (_, s) => q.producer().publish(contractMsg('trim', s))));
    await waitFor(() => got.length >= total, 'all delivered', 20_000);
    expect(got).toEqual(Array.from({ length: total }, (_, s) => `trim#${s}`));
    // Approximate trimming removes whole radix-tree nodes (100 entries by default), so the
    // stream keeps somewhat more than maxLen, but far fewer than were published.
    const len = await redis.xlen(`${stream}:0`);
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThan(300);
    await q.close();
  }, 30_000);

  it('creates and quits its own client from a URL', async () => {
    const q = new RedisStreamsPushQueue({ redis: url, stream: uniquePrefix('rs'), shards: 1, ...fast });
    const got: string[] = [];
    await q.consumer().start(async (d) => void got.push(d.msg.msgID));
    await q.producer().publish(contractMsg('u', 0));
    await waitFor(() => got.length === 1, 'delivery');
    await q.close();
    await waitFor(() => q.redis.status === 'end', 'own client closed');
  });
});
