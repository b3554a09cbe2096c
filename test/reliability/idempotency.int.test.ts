// Idempotent records end to end: the handler on the shared broker with each real store of
// @kafka-lambda/idempotency (Redis: the stack's redis-server; DynamoDB: the stack's moto), counting
// side effects and the outputs a consumer reads back. The outage: each store pointed at a port
// where nothing listens.
import { type BatchSummary, createKafkaHandler, hooks, isRetryable, json } from '@kafka-lambda/core';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import {
  type IdempotencyStore,
  IdempotencyStoreError,
  idempotency,
  StoreRequestError,
} from '@kafka-lambda/idempotency';
import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
import { redisStore } from '@kafka-lambda/idempotency/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, deleteTable, dynamoClient } from '../../packages/idempotency/test/dynamodb-table.js';
import { brokers, createTopics, uniqueTopic } from '../support/kafka.js';
import {
  captureLogger,
  kafkaEvent,
  lambdaContext,
  range,
  tally,
  topicValues,
  tradeRecords,
} from '../support/reliability.js';

const PARTITIONS = 3;
const PER_PARTITION = 100;
const INPUTS = PARTITIONS * PER_PARTITION;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let producer: RdKafkaProducer;
const dynamo = dynamoClient();
let tableName: string;

beforeAll(async () => {
  producer = kafkaProducer({ 'bootstrap.servers': brokers(), log_level: 0 }, { logger: captureLogger() });
  tableName = await createTable(dynamo);
}, 60_000);

afterAll(async () => {
  await producer?.close(1_000).catch(() => undefined);
  await deleteTable(dynamo, tableName);
}, 30_000);

/** Each input once, in 3 partitions of the same topic name (the ESM's records need not exist in Kafka). */
const inputs = (topic: string) =>
  kafkaEvent(
    range(0, PARTITIONS).flatMap((p) => tradeRecords(topic, p, PER_PARTITION, { idBase: p * 1_000 })),
  );

/** A copy handler: its side effect counts per id, its output is `out-<id>`. */
function settlement(store: IdempotencyStore, out: string, failOnce = new Set<number>()) {
  const effects = new Map<number, number>();
  const summaries: BatchSummary[] = [];
  const handler = createKafkaHandler({
    value: json<{ id: number }>(),
    producer,
    onError: 'retry-batch',
    logger: captureLogger(),
    use: [
      idempotency({ store, keyPrefix: out }),
      hooks({ onBatchEnd: (summary) => summaries.push({ ...summary }) }),
    ],
    async process(record, { produce }) {
      const { id } = record.value;
      effects.set(id, (effects.get(id) ?? 0) + 1);
      if (failOnce.delete(id)) throw new Error(`trade ${id}: the ledger timed out`);
      produce({ topic: out, key: record.key, value: `out-${id}` });
    },
  });
  return { handler, effects, summaries };
}

const stores: Array<[string, () => IdempotencyStore, () => IdempotencyStore]> = [
  [
    'redis',
    () => redisStore({ url: redisUrl }),
    () => redisStore({ url: 'redis://127.0.0.1:16398', connectTimeoutMs: 500 }),
  ],
  [
    'dynamodb',
    () => dynamoDbStore({ tableName, client: dynamo }),
    () =>
      dynamoDbStore({
        tableName,
        client: dynamoClient({ endpoint: 'http://127.0.0.1:16397', maxAttempts: 1 }),
      }),
  ],
];

describe.each(stores)('idempotent records with the %s store', (_name, healthy, down) => {
  it('a batch redelivered after success runs no side effect twice and produces nothing twice', async () => {
    const out = uniqueTopic('idem-out');
    await createTopics([{ topic: out }]);
    const { handler, effects, summaries } = settlement(healthy(), out);
    const event = inputs(uniqueTopic('idem-in'));

    await handler(event, lambdaContext());
    await handler(event, lambdaContext()); // the ESM delivers the same batch again

    const outputs = tally(await topicValues(out, INPUTS, { settleMs: 1_500 }));
    expect(outputs.distinct).toHaveLength(INPUTS);
    expect(outputs.maxCopies).toBe(1);
    expect(Math.max(...effects.values())).toBe(1);
    expect(effects.size).toBe(INPUTS);
    expect(summaries[1]).toMatchObject({ records: INPUTS, alreadyProcessed: INPUTS, produced: 0 });
  });

  it("a failed attempt and the ESM's retry: each input's side effect and output once, the failed one's twice", async () => {
    const out = uniqueTopic('idem-out');
    await createTopics([{ topic: out }]);
    const poison = 1_000 + 40; // partition 1, offset 40: fails on the first attempt only
    const { handler, effects } = settlement(healthy(), out, new Set([poison]));
    const event = inputs(uniqueTopic('idem-in'));

    await expect(handler(event, lambdaContext())).rejects.toThrow('the ledger timed out');
    await handler(event, lambdaContext());

    const outputs = tally(await topicValues(out, INPUTS, { settleMs: 1_500 }));
    expect(outputs.distinct).toHaveLength(INPUTS);
    expect(outputs.maxCopies).toBe(1); // what the first attempt delivered was completed, not produced again
    expect(effects.get(poison)).toBe(2);
    expect([...effects].filter(([id, n]) => id !== poison && n !== 1)).toEqual([]);
  });

  it('a store outage fails the invocation before any record runs; the retry loses nothing', async () => {
    const out = uniqueTopic('idem-out');
    await createTopics([{ topic: out }]);
    const event = inputs(uniqueTopic('idem-in'));
    const outage = settlement(down(), out);

    const error = await outage.handler(event, lambdaContext()).catch((e) => e);
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect(error).toMatchObject({ operation: 'claim', keys: INPUTS });
    expect(error.cause).toBeInstanceOf(StoreRequestError);
    expect(isRetryable(error)).toBe(true);
    expect(outage.effects.size).toBe(0);

    const retry = settlement(healthy(), out); // the store is back
    await retry.handler(event, lambdaContext());
    const outputs = tally(await topicValues(out, INPUTS, { settleMs: 1_500 }));
    expect(outputs.distinct).toHaveLength(INPUTS);
    expect(outputs.maxCopies).toBe(1);
  });
});
