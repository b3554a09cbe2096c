// The batch's accounting on the real client and broker (shared broker on 9092; nothing here stops it):
// each invocation is judged by its own messages, every wait ends inside the function's timeout with
// the SDK's own error, and an output the broker refuses for good fails only its record. Each case
// failed on the core before the per-batch delivery ledger (see docs/reliability.md for the numbers).
import {
  type BatchSummary,
  createKafkaHandler,
  DEAD_LETTER_HEADERS,
  type ErrorPolicy,
  hooks,
  json,
  KafkaLambdaError,
} from '@kafka-lambda/core';
import type { LibrdkafkaConfig } from '@kafka-lambda/core/config';
import { FlushTimeoutError } from '@kafka-lambda/core/errors';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, createTopics, readTopic, uniqueTopic } from '../support/kafka.js';
import {
  backlogWatch,
  blackHole,
  captureLogger,
  kafkaEvent,
  lambdaContext,
  range,
  rawRecord,
  tally,
  topicValues,
  tradeRecords,
} from '../support/reliability.js';

const producers: RdKafkaProducer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close(2_000).catch(() => undefined)));
});

function producer(extra: LibrdkafkaConfig = {}, bootstrap = brokers()): RdKafkaProducer {
  const created = kafkaProducer(
    { 'bootstrap.servers': bootstrap, log_level: 0, ...extra },
    { logger: captureLogger() },
  );
  producers.push(created);
  return created;
}

/** One output per record, to the topic the record names (`to`) or `out`. */
function routingHandler(
  kafka: RdKafkaProducer,
  out: string,
  onError: ErrorPolicy = 'retry-batch',
  dlq?: string,
) {
  const summaries: BatchSummary[] = [];
  const handler = createKafkaHandler({
    value: json<{ id: number; to?: string; big?: boolean }>(),
    producer: kafka,
    onError,
    ...(dlq ? { deadLetterTopic: dlq } : {}),
    logger: captureLogger(),
    use: [hooks({ onBatchEnd: (summary) => summaries.push({ ...summary }) })],
    process(record, { produce }) {
      void record.headers.getString('trace-id');
      const value = record.value.big
        ? `out-${record.value.id}-${'x'.repeat(10_000)}`
        : `out-${record.value.id}`;
      produce({ topic: record.value.to ?? out, key: record.key, value });
    },
  } as Parameters<typeof createKafkaHandler<string, { id: number; to?: string; big?: boolean }>>[0]);
  return { handler, summaries };
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result?: T; error?: Error }> {
  const started = Date.now();
  try {
    const result = await run();
    return { ms: Date.now() - started, result };
  } catch (error) {
    return { ms: Date.now() - started, error: error as Error };
  }
}

const routed = (records: KafkaEventRecord[], to: string) =>
  records.map((record) => ({
    ...record,
    value: Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(record.value!, 'base64').toString()), to }),
    ).toString('base64'),
  }));

describe('each invocation is judged by its own messages (real broker)', () => {
  it("an invocation's undeliverable leftovers (missing topic) neither fail nor delay the next healthy one", async () => {
    const out = uniqueTopic('acct.out');
    const missing = uniqueTopic('acct.missing');
    await createTopics([{ topic: out }]);
    // librdkafka holds messages to an unknown topic until it gives up: 20 s here, past the 3 s function.
    const kafka = producer({ 'topic.metadata.propagation.max.ms': 20_000, 'message.timeout.ms': 20_000 });
    const { handler, summaries } = routingHandler(kafka, out);
    expect(
      (await timed(() => handler(kafkaEvent(tradeRecords('trades', 0, 3)), lambdaContext()))).error,
    ).toBeUndefined();

    const stuck = await timed(() =>
      handler(kafkaEvent(routed(tradeRecords('trades', 0, 5, { from: 3 }), missing)), lambdaContext(3_000)),
    );
    expect(stuck.error).toBeInstanceOf(FlushTimeoutError);
    expect((stuck.error as FlushTimeoutError).topics).toEqual([missing]);
    expect(stuck.ms).toBeLessThan(3_000);

    // The five messages to the missing topic are still queued in librdkafka: the next batch must not wait for them.
    const next = await timed(() =>
      handler(kafkaEvent(tradeRecords('trades', 1, 20, { idBase: 100 })), lambdaContext(20_000)),
    );
    expect(next.error).toBeUndefined();
    expect(next.ms).toBeLessThan(5_000);
    expect(summaries.at(-1)).toMatchObject({ records: 20, succeeded: 20, produced: 20 });
    expect(tally(await topicValues(out, 23)).distinct).toHaveLength(23);
  });

  it('two invocations of one handler at once: the healthy one returns while the other still waits', async () => {
    const out = uniqueTopic('acct.conc');
    const missing = uniqueTopic('acct.conc-missing');
    await createTopics([{ topic: out }]);
    const kafka = producer({ 'topic.metadata.propagation.max.ms': 20_000, 'message.timeout.ms': 20_000 });
    const { handler } = routingHandler(kafka, out);
    const slow = timed(() =>
      handler(kafkaEvent(routed(tradeRecords('trades', 2, 2), missing)), lambdaContext(6_000)),
    );
    const fast = await timed(() => handler(kafkaEvent(tradeRecords('trades', 3, 10)), lambdaContext(20_000)));
    expect(fast.error).toBeUndefined();
    expect(fast.ms).toBeLessThan(3_000);
    const slowDone = await slow;
    expect(slowDone.error).toBeInstanceOf(FlushTimeoutError);
    expect(await topicValues(out, 10)).toHaveLength(10);
  });
});

describe('every wait ends inside the function timeout, with our error (real client)', () => {
  for (const timeoutMs of [3_000, 6_000]) {
    it(`a cold producer whose broker never answers: a ${timeoutMs / 1_000} s function fails with the SDK's error before its timeout`, async () => {
      const hole = await blackHole();
      try {
        const kafka = producer({}, hole.address);
        const { handler } = routingHandler(kafka, 'never');
        const attempt = await timed(() =>
          handler(kafkaEvent(tradeRecords('trades', 4, 5)), lambdaContext(timeoutMs)),
        );
        expect(attempt.error).toBeInstanceOf(KafkaLambdaError);
        expect(attempt.ms).toBeLessThan(timeoutMs);
        // Names where it tried to go, never a credential.
        expect(attempt.error!.message).toContain(hole.address);
        console.info(
          `black-holed broker, ${timeoutMs} ms function: failed after ${attempt.ms} ms with ${attempt.error!.name}`,
        );
      } finally {
        await hole.close();
      }
    });
  }
});

describe('an output the broker refuses for good fails only its record (real broker)', () => {
  it("dead-letter: a value over the topic's max.message.bytes dead-letters its record; its batch-mates are delivered; the invocation succeeds", async () => {
    const out = uniqueTopic('acct.small-max');
    const dlq = uniqueTopic('acct.small-max.dlq');
    await createTopics([{ topic: out, config: { 'max.message.bytes': '2048' } }, { topic: dlq }]);
    const { handler, summaries } = routingHandler(producer(), out, 'dead-letter', dlq);
    const records = tradeRecords('trades', 5, 8);
    records[5]!.value = Buffer.from(JSON.stringify({ id: 5, big: true })).toString('base64');

    const attempt = await timed(() => handler(kafkaEvent(records), lambdaContext(20_000)));
    expect(attempt.error).toBeUndefined();
    const letters = await readTopic(dlq, 1, { settleMs: 500 });
    expect(
      letters.map((m) => [
        m.headers[DEAD_LETTER_HEADERS.sourceOffset],
        m.headers[DEAD_LETTER_HEADERS.reason],
      ]),
    ).toEqual([['5', 'deliver']]);
    const delivered = tally(await topicValues(out, 7, { settleMs: 500 })).distinct;
    expect(delivered).toEqual(
      range(0, 8)
        .filter((id) => id !== 5)
        .map((id) => `out-${id}`)
        .sort(),
    );
    expect(summaries[0]).toMatchObject({ succeeded: 7, failed: 1, deadLettered: 1 });
  });

  it('with idempotency: the batch-mates delivered on the re-send alone complete, so the redelivered batch runs none of them again', async () => {
    const out = uniqueTopic('acct.small-max-idem');
    const dlq = uniqueTopic('acct.small-max-idem.dlq');
    await createTopics([{ topic: out, config: { 'max.message.bytes': '2048' } }, { topic: dlq }]);
    const store = memoryIdempotencyStore();
    const runs: number[] = [];
    const handler = createKafkaHandler({
      value: json<{ id: number; big?: boolean }>(),
      producer: producer(),
      onError: 'dead-letter',
      deadLetterTopic: dlq,
      logger: captureLogger(),
      use: [idempotency({ store })],
      process(record, { produce }) {
        runs.push(record.value.id);
        const value = `out-${record.value.id}${record.value.big ? 'x'.repeat(10_000) : ''}`;
        produce({ topic: out, key: record.key, value });
      },
    });
    const records = tradeRecords('trades', 7, 8);
    records[5]!.value = Buffer.from(JSON.stringify({ id: 5, big: true })).toString('base64');
    const event = kafkaEvent(records);
    expect((await timed(() => handler(event, lambdaContext(20_000)))).error).toBeUndefined();
    expect(runs).toEqual(range(0, 8));
    // The ESM delivers the same batch again (at-least-once): every record completed, none runs.
    runs.length = 0;
    expect((await timed(() => handler(event, lambdaContext(20_000)))).error).toBeUndefined();
    expect(runs).toEqual([]);
    expect(tally(await topicValues(out, 7, { settleMs: 1_000 })).maxCopies).toBe(1);
    expect(await readTopic(dlq, 1, { settleMs: 500 })).toHaveLength(1);
  });

  // Issue 23, N3 (found by the model test): two batches of one handler at once (the local runner
  // invokes a handler for several batches at once) share the producer, so an oversized output of one
  // and a healthy output of the other travel in one record batch, which the broker refuses whole.
  // The healthy one, its batch's only refused message, is sent again alone and delivered.
  it("two batches at once: a healthy output refused beside another batch's oversized one is delivered on its own re-send", async () => {
    const out = uniqueTopic('acct.small-max-beside');
    const dlq = uniqueTopic('acct.small-max-beside.dlq');
    await createTopics([{ topic: out, config: { 'max.message.bytes': '2048' } }, { topic: dlq }]);
    // A long linger: both invocations' messages to out's one partition go in one record batch.
    const kafka = producer({ 'linger.ms': 300 });
    const { handler, summaries } = routingHandler(kafka, out, 'dead-letter', dlq);
    const big = tradeRecords('trades', 8, 1);
    big[0]!.value = Buffer.from(JSON.stringify({ id: 100, big: true })).toString('base64');
    const healthy = tradeRecords('trades', 9, 1);
    const [withBig, withHealthy] = await Promise.all([
      timed(() => handler(kafkaEvent(big), lambdaContext(20_000))),
      timed(() => handler(kafkaEvent(healthy), lambdaContext(20_000))),
    ]);
    expect(withBig.error).toBeUndefined();
    expect(withHealthy.error).toBeUndefined();
    expect(await topicValues(out, 1, { settleMs: 1_000 })).toEqual(['out-0']);
    const letters = await readTopic(dlq, 1, { settleMs: 500 });
    expect(letters.map((m) => m.headers[DEAD_LETTER_HEADERS.sourcePartition])).toEqual(['8']);
    expect(summaries.map((s) => s.deadLettered).sort()).toEqual([0, 1]);
  });

  it('report: only the oversized record is reported', async () => {
    const out = uniqueTopic('acct.small-max-report');
    await createTopics([{ topic: out, config: { 'max.message.bytes': '2048' } }]);
    const { handler } = routingHandler(producer(), out, 'report');
    const records = tradeRecords('trades', 6, 8);
    records[5]!.value = Buffer.from(JSON.stringify({ id: 5, big: true })).toString('base64');
    const attempt = await timed(() => handler(kafkaEvent(records), lambdaContext(20_000)));
    expect(attempt.result).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'trades-6', offset: 5 } }],
    });
  });

  it('the dead letter of a record near the size limit fits message.max.bytes (value truncated, header says so) and is delivered', async () => {
    const dlq = uniqueTopic('acct.big-dlq');
    await createTopics([{ topic: dlq }]);
    const handler = createKafkaHandler({
      producer: producer(),
      onError: 'dead-letter',
      deadLetterTopic: dlq,
      logger: captureLogger(),
      process() {
        throw new RangeError(`rejected: ${'because '.repeat(600)}`);
      },
    });
    const value = Buffer.alloc(999_000, 'v');
    const record = rawRecord('trades', 7, 0, value, [{ 'trace-id': [...Buffer.from('t-0')] }]);
    const attempt = await timed(() => handler(kafkaEvent([record]), lambdaContext(20_000)));
    expect(attempt.error).toBeUndefined();
    const [letter] = await readTopic(dlq, 1, { settleMs: 300 });
    expect(letter!.headers[DEAD_LETTER_HEADERS.valueTruncated]).toBe('999000');
    expect(letter!.headers['trace-id']).toBe('t-0');
    expect(letter!.value!.length).toBeGreaterThan(900_000);
    expect(letter!.value!.equals(value.subarray(0, letter!.value!.length))).toBe(true);
  });
});

describe('back-pressure: a batch that produces more than the client queue holds', () => {
  it("waits for room between records: memory held in JavaScript stays at one record's outputs, every output arrives in order", async () => {
    const out = uniqueTopic('acct.backpressure');
    await createTopics([{ topic: out }]);
    const kafka = producer({ 'queue.buffering.max.messages': 50 });
    const backlog = backlogWatch(kafka);
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer: kafka,
      onError: 'retry-batch',
      logger: captureLogger(),
      use: [backlog.instrumentation],
      process(record, { produce }) {
        produce({ topic: out, key: 'one-partition', value: `out-${record.value.id}-${'p'.repeat(1_000)}` });
      },
    });
    const attempt = await timed(() =>
      handler(kafkaEvent(tradeRecords('trades', 8, 5_000)), lambdaContext(60_000)),
    );
    expect(attempt.error).toBeUndefined();
    expect(backlog.max).toBeLessThanOrEqual(1);
    const values = await topicValues(out, 5_000);
    expect(values.map((v) => v.split('-')[1])).toEqual(range(0, 5_000).map(String));
  });
});
