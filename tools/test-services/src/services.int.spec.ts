// Checks the services `npm test` started (not servers of its own), so a broken engine set-up
// shows up here first, and pins down that kafkajs 2.2.4 works with the broker version used.
import { requireService, uniquePrefix } from '@goim/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { createTopic } from './kafka.js';
import { redisCommand } from './redis.js';

describe('services started by npm test', () => {
  it('redis answers PING', async () => {
    const url = new URL(requireService('GOIM_TEST_REDIS_URL'));
    expect(await redisCommand(Number(url.port), 'PING')).toBe('+PONG');
  });

  it('the redis cluster has 3 masters and cluster_state:ok on each', async () => {
    const nodes = requireService('GOIM_TEST_REDIS_CLUSTER_NODES').split(',');
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      const info = await redisCommand(Number(node.split(':')[1]), 'CLUSTER INFO');
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_size:3');
    }
  });

  it('etcd reports healthy', async () => {
    const res = await fetch(`${requireService('GOIM_TEST_ETCD_URL')}/health`);
    expect(await res.json()).toMatchObject({ health: 'true' });
  });

  it('kafka: createTopic, then kafkajs produces and a consumer group reads every message', async () => {
    const brokers = requireService('GOIM_TEST_KAFKA_BROKERS');
    const topic = `${uniquePrefix('ts')}topic`;
    await createTopic(brokers, topic, 3);
    await createTopic(brokers, topic, 3); // existing topic: no error

    const kafka = new Kafka({ clientId: 'test-services-spec', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(meta.topics[0]!.partitions).toHaveLength(3);

    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    await Promise.all([producer.connect(), consumer.connect()]);
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: string[] = [];
      const all = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push(`${message.key?.toString()}=${message.value?.toString()}`);
            if (got.length === 12) resolve();
          },
        });
      });
      const sent = Array.from({ length: 12 }, (_, i) => ({ key: `k${i % 4}`, value: `v${i}` }));
      await producer.send({ topic, messages: sent });
      await all;
      expect(got.sort()).toEqual(sent.map((m) => `${m.key}=${m.value}`).sort());
    } finally {
      await Promise.all([producer.disconnect(), consumer.disconnect()]);
    }
  }, 60_000);

  it('createTopic rejects a bad partition count', async () => {
    await expect(createTopic(requireService('GOIM_TEST_KAFKA_BROKERS'), 'x', 0)).rejects.toMatchObject({ code: 'GOIM_ERR_TESTSVC_BAD_ARGUMENT' });
  });
});
