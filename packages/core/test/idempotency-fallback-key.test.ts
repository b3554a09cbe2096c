// Issue 23, finding 12: with a business `key` function, a record that cannot be decoded (or whose
// key function throws) is keyed by its offset, as without a key function, so its outcome is
// remembered: a redelivered batch does not dead-letter it again.
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { idempotency } from '@kafka-lambda/idempotency';
import { lambdaContext, mskEvent } from '@kafka-lambda/testing';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { describe, expect, it } from 'vitest';
import { ScriptedProducer } from './support/scripted-producer.js';

const context = () => lambdaContext({ functionName: 'settle', timeoutMs: 60_000 });
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function settlement(key: (record: { value: { id: string } }) => string) {
  const store = memoryIdempotencyStore();
  const producer = new ScriptedProducer();
  const runs: number[] = [];
  const handler = createKafkaHandler({
    value: json<{ id: string }>(),
    producer,
    onError: { policy: 'dead-letter', topic: 'trades.dlq' },
    logger: silent,
    use: [idempotency({ store, key })],
    process(record, { produce }) {
      runs.push(record.offset);
      produce({ topic: 'settlements', value: `settled-${record.value.id}` });
    },
  });
  const deadLetters = () => producer.delivered.filter((m) => m.topic === 'trades.dlq');
  return { handler, store, producer, runs, deadLetters };
}

describe('records without a business key are keyed by their offset', () => {
  it('an undecodable record redelivered is dead-lettered once', async () => {
    const { handler, store, deadLetters, runs } = settlement((record) => record.value.id);
    const event = mskEvent(
      [
        { offset: 10, value: '{not json' },
        { offset: 11, value: { id: 'T-1' } },
      ],
      { topic: 'trades' },
    );
    await handler(event, context());
    await handler(event, context());

    expect(deadLetters()).toHaveLength(1);
    expect(runs).toEqual([11]);
    expect(store.entry('settle#trades-0@10')?.state).toBe('completed');
    expect(store.entry('settle#T-1')?.state).toBe('completed');
  });

  it('a record whose key function throws runs once', async () => {
    const { handler, runs, deadLetters } = settlement((record) => {
      if (record.value.id === '') throw new Error('no trade id');
      return record.value.id;
    });
    const event = mskEvent(
      [
        { offset: 10, value: { id: '' } },
        { offset: 11, value: { id: 'T-1' } },
      ],
      { topic: 'trades' },
    );
    await handler(event, context());
    await handler(event, context());

    expect(runs).toEqual([10, 11]);
    expect(deadLetters()).toHaveLength(0);
  });
});
