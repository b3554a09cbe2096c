import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { kafkaProducer } from '@kafka-lambda/core/producer';

// Integration helpers: each test makes its own topics (auto-creation is off on the local broker).
const require = createRequire(import.meta.url);
const Kafka = require('@confluentinc/kafka-javascript') as typeof import('@confluentinc/kafka-javascript');

export const brokers = (): string => process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

export async function createTopic(partitions: number, prefix = 'local', at = brokers()): Promise<string> {
  const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': at });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 15_000, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  } finally {
    admin.disconnect();
  }
  return topic;
}

export interface TestMessage {
  partition: number;
  key?: string;
  value: string;
  headers?: Array<[string, Buffer]>;
}

/** Produces through core's producer (acks=all), so every message is on the broker when this returns. */
export async function produce(topic: string, messages: TestMessage[]): Promise<void> {
  const producer = kafkaProducer({ 'bootstrap.servers': brokers(), 'linger.ms': 0 });
  try {
    const deliveries = messages.map((message) =>
      producer.send({
        topic,
        partition: message.partition,
        key: message.key === undefined ? null : Buffer.from(message.key),
        value: Buffer.from(message.value),
        headers: message.headers,
      }),
    );
    await producer.flush(15_000);
    await Promise.all(deliveries);
  } finally {
    await producer.close(5_000);
  }
}

/** The group's committed offsets, read from the broker (next offset to read; -1001 when none). */
export async function committedOffsets(
  groupId: string,
  topic: string,
  partitions: number,
  at = brokers(),
): Promise<number[]> {
  const consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': at, 'group.id': groupId }, {});
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 15_000 }, (error) => (error ? reject(error) : resolve())),
  );
  try {
    const toppars = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const committed = await new Promise<Array<{ partition: number; offset?: number }>>((resolve, reject) =>
      consumer.committed(toppars, 10_000, (error, result) => (error ? reject(error) : resolve(result))),
    );
    return toppars.map(({ partition }) => committed.find((c) => c.partition === partition)?.offset ?? -1001);
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

export const groupId = (): string => `local-group-${randomUUID().slice(0, 8)}`;
