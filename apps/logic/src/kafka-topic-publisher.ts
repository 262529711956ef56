/**
 * A {@link RawTopicPublisher} on Kafka (kafkajs): one topic, keyed messages, acks=all, so the
 * `queue` receive sink hands upstream messages to the same engine as the push queue.
 * Order per key (the mid) holds because the producer is idempotent with one request in flight.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { RawTopicPublisher } from './receive.js';

export interface KafkaTopicPublisherOptions {
  brokers: string[];
  topic: string;
  /** kafkajs clientId; default `goim-logic-receive`. */
  clientId?: string;
}

export class KafkaTopicPublisher implements RawTopicPublisher {
  private readonly producer: Producer;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: KafkaTopicPublisherOptions) {
    if (options.brokers.length === 0) throw new TypeError('KafkaTopicPublisher needs at least one of `brokers`');
    if (!options.topic) throw new TypeError('KafkaTopicPublisher needs a `topic`');
    const kafka = new Kafka({ clientId: options.clientId ?? 'goim-logic-receive', brokers: options.brokers, logLevel: logLevel.NOTHING });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  }

  async publish(key: string, value: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('KafkaTopicPublisher is closed');
    // Connect lazily; a failed connect is retried by the next publish.
    this.connecting ??= this.producer.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    await this.connecting;
    await this.producer.send({
      topic: this.options.topic,
      acks: -1,
      messages: [{ key, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) }],
    });
  }

  /** Disconnects the producer; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.connecting) await this.connecting.then(() => this.producer.disconnect(), () => undefined);
  }
}
