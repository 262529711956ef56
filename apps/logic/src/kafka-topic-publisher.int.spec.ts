import { Kafka, logLevel } from 'kafkajs';
import { ReceiveReq } from '@goim/protocol/rpc';
import { requireService, uniquePrefix, waitFor } from '@goim/testkit';
import { KafkaTopicPublisher } from './kafka-topic-publisher.js';
import { QueueReceiveSink } from './receive.js';

const BROKERS = requireService('GOIM_TEST_KAFKA_BROKERS').split(',');

describe('KafkaTopicPublisher (real Kafka)', () => {
  it('publishes upstream messages keyed by mid, readable by a consumer group', async () => {
    const topic = `${uniquePrefix('receive')}topic`.replace(/[^a-zA-Z0-9._-]/g, '-');
    const kafka = new Kafka({ clientId: 'logic-spec', brokers: BROKERS, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const publisher = new KafkaTopicPublisher({ brokers: BROKERS, topic });
    const sink = new QueueReceiveSink(publisher);
    const req = { mid: 42, proto: { ver: 1, op: 1000, seq: 3, body: Buffer.from('hello') } };
    await sink.receive(req);
    await sink.receive({ ...req, mid: 43 });

    const got: { key: string; req: ReceiveReq }[] = [];
    const consumer = kafka.consumer({ groupId: `${topic}-g` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({ key: message.key!.toString(), req: ReceiveReq.decode(message.value!) });
      },
    });
    try {
      await waitFor(() => got.length === 2, 'two messages', 20_000);
      expect(got.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
        { key: '42', req },
        { key: '43', req: { ...req, mid: 43 } },
      ]);
    } finally {
      await consumer.disconnect();
      await publisher.close();
      await publisher.close();
    }
  }, 60_000);
});
