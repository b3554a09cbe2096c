// The redrive reads dead letters exactly as core writes them: each case has a handler with the
// dead-letter policy fail a record and send its dead letter, then plans its way back.
import { createKafkaHandler, DEAD_LETTER_HEADERS, type Logger } from '@kafka-lambda/core';
import { lambdaContext, MemoryProducer, mskEvent } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';
import { REDRIVE_COUNT_HEADER, redrivePlan } from '../src/index.js';
import type { SourceMessage } from '../src/runner/types.js';

const FAILED_AT = Date.parse('2026-12-07T10:00:00Z');
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A producer whose `message.max.bytes` is known, as a connected client's is: dead letters are fitted to it. */
class SizedProducer extends MemoryProducer {
  constructor(readonly maxMessageBytes: number | undefined) {
    super();
  }
}

/** A dead letter as the broker hands it back: what core's handler sent, read from the dead-letter topic. */
async function consumed(
  value: string,
  error: Error,
  maxBytes?: number,
  headers?: ReadonlyArray<readonly [string, Buffer]>,
): Promise<SourceMessage> {
  const producer = new SizedProducer(maxBytes);
  const handler = createKafkaHandler({
    producer,
    onError: { policy: 'dead-letter', topic: 'orders.dlq' },
    logger: silent,
    process() {
      throw error;
    },
  });
  const event = mskEvent([
    {
      topic: 'orders',
      partition: 3,
      offset: 42,
      timestamp: FAILED_AT - 1_000,
      key: 'order-7',
      value,
      ...(headers ? { headers } : {}),
    },
  ]);
  await handler(event, lambdaContext({ functionName: 'fn' }));
  const [message] = producer.messagesFor('orders.dlq');
  if (!message) throw new Error('the handler sent no dead letter');
  return {
    topic: 'orders.dlq',
    partition: 0,
    offset: 9,
    timestamp: FAILED_AT,
    key: message.key,
    value: message.value,
    headers: message.headers
      .toArray()
      .map(([name, bytes]) =>
        name === DEAD_LETTER_HEADERS.failedAt
          ? [name, Buffer.from(new Date(FAILED_AT).toISOString())]
          : [name, bytes],
      ),
  };
}

const text = (headers: ReadonlyArray<readonly [string, Buffer]> | undefined) =>
  (headers ?? []).map(([name, value]) => [name, value.toString()]);

describe('redrivePlan', () => {
  it('restores the record: its key, value and own headers, to its source topic and partition, counted', async () => {
    const plan = redrivePlan(
      await consumed('{"id":7}', new RangeError('total out of range'), undefined, [
        ['traceparent', Buffer.from('00-abc-01')],
      ]),
      {},
    );
    expect(plan).toMatchObject({
      action: 'redrive',
      source: { topic: 'orders', partition: 3, offset: 42 },
      errorClass: 'RangeError',
    });
    if (plan.action !== 'redrive') return;
    expect(plan.message).toMatchObject({ topic: 'orders', partition: 3 });
    expect(plan.message.key?.toString()).toBe('order-7');
    expect(plan.message.value?.toString()).toBe('{"id":7}');
    expect(text(plan.message.headers)).toEqual([
      ['traceparent', '00-abc-01'],
      [REDRIVE_COUNT_HEADER, '1'],
    ]);
  });

  it('to another topic: partitioned there by key; a record redriven before counts on', async () => {
    const letter = await consumed('v', new Error('x'));
    const again = {
      ...letter,
      headers: [...letter.headers, [REDRIVE_COUNT_HEADER, Buffer.from('2')] as const],
    };
    const plan = redrivePlan(again, { to: 'orders.retry' });
    if (plan.action !== 'redrive') throw new Error('expected a redrive');
    expect(plan.message).toMatchObject({ topic: 'orders.retry', partition: undefined });
    expect(text(plan.message.headers)).toEqual([[REDRIVE_COUNT_HEADER, '3']]);
  });

  it('a dead letter whose value was cut to fit is reported, never sent back as if whole', async () => {
    const plan = redrivePlan(await consumed('x'.repeat(5_000), new Error('too big'), 4_000), {});
    expect(plan).toMatchObject({ action: 'skip', reason: 'truncated' });
    expect(plan.action === 'skip' && plan.detail).toMatch(/kafka-lambda\.dlq\.value\.truncated=5000/);
  });

  it('a message that is no dead letter of ours is reported', () => {
    const plan = redrivePlan(
      {
        topic: 'orders.dlq',
        partition: 0,
        offset: 1,
        timestamp: 0,
        key: null,
        value: Buffer.from('v'),
        headers: [],
      },
      {},
    );
    expect(plan).toMatchObject({ action: 'skip', reason: 'not-a-dead-letter' });
  });

  it('filters by failure time, source partition and error class', async () => {
    const letter = await consumed('v', new RangeError('x'));
    const kept = (filter: Parameters<typeof redrivePlan>[1]['filter']) =>
      redrivePlan(letter, { filter }).action;
    expect(kept({ since: FAILED_AT, until: FAILED_AT + 1 })).toBe('redrive');
    expect(kept({ since: FAILED_AT + 1 })).toBe('skip');
    expect(kept({ until: FAILED_AT })).toBe('skip');
    expect(kept({ sourcePartition: 3 })).toBe('redrive');
    expect(kept({ sourcePartition: 2 })).toBe('skip');
    expect(kept({ errorClass: 'RangeError' })).toBe('redrive');
    expect(kept({ errorClass: 'TypeError' })).toBe('skip');
  });
});
