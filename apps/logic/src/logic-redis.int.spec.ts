/**
 * Logic on a real Redis (RedisSessionStore): the session map and ol_ keys are goim's, so a
 * push looked up by one logic finds sessions another logic wrote, and RenewOnline from one
 * logic feeds the online counts of another.
 */
import { Redis } from 'ioredis';
import { createLogicClient, type PushMsg } from '@goim/protocol/rpc';
import type { PushQueueProducer } from '@goim/queue';
import { RedisSessionStore } from '@goim/session-store';
import { requireService, uniquePrefix } from '@goim/testkit';
import { StaticCometSource } from './comets.js';
import { resolveLogicConfig } from './config.js';
import { createLogic, type Logic } from './logic.js';

const REDIS_URL = requireService('GOIM_TEST_REDIS_URL');

class RecordingProducer implements PushQueueProducer {
  published: PushMsg[] = [];
  async publish(msg: PushMsg): Promise<void> {
    this.published.push(msg);
  }
  async close(): Promise<void> {}
}

describe('logic on Redis', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function logicOnRedis(comets: string[]): Promise<{ logic: Logic; producer: RecordingProducer; http: string; grpc: string }> {
    const sessions = new RedisSessionStore({ url: REDIS_URL, sessionTtlSec: 60 });
    const producer = new RecordingProducer();
    const config = resolveLogicConfig({ object: { httpServer: { addr: '127.0.0.1:0' }, rpcServer: { addr: '127.0.0.1:0' } }, hostname: 'l' });
    const source = new StaticCometSource(
      comets.map((hostname) => ({ region: '', zone: '', env: '', appid: 'goim.comet', hostname, addrs: [], version: '', latest_timestamp: 0, metadata: {} })),
    );
    const logic = createLogic(config, { sessions, producer, comets: source });
    const addr = await logic.listen();
    cleanup.push(() => sessions.close(), () => logic.close());
    return { logic, producer, http: `http://127.0.0.1:${addr.http.port}`, grpc: `127.0.0.1:${addr.grpc.port}` };
  }

  it('pushes by key and mid to sessions another logic connected, with goim keys in Redis', async () => {
    const p = uniquePrefix('logic');
    const comet = `${p}comet`;
    const a = await logicOnRedis([]);
    const b = await logicOnRedis([]);
    const client = createLogicClient(a.grpc);
    cleanup.push(() => client.close());
    const mid = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    await client.connect({ server: comet, cookie: '', token: Buffer.from(JSON.stringify({ mid, key: `${p}k1` })) });

    const redis = new Redis(REDIS_URL);
    cleanup.push(() => redis.quit());
    expect(await redis.get(`key_${p}k1`)).toBe(comet);
    expect(await redis.hgetall(`mid_${mid}`)).toEqual({ [`${p}k1`]: comet });
    expect(await redis.ttl(`key_${p}k1`)).toBeGreaterThan(50);

    const byKey = await fetch(`${b.http}/goim/push/keys?operation=1000&keys=${p}k1`, { method: 'POST', body: 'x' });
    expect(await byKey.json()).toEqual({ code: 0, message: '' });
    const byMid = await fetch(`${b.http}/goim/push/mids?operation=1000&mids=${mid}`, { method: 'POST', body: 'y' });
    expect(await byMid.json()).toEqual({ code: 0, message: '' });
    expect(b.producer.published.map((m) => [m.server, m.keys])).toEqual([
      [comet, [`${p}k1`]],
      [comet, [`${p}k1`]],
    ]);

    // A stale disconnect from another comet leaves the session alone (compare-and-delete).
    await expect(client.disconnect({ mid, key: `${p}k1`, server: `${p}other` })).resolves.toEqual({ has: false });
    expect(await redis.get(`key_${p}k1`)).toBe(comet);
    await expect(client.disconnect({ mid, key: `${p}k1`, server: comet })).resolves.toEqual({ has: true });
    expect(await redis.exists(`key_${p}k1`, `mid_${mid}`)).toBe(0);
  });

  it('aggregates ol_ counts written through one logic in another', async () => {
    const p = uniquePrefix('logic');
    const comet = `${p}comet`;
    const a = await logicOnRedis([comet]);
    const b = await logicOnRedis([comet]);
    const client = createLogicClient(a.grpc);
    cleanup.push(() => client.close());
    await client.renewOnline({ server: comet, roomCount: { [`${p}live://1`]: 5 } });
    await b.logic.online.refresh();
    const r = await fetch(`${b.http}/goim/online/room?type=${encodeURIComponent(`${p}live`)}&rooms=1`);
    expect(await r.json()).toEqual({ code: 0, message: '', data: { '1': 5 } });
    const redis = new Redis(REDIS_URL);
    cleanup.push(() => redis.quit(), () => redis.del(`ol_${comet}`));
    expect(await redis.exists(`ol_${comet}`)).toBe(1);
  });
});
