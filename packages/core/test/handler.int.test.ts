import { KafkaJS } from '@confluentinc/kafka-javascript';
import { type BatchSummary, createKafkaHandler, DEAD_LETTER_HEADERS, hooks, json } from '@kafka-lambda/core';
import { RecordProcessingError } from '@kafka-lambda/core/errors';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, createTopics, readTopic, uniqueTopic } from '../../../test/support/kafka.js';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';

interface Trade {
  id: number;
  fail?: boolean;
}

const producers: RdKafkaProducer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close()));
});

function producer(): RdKafkaProducer {
  const created = kafkaProducer({ 'bootstrap.servers': brokers(), log_level: 3 });
  producers.push(created);
  return created;
}

function tradeRecords(
  topic: string,
  partition: number,
  count: number,
  failing: Set<number> = new Set(),
): KafkaEventRecord[] {
  return Array.from({ length: count }, (_, offset) =>
    eventRecord(
      topic,
      partition,
      offset,
      JSON.stringify({ id: partition * 1_000 + offset, fail: failing.has(offset) || undefined }),
      {
        headers: [{ 'trace-id': [...Buffer.from(`t-${partition}-${offset}`)] }],
      },
    ),
  );
}

async function highWatermarks(topic: string): Promise<number> {
  const admin = new KafkaJS.Kafka({
    kafkaJS: { brokers: [brokers()], logLevel: KafkaJS.logLevel.ERROR },
  }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('createKafkaHandler against a real broker', () => {
  it('has every produced message on the broker when it returns, after exactly one flush per batch', async () => {
    const out = uniqueTopic('settled');
    await createTopics([{ topic: out, partitions: 3 }]);
    const kafka = producer();
    const handler = createKafkaHandler({
      value: json<Trade>(),
      producer: kafka,
      logger: silentLogger,
      process(record, { produce }) {
        produce({
          topic: out,
          key: record.key,
          value: JSON.stringify({ settled: record.value.id }),
          headers: { 'trace-id': record.headers.get('trace-id')! },
        });
      },
    });
    const event = mskEvent([...tradeRecords('user_trades', 0, 600), ...tradeRecords('user_trades', 1, 400)]);
    await handler(event, context());

    // Read right after return, before anything else could deliver: the acks already happened.
    expect(await highWatermarks(out)).toBe(1_000);
    expect(kafka.stats).toMatchObject({ flushes: 1, sent: 1_000, delivered: 1_000, failed: 0, connects: 1 });

    const messages = await readTopic(out, 1_000, { settleMs: 200 });
    expect(messages).toHaveLength(1_000);
    const byKey = new Map(
      messages.map((m) => [`${m.key}|${m.headers['trace-id']}`, JSON.parse(m.value!.toString())]),
    );
    expect(byKey.get('key-5|t-0-5')).toEqual({ settled: 5 });
    expect(byKey.get('key-399|t-1-399')).toEqual({ settled: 1_399 });

    await handler(mskEvent(tradeRecords('user_trades', 2, 10)), context());
    expect(kafka.stats.flushes).toBe(2);
  });

  it("'dead-letter': failed records are read back from the DLQ topic with their headers", async () => {
    const out = uniqueTopic('settled');
    const dlq = uniqueTopic('user_trades.dlq');
    await createTopics([{ topic: out }, { topic: dlq }]);
    const handler = createKafkaHandler({
      value: json<Trade>(),
      producer: producer(),
      onError: 'dead-letter',
      deadLetterTopic: dlq,
      logger: silentLogger,
      process(record, { produce }) {
        produce({ topic: out, key: record.key, value: String(record.value.id) });
        if (record.value.fail) throw new RangeError(`trade ${record.value.id} is invalid`);
      },
    });
    const records = tradeRecords('user-trades.eu', 2, 20, new Set([3, 17]));
    records.push(eventRecord('user-trades.eu', 2, 20, null, { value: '!!not base64!!' }));
    await handler(mskEvent(records), context());

    const letters = await readTopic(dlq, 3);
    expect(letters).toHaveLength(3);
    const [first, second, third] = letters.sort(
      (a, b) =>
        Number(a.headers[DEAD_LETTER_HEADERS.sourceOffset]) -
        Number(b.headers[DEAD_LETTER_HEADERS.sourceOffset]),
    );
    expect(first!.key).toBe('key-3');
    expect(JSON.parse(first!.value!.toString())).toEqual({ id: 2_003, fail: true });
    expect(first!.headers).toMatchObject({
      'trace-id': 't-2-3',
      [DEAD_LETTER_HEADERS.reason]: 'process',
      [DEAD_LETTER_HEADERS.errorClass]: 'RangeError',
      [DEAD_LETTER_HEADERS.errorMessage]: 'trade 2003 is invalid',
      [DEAD_LETTER_HEADERS.sourceTopic]: 'user-trades.eu',
      [DEAD_LETTER_HEADERS.sourcePartition]: '2',
      [DEAD_LETTER_HEADERS.sourceOffset]: '3',
    });
    expect(second!.headers[DEAD_LETTER_HEADERS.sourceOffset]).toBe('17');
    expect(third!.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.reason]: 'decode',
      [DEAD_LETTER_HEADERS.rawEncoding]: 'base64-text',
    });
    expect(third!.value!.toString()).toBe('!!not base64!!');

    const results = await readTopic(out, 18);
    expect(results.map((m) => Number(m.value!.toString())).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => 2_000 + i).filter((id) => id !== 2_003 && id !== 2_017),
    );
  });

  it.each([
    ['log', undefined],
    ['report', { batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 4 } }] }],
  ] as const)(
    "'%s': a throw in process gives the documented outcome and the rest is on the broker",
    async (policy, expected) => {
      const out = uniqueTopic(`settled-${policy}`);
      await createTopics([{ topic: out }]);
      const summaries: BatchSummary[] = [];
      const handler = createKafkaHandler({
        value: json<Trade>(),
        producer: producer(),
        onError: policy,
        logger: silentLogger,
        use: [hooks({ onBatchEnd: (s) => summaries.push(s) })],
        process(record, { produce }) {
          if (record.value.fail) throw new Error('boom');
          produce({ topic: out, value: String(record.value.id) });
        },
      });
      expect(await handler(mskEvent(tradeRecords('in', 0, 10, new Set([4]))), context())).toEqual(expected);
      const expectedIds = policy === 'log' ? [0, 1, 2, 3, 5, 6, 7, 8, 9] : [0, 1, 2, 3];
      expect(await highWatermarks(out)).toBe(expectedIds.length);
      expect((await readTopic(out, expectedIds.length)).map((m) => Number(m.value!.toString()))).toEqual(
        expectedIds,
      );
    },
  );

  it("'retry-batch': a throw fails the invocation; what was produced before it is confirmed, not lost", async () => {
    const out = uniqueTopic('settled-retry');
    await createTopics([{ topic: out }]);
    const handler = createKafkaHandler({
      value: json<Trade>(),
      producer: producer(),
      onError: 'retry-batch',
      logger: silentLogger,
      process(record, { produce }) {
        if (record.value.fail) throw new Error('boom');
        produce({ topic: out, value: String(record.value.id) });
      },
    });
    await expect(
      handler(mskEvent(tradeRecords('in', 0, 10, new Set([6]))), context()),
    ).rejects.toBeInstanceOf(RecordProcessingError);
    expect(await highWatermarks(out)).toBe(6);
  });

  it('a missing output topic fails the invocation instead of succeeding silently', async () => {
    const handler = createKafkaHandler({
      producer: kafkaProducerWith({ 'message.timeout.ms': 3_000 }),
      logger: silentLogger,
      process(_record, { produce }) {
        produce({ topic: uniqueTopic('does-not-exist'), value: 'x' });
      },
    });
    await expect(handler(mskEvent([eventRecord('in', 0, 1, 'v')]), context())).rejects.toThrow(
      /not delivered|Unknown topic|timed out/i,
    );
  });

  it('50 invocations reuse the module-scope producer, with one connect and one flush each', async () => {
    const out = uniqueTopic('reuse');
    await createTopics([{ topic: out }]);
    const options = {
      producer: kafkaProducer({ 'bootstrap.servers': brokers(), 'client.id': `reuse-${out}` }),
      logger: silentLogger,
      process(
        record: { offset: number },
        { produce }: { produce: (m: { topic: string; value: string }) => void },
      ) {
        produce({ topic: out, value: String(record.offset) });
      },
    };
    const first = createKafkaHandler(options);
    expect(first.producer).toBe(options.producer);
    for (let i = 0; i < 50; i++) await first(mskEvent([eventRecord('in', 0, i, 'v')]), context());
    const stats = (first.producer as RdKafkaProducer).stats;
    expect(stats).toMatchObject({ connects: 1, flushes: 50, delivered: 50 });
    expect(await highWatermarks(out)).toBe(50);
    await first.producer!.close();
  });
});

function kafkaProducerWith(extra: Record<string, number | string>): RdKafkaProducer {
  const created = kafkaProducer({ 'bootstrap.servers': brokers(), log_level: 3, ...extra });
  producers.push(created);
  return created;
}
