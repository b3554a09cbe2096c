// End to end: createKafkaHandler's `idempotency` option with each real store (moto DynamoDB, redis-server)
// and the real broker. A batch redelivered after success runs no side effect twice and produces
// nothing twice (the output topic read back and counted); a store outage fails the invocation before
// any record runs, and the retry then delivers every record once.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import {
  type IdempotencyStore,
  IdempotencyStoreError,
  idempotency,
  RecordInProgressError,
  StoreRequestError,
} from '@kafka-lambda/idempotency';
import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
import { redisStore } from '@kafka-lambda/idempotency/redis';
import { lambdaContext, mskEvent } from '@kafka-lambda/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedRedis, startIsolatedRedis } from '../../../scripts/stack/index.mjs';
import { brokers, createTopics, readTopic, uniqueTopic } from '../../../test/support/kafka.js';
import { createTable, deleteTable, dynamoClient, repairRecording } from './dynamodb-table.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const RECORDS = 200;

const producers: RdKafkaProducer[] = [];
const tables: string[] = [];
const ddb = dynamoClient();
let redis: IsolatedRedis;
beforeAll(async () => {
  // Persistent (AOF): a store that forgets its claims when it restarts would let the retry run them
  // again — what the end-of-batch outage test must not confuse with the store's own behaviour.
  redis = await startIsolatedRedis({ port: 16390, args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
});
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close()));
  await Promise.all(tables.map((t) => deleteTable(ddb, t)));
  await redis.stop();
  await repairRecording();
});

/** A store whose backend can be taken down and brought back, and what to do for each. */
interface Subject {
  store: IdempotencyStore;
  down(): Promise<void>;
  up(): Promise<void>;
}

const subjects: Record<'dynamodb' | 'redis', () => Promise<Subject>> = {
  async dynamodb() {
    const table = await createTable(ddb);
    tables.push(table);
    // The outage: the same store's requests go to a closed port while `broken` is set.
    const unreachable = dynamoClient({ endpoint: 'http://127.0.0.1:16392', maxAttempts: 1 });
    let broken = false;
    const client = {
      send: ((command: never, options: never) =>
        (broken ? unreachable : ddb).send(command, options)) as DynamoDBClient['send'],
    };
    return {
      store: dynamoDbStore({ tableName: table, client }),
      down: async () => {
        broken = true;
      },
      up: async () => {
        broken = false;
      },
    };
  },
  async redis() {
    // Its own server (16390): stopping it never touches the shared one.
    return { store: redisStore({ url: redis.url }), down: () => redis.stop(), up: () => redis.start() };
  },
};

function setup(
  store: IdempotencyStore,
  out: string,
  source: string,
  { beforeLast }: { beforeLast?: () => Promise<void> } = {},
) {
  const sideEffects = new Map<number, number>();
  const errors: string[] = [];
  const producer = kafkaProducer({ 'bootstrap.servers': brokers(), log_level: 3 });
  producers.push(producer);
  const handler = createKafkaHandler({
    value: json<{ id: number }>(),
    producer,
    logger: { ...silent, error: (message: string) => void errors.push(message) },
    // Short keys (`<8 hex>#<id>`): a BatchGetItem of 100 long keys is over 8 KB, which moto's
    // recorder writes in pieces that concurrent requests interleave.
    use: [
      idempotency<string, { id: number }>({
        store,
        keyPrefix: source.slice(-8),
        key: (record) => String(record.value.id),
      }),
    ],
    async process(record, { produce }) {
      if (record.value.id === RECORDS - 1) await beforeLast?.();
      sideEffects.set(record.value.id, (sideEffects.get(record.value.id) ?? 0) + 1);
      produce({
        topic: out,
        key: String(record.value.id),
        value: JSON.stringify({ settled: record.value.id }),
      });
    },
  });
  const event = mskEvent(
    Array.from({ length: RECORDS }, (_, i) => ({
      topic: source,
      partition: i % 2,
      offset: 1000 + i,
      value: JSON.stringify({ id: i }),
    })),
  );
  return { handler, event, sideEffects, errors };
}

/** One count per id, read back from the output topic. */
async function outputsPerId(topic: string, expected: number): Promise<Map<string, number>> {
  const messages = await readTopic(topic, expected, { settleMs: 1000 });
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(String(m.key), (counts.get(String(m.key)) ?? 0) + 1);
  return counts;
}

describe.each(['dynamodb', 'redis'] as const)('createKafkaHandler + the %s store + the broker', (name) => {
  it('a batch redelivered after success runs no side effect twice and produces nothing twice', async () => {
    const { store } = await subjects[name]();
    const out = uniqueTopic(`idem-${name}-out`);
    await createTopics([{ topic: out }]);
    const { handler, event, sideEffects } = setup(store, out, uniqueTopic(`idem-${name}-in`));

    await handler(event, lambdaContext());
    await handler(event, lambdaContext()); // the ESM delivers the same batch again

    expect(sideEffects.size).toBe(RECORDS);
    expect([...sideEffects.values()].every((n) => n === 1)).toBe(true);
    const outputs = await outputsPerId(out, RECORDS);
    expect(outputs.size).toBe(RECORDS);
    expect([...outputs.values()].every((n) => n === 1)).toBe(true);
  });

  it('a store outage fails the invocation before any record runs; the retry delivers every record once', async () => {
    const subject = await subjects[name]();
    const out = uniqueTopic(`idem-${name}-out`);
    await createTopics([{ topic: out }]);
    const { handler, event, sideEffects } = setup(subject.store, out, uniqueTopic(`idem-${name}-in`));

    await subject.down();
    const failure = await handler(event, lambdaContext()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(IdempotencyStoreError);
    expect(failure).toMatchObject({ operation: 'claim', retryable: true });
    expect((failure as Error).cause).toBeInstanceOf(StoreRequestError);
    expect((failure as Error).cause).toMatchObject({ store: name, code: 'ECONNREFUSED' });
    expect(sideEffects.size).toBe(0);

    await subject.up();
    await handler(event, lambdaContext()); // the ESM's retry
    await handler(event, lambdaContext()); // and one more redelivery, for good measure

    expect(sideEffects.size).toBe(RECORDS);
    expect([...sideEffects.values()].every((n) => n === 1)).toBe(true);
    const outputs = await outputsPerId(out, RECORDS);
    expect(outputs.size).toBe(RECORDS);
    expect([...outputs.values()].every((n) => n === 1)).toBe(true);
  });

  it('the store down at the end: the invocation succeeds with its outputs once, the claims hold the retry off', async () => {
    const subject = await subjects[name]();
    const out = uniqueTopic(`idem-${name}-out`);
    await createTopics([{ topic: out }]);
    // The claim succeeds; the store goes down while the batch runs, before complete.
    const { handler, event, sideEffects, errors } = setup(
      subject.store,
      out,
      uniqueTopic(`idem-${name}-in`),
      {
        beforeLast: () => subject.down(),
      },
    );

    await handler(event, lambdaContext());
    expect(errors.some((m) => m.includes('idempotency store failed at the end of the batch'))).toBe(true);
    await subject.up();
    // Redelivered while the first invocation's claims have not expired (its deadline): nothing runs.
    const retry = await handler(event, lambdaContext()).catch((e: unknown) => e);
    expect(retry).toBeInstanceOf(RecordInProgressError);

    expect(sideEffects.size).toBe(RECORDS);
    expect([...sideEffects.values()].every((n) => n === 1)).toBe(true);
    const outputs = await outputsPerId(out, RECORDS);
    expect(outputs.size).toBe(RECORDS);
    expect([...outputs.values()].every((n) => n === 1)).toBe(true);
  });
});
