import { PushMsg } from '@goim/protocol/rpc';
import { MemoryPushQueue, type PushDelivery, type PushQueueProducer } from '@goim/queue';
import { MemorySessionStore } from '@goim/session-store';
import { toHex, waitFor } from '@goim/testkit';
import { LogicErrorCode } from './errors.js';
import { Pusher } from './push.js';

// Expected values are protobuf wire bytes of goim.logic.PushMsg written out by hand:
// 08=type 10=operation 18=speed 22=server 2a=room 32=keys 3a=msg 42=msgID (goim-ts field 8).
const MSG = Buffer.from('hi');

describe('Pusher', () => {
  let sessions: MemorySessionStore;
  let queue: MemoryPushQueue;
  let deliveries: PushDelivery[];
  let ids: number;
  const newId = () => `m${++ids}`;

  beforeEach(async () => {
    ids = 0;
    sessions = new MemorySessionStore();
    queue = new MemoryPushQueue({ partitions: 4 });
    deliveries = [];
    await queue.consumer('g').start(async (d) => {
      deliveries.push(d);
    });
    await sessions.addMapping(0, 'k1', 's1');
    await sessions.addMapping(0, 'k2', 's2');
    await sessions.addMapping(0, 'k3', 's1');
  });
  afterEach(async () => {
    await queue.close();
    await sessions.close();
  });

  const received = async (n: number) => {
    await waitFor(() => deliveries.length >= n, `${n} deliveries`);
    return deliveries.map((d) => ({ key: d.key, hex: toHex(PushMsg.encode(d.msg).finish()) })).sort((a, b) => (a.key < b.key ? -1 : 1));
  };

  it('push/keys: groups keys by server, one PUSH per server, key = keys[0]', async () => {
    const pusher = new Pusher(sessions, queue.producer(), newId);
    await expect(pusher.pushKeys(1000, ['k1', 'k2', 'k3', 'k4', ''], MSG)).resolves.toEqual({ messages: 2 });
    expect(await received(2)).toEqual([
      { key: 'k1', hex: '10e807' + '22027331' + '32026b31' + '32026b33' + '3a026869' + '42026d31' },
      { key: 'k2', hex: '10e807' + '22027332' + '32026b32' + '3a026869' + '42026d32' },
    ]);
  });

  it('push/mids: unions the keys of every mid, grouped by server', async () => {
    await sessions.addMapping(1, 'k1', 's1');
    await sessions.addMapping(1, 'k5', 's2');
    await sessions.addMapping(2, 'k6', 's1');
    const pusher = new Pusher(sessions, queue.producer(), () => 'm');
    await expect(pusher.pushMids(1000, [1, 2, 3], MSG)).resolves.toEqual({ messages: 2 });
    expect(await received(2)).toEqual([
      { key: 'k1', hex: '10e807' + '22027331' + '32026b31' + '32026b36' + '3a026869' + '42016d' },
      { key: 'k5', hex: '10e807' + '22027332' + '32026b35' + '3a026869' + '42016d' },
    ]);
  });

  it('push/room: one ROOM message keyed by type://room', async () => {
    const pusher = new Pusher(sessions, queue.producer(), newId);
    await pusher.pushRoom(1001, 'live', '1000', MSG);
    expect(await received(1)).toEqual([
      { key: 'live://1000', hex: '0801' + '10e907' + '2a0b' + '6c6976653a2f2f31303030' + '3a026869' + '42026d31' },
    ]);
  });

  it('push/all: one BROADCAST message keyed by the decimal operation', async () => {
    const pusher = new Pusher(sessions, queue.producer(), newId);
    await pusher.pushAll(1002, 3, MSG);
    expect(await received(1)).toEqual([{ key: '1002', hex: '0802' + '10ea07' + '1803' + '3a026869' + '42026d31' }]);
  });

  it('sets a fresh UUID msgID on every message by default', async () => {
    const pusher = new Pusher(sessions, queue.producer());
    await pusher.pushAll(1, 0, MSG);
    await pusher.pushAll(1, 0, MSG);
    await waitFor(() => deliveries.length >= 2, '2 deliveries');
    const [a, b] = deliveries.map((d) => d.msg.msgID);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('rejects empty keys with BAD_REQUEST; empty mids publish nothing', async () => {
    const pusher = new Pusher(sessions, queue.producer());
    await expect(pusher.pushKeys(1, [], MSG)).rejects.toMatchObject({ code: LogicErrorCode.BAD_REQUEST, message: 'keys is empty' });
    await expect(pusher.pushMids(1, [], MSG)).resolves.toEqual({ messages: 0 });
  });

  it('reports store and queue failures as BACKEND with the cause', async () => {
    const failing: PushQueueProducer = { publish: () => Promise.reject(new Error('broker gone')), close: async () => undefined };
    await expect(new Pusher(sessions, failing).pushRoom(1, 'live', '1', MSG)).rejects.toMatchObject({
      code: LogicErrorCode.BACKEND,
      message: 'publish to the push queue failed: broker gone',
    });
    jest.spyOn(sessions, 'serversByKeys').mockRejectedValueOnce(new Error('redis timeout'));
    await expect(new Pusher(sessions, queue.producer()).pushKeys(1, ['k1'], MSG)).rejects.toMatchObject({
      code: LogicErrorCode.BACKEND,
      message: 'look up keys failed: redis timeout',
    });
  });
});
