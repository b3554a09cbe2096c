// Helpers for integration tests against the local broker: create topics, read them back.
import { randomUUID } from 'node:crypto';
import { KafkaJS } from '@confluentinc/kafka-javascript';

export const brokers = () => process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

const quiet = { log_level: 3 } as const;

/** A topic name no other test run uses: the broker is shared and auto-creation is off. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}.${randomUUID().slice(0, 8)}`;
}

export async function createTopics(
  topics: Array<{ topic: string; partitions?: number; config?: Record<string, string> }>,
  { brokers: servers = brokers() }: { brokers?: string } = {},
): Promise<void> {
  const admin = new KafkaJS.Kafka({
    kafkaJS: { brokers: [servers], logLevel: KafkaJS.logLevel.ERROR },
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map(({ topic, partitions, config }) => ({
        topic,
        numPartitions: partitions ?? 1,
        replicationFactor: 1,
        configEntries: Object.entries(config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string | string[]>;
}

/**
 * Reads a topic from the beginning until `count` messages arrived (or `timeoutMs` passed), then waits
 * `settleMs` more to catch any message beyond the expected count. Reads as librdkafka's default
 * `isolation.level=read_committed` consumer unless `readUncommitted` (then aborted and still open
 * transactions' messages are read too).
 */
export async function readTopic(
  topic: string,
  count: number,
  {
    timeoutMs = 30_000,
    settleMs = 500,
    brokers: servers = brokers(),
    readUncommitted = false,
  }: { timeoutMs?: number; settleMs?: number; brokers?: string; readUncommitted?: boolean } = {},
): Promise<ReadMessage[]> {
  const consumer = new KafkaJS.Kafka({
    kafkaJS: { brokers: [servers], logLevel: KafkaJS.logLevel.ERROR },
  }).consumer({
    kafkaJS: { groupId: `reader-${randomUUID()}`, fromBeginning: true, readUncommitted },
    ...quiet,
  });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic });
    let reachedCount: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      reachedCount = resolve;
    });
    await consumer.run({
      eachMessage: async ({ topic: from, partition, message }) => {
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
          headers[name] = Array.isArray(value) ? value.map(text) : text(value);
        }
        messages.push({
          topic: from,
          partition,
          offset: Number(message.offset),
          key: message.key ? message.key.toString('utf8') : null,
          value: message.value,
          headers,
        });
        if (messages.length >= count) reachedCount();
      },
    });
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    if (count > 0 || settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
