// Idempotent records with transactional outputs: a key completes only after the transaction that
// carries its record's outputs committed; an aborted (or failed) commit took the outputs with it,
// so its keys are released and the retry runs those records again.
import { createKafkaHandler, type ErrorPolicy, json, RetryableError } from '@kafka-lambda/core';
import { idempotency } from '@kafka-lambda/idempotency';
import { lambdaContext } from '@kafka-lambda/testing';
import { MemoryIdempotencyStore, memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { describe, expect, it } from 'vitest';
import { eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { ScriptedProducer } from './support/scripted-producer.js';

type Trade = { id: number; fail?: boolean };

const trades = (values: Trade[]) =>
  values.map((value, i) => eventRecord('trades', 0, 10 + i, JSON.stringify(value)));

/** The store's calls land on the transaction's timeline, so their order shows. */
class TimelineStore extends MemoryIdempotencyStore {
  constructor(readonly events: string[]) {
    super();
  }
  override async complete(...args: Parameters<MemoryIdempotencyStore['complete']>) {
    this.events.push(`complete ${args[0].length}`);
    return super.complete(...args);
  }
  override async release(...args: Parameters<MemoryIdempotencyStore['release']>) {
    this.events.push(`release ${args[0].length}`);
    return super.release(...args);
  }
}

function setup(onError: ErrorPolicy = 'retry-batch') {
  const producer = new ScriptedProducer().transactional();
  const store = new TimelineStore(producer.transactions.events);
  const effects: number[] = [];
  const handler = createKafkaHandler({
    value: json<Trade>(),
    producer,
    onError,
    logger: silentLogger,
    use: [idempotency({ store })],
    process(record, { produce }) {
      effects.push(record.offset);
      if (record.value.fail) throw new Error(`trade ${record.value.id} is broken`);
      produce({ topic: 'out', key: record.key, value: `out-${record.value.id}` });
    },
  } as Parameters<typeof createKafkaHandler<string, Trade>>[0]);
  return { handler, producer, store, effects };
}

const context = () => lambdaContext({ functionName: 'settle' });

describe('idempotent records in a transaction', () => {
  it('complete their keys after the commit', async () => {
    const { handler, producer, store } = setup();
    await handler(mskEvent(trades([{ id: 1 }, { id: 2 }])), context());
    expect(producer.transactions.events).toEqual([
      'begin',
      'delivered',
      'delivered',
      'commit',
      'committed',
      'complete 2',
    ]);
    expect(store.entry('settle#trades-0@10')?.state).toBe('completed');
  });

  it('release every key when the invocation fails: the aborted outputs are produced again by the retry', async () => {
    const { handler, producer, store, effects } = setup('retry-batch');
    const event = mskEvent(trades([{ id: 1 }, { id: 2, fail: true }]));
    await expect(handler(event, context())).rejects.toThrow();
    expect(producer.transactions.events.slice(-2)).toEqual(['abort', 'release 2']);
    expect(store.entries().size).toBe(0);

    await expect(handler(event, context())).rejects.toThrow();
    expect(effects).toEqual([10, 11, 10, 11]); // record 10 ran again: its first output was aborted
  });

  it('complete, after an abort, the records that sent nothing: their side effects ran, nothing of theirs was lost', async () => {
    const producer = new ScriptedProducer().transactional();
    const store = memoryIdempotencyStore();
    const effects: number[] = [];
    const handler = createKafkaHandler({
      value: json<Trade & { quiet?: boolean }>(),
      producer,
      onError: 'retry-batch',
      logger: silentLogger,
      use: [idempotency({ store })],
      process(record, { produce }) {
        effects.push(record.offset);
        if (record.value.fail) throw new Error('broken');
        if (!record.value.quiet) produce({ topic: 'out', value: `out-${record.value.id}` });
      },
    } as Parameters<typeof createKafkaHandler<string, Trade & { quiet?: boolean }>>[0]);
    const event = mskEvent(
      [{ id: 1, quiet: true }, { id: 2 }, { id: 3, fail: true }].map((value, i) =>
        eventRecord('trades', 0, 10 + i, JSON.stringify(value)),
      ),
    );
    await expect(handler(event, context())).rejects.toThrow('broken');
    expect(producer.transactions.events.at(-1)).toBe('abort');
    expect(store.entry('settle#trades-0@10')?.state).toBe('completed'); // produced nothing
    expect(store.entry('settle#trades-0@11')).toBeUndefined(); // its output was aborted: released

    await expect(handler(event, context())).rejects.toThrow('broken');
    expect(effects).toEqual([10, 11, 12, 11, 12]);
  });

  it('release, after an abort, a dead-lettered record: its dead letter was aborted with the rest', async () => {
    const producer = new ScriptedProducer().transactional();
    const store = memoryIdempotencyStore();
    const handler = createKafkaHandler({
      value: json<Trade & { down?: boolean }>(),
      producer,
      onError: 'dead-letter',
      deadLetterTopic: 'trades.dlq',
      logger: silentLogger,
      use: [idempotency({ store })],
      process(record) {
        if (record.value.fail) throw new Error('broken');
        if (record.value.down) throw new RetryableError('the ledger is down'); // fails the invocation
      },
    } as Parameters<typeof createKafkaHandler<string, Trade & { down?: boolean }>>[0]);
    const event = mskEvent(
      [
        { id: 1, fail: true },
        { id: 2, down: true },
      ].map((value, i) => eventRecord('trades', 0, 10 + i, JSON.stringify(value))),
    );
    await expect(handler(event, context())).rejects.toThrow('the ledger is down');
    // A failing invocation sends no dead letter (the record comes again with the batch)…
    expect(producer.delivered.map((m) => m.topic)).toEqual([]);
    expect(producer.transactions.events.at(-1)).toBe('abort'); // …and its transaction is aborted
    expect(store.entries().size).toBe(0); // so the retry dead-letters it again
  });

  it('release every key when the commit fails', async () => {
    const { handler, producer, store } = setup();
    producer.transactions.failNext.commit = { scenario: 'txn-abortable' };
    await expect(handler(mskEvent(trades([{ id: 1 }])), context())).rejects.toThrow();
    expect(producer.transactions.events.at(-1)).toBe('release 1');
    expect(store.entries().size).toBe(0);
  });
});

it('a memory store without transactions completes the delivered records of a failed invocation', async () => {
  const producer = new ScriptedProducer();
  const store = memoryIdempotencyStore();
  const handler = createKafkaHandler({
    value: json<Trade>(),
    producer,
    onError: 'retry-batch',
    logger: silentLogger,
    use: [idempotency({ store })],
    process(record, { produce }) {
      if (record.value.fail) throw new Error('broken');
      produce({ topic: 'out', value: 'x' });
    },
  } as Parameters<typeof createKafkaHandler<string, Trade>>[0]);
  await expect(handler(mskEvent(trades([{ id: 1 }, { id: 2, fail: true }])), context())).rejects.toThrow();
  expect(store.entry('settle#trades-0@10')?.state).toBe('completed');
});
