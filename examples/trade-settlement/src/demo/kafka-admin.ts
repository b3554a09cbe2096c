import { KafkaJS } from '@confluentinc/kafka-javascript';

const kafka = (brokers: string) =>
  new KafkaJS.Kafka({ kafkaJS: { brokers: brokers.split(','), logLevel: KafkaJS.logLevel.NOTHING } });

/** Recreates the demo's topics so that each run starts from empty ones. */
export async function recreateTopics(
  brokers: string,
  topics: Array<{ topic: string; partitions: number }>,
): Promise<void> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const stale = topics.map((t) => t.topic).filter((topic) => existing.has(topic));
    if (stale.length > 0) {
      await admin.deleteTopics({ topics: stale });
      // Deletion is asynchronous in the broker: wait until the names are free again.
      for (let attempt = 0; attempt < 50; attempt++) {
        const left = new Set(await admin.listTopics());
        if (!stale.some((topic) => left.has(topic))) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.createTopics({
          topics: topics.map(({ topic, partitions }) => ({
            topic,
            numPartitions: partitions,
            replicationFactor: 1,
          })),
        });
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250)); // still marked for deletion
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Deletes every topic whose name starts with `prefix` (e.g. a Kafka Streams application's internal topics). */
export async function deleteTopicsWithPrefix(brokers: string, prefix: string): Promise<string[]> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    return topics;
  } finally {
    await admin.disconnect();
  }
}

/** Produces messages at acks=all and waits for every delivery. */
export async function produceAll(
  brokers: string,
  topic: string,
  messages: Array<{ key: string | null; value: string; timestamp?: string }>,
): Promise<void> {
  const producer = kafka(brokers).producer({ kafkaJS: { acks: -1, idempotent: true } });
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Reads a topic from the start until `count` messages arrived or `timeoutMs` passed. */
export async function readAll(
  brokers: string,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, unknown> }>> {
  const consumer = kafka(brokers).consumer({
    kafkaJS: { groupId: `demo-reader-${Date.now()}`, fromBeginning: true },
  });
  const messages: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, unknown> }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic });
    let done: () => void = () => undefined;
    const complete = new Promise<void>((resolve) => {
      done = resolve;
    });
    if (count === 0) done();
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push({ key: message.key, value: message.value, headers: message.headers ?? {} });
        if (messages.length >= count) done();
      },
    });
    await Promise.race([complete, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
