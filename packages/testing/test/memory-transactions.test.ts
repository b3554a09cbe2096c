// memoryProducer({ transactional: true }): users unit-test a transactional handler with it. Its shapes
// follow the real producer's (core's recordings, txn- scenarios): a message outside a transaction is
// refused with code -172, a failed message makes the commit fail as abortable, a scripted commit
// failure is core's TransactionError of that kind.
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { TransactionError } from '@kafka-lambda/core/producer';
import { idempotency } from '@kafka-lambda/idempotency';
import { describe, expect, it } from 'vitest';
import { memoryIdempotencyStore } from '../src/entry/idempotency.js';
import { lambdaContext, memoryProducer, mskEvent } from '../src/index.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function handlerOn(producer: ReturnType<typeof memoryProducer>) {
  return createKafkaHandler({
    value: json<{ id: number; fail?: boolean }>(),
    producer,
    onError: 'retry-batch',
    logger: silent,
    process(record, { produce }) {
      produce({ topic: 'out', key: record.key, value: `out-${record.value.id}` });
      if (record.value.fail) throw new Error('broken');
    },
  });
}

const event = (...values: object[]) => mskEvent(values.map((value) => ({ value: JSON.stringify(value) })));

describe('memoryProducer({ transactional: true })', () => {
  it('a successful invocation commits: read_committed and read_uncommitted views agree', async () => {
    const producer = memoryProducer({ transactional: true });
    await handlerOn(producer)(event({ id: 1 }, { id: 2 }), lambdaContext());
    expect(producer.committedFor('out').map((m) => m.text())).toEqual(['out-1', 'out-2']);
    expect(producer.messagesFor('out')).toHaveLength(2);
    expect(producer.transactions.counts).toEqual({ begin: 1, commit: 1, abort: 0 });
  });

  it('two invocations at once on one producer (a local runner) take turns: each commits its own outputs', async () => {
    const producer = memoryProducer({ transactional: true });
    const handler = handlerOn(producer);
    await Promise.all([
      handler(event({ id: 1 }, { id: 2 }), lambdaContext()),
      handler(event({ id: 3 }), lambdaContext()),
    ]);
    expect(
      producer
        .committedFor('out')
        .map((m) => m.text())
        .sort(),
    ).toEqual(['out-1', 'out-2', 'out-3']);
    expect(producer.transactions.counts).toEqual({ begin: 2, commit: 2, abort: 0 });
  });

  it('a failed invocation aborts: its delivered outputs are invisible to read_committed', async () => {
    const producer = memoryProducer({ transactional: true });
    const handler = handlerOn(producer);
    await expect(handler(event({ id: 1 }, { id: 2, fail: true }), lambdaContext())).rejects.toThrow();
    // The retry succeeds: one committed output per input, the aborted attempt's beside it uncommitted.
    await handler(event({ id: 1 }, { id: 2 }), lambdaContext());
    expect(producer.committedFor('out').map((m) => m.text())).toEqual(['out-1', 'out-2']);
    expect(producer.messagesFor('out').map((m) => m.transaction)).toEqual([
      'aborted',
      'committed',
      'committed',
    ]);
  });

  it('a message failing inside the transaction fails the commit (abortable) and the invocation', async () => {
    const producer = memoryProducer({ transactional: true });
    producer.failNext();
    const failure = await handlerOn(producer)(event({ id: 1 }), lambdaContext()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(producer.committed).toHaveLength(0);
  });

  it('failNextCommit: the invocation fails with core TransactionError of that kind, nothing committed', async () => {
    const producer = memoryProducer({ transactional: true });
    producer.transactions.failNextCommit('fatal');
    const failure = await handlerOn(producer)(event({ id: 1 }), lambdaContext()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransactionError);
    expect(failure).toMatchObject({ operation: 'commit', kind: 'fatal', fenced: true });
    expect(producer.messagesFor('out')).toHaveLength(1);
    expect(producer.committedFor('out')).toHaveLength(0);
  });

  it('refuses a message sent outside a transaction, as the real client does (code -172)', async () => {
    const producer = memoryProducer({ transactional: true });
    await expect(producer.send({ topic: 'out', key: null, value: Buffer.from('x') })).rejects.toMatchObject({
      name: 'ProducerDeliveryError',
      code: -172,
    });
  });

  it('a non-transactional memory producer has no transactions and every delivered message is committed', async () => {
    const producer = memoryProducer();
    const sent = producer.send({ topic: 'out', key: null, value: Buffer.from('x') });
    await producer.flush(1_000);
    await sent;
    expect(producer.transactions).toBeUndefined();
    expect(producer.committed).toHaveLength(1);
  });

  it('with idempotent records: keys complete only after the commit; a failed commit releases them, a redelivery after success produces nothing', async () => {
    const producer = memoryProducer({ transactional: true });
    const store = memoryIdempotencyStore();
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      use: [idempotency<string, { id: number }>({ store, key: (record) => `trade-${record.value.id}` })],
      logger: silent,
      process(record, { produce }) {
        ran.push(record.value.id);
        produce({ topic: 'out', key: record.key, value: `out-${record.value.id}` });
      },
    });
    const batch = event({ id: 1 }, { id: 2 });
    producer.transactions.failNextCommit('retriable');
    await expect(handler(batch, lambdaContext())).rejects.toBeInstanceOf(TransactionError);
    expect(store.calls.complete).toBe(0); // nothing completes: the outputs were not committed
    await handler(batch, lambdaContext()); // the retry runs both again and commits
    await handler(batch, lambdaContext()); // redelivered after success: nothing runs, nothing produced
    expect(ran).toEqual([1, 2, 1, 2]);
    expect(producer.committedFor('out').map((m) => m.text())).toEqual(['out-1', 'out-2']);
    expect(producer.messagesFor('out')).toHaveLength(4);
  });
});
