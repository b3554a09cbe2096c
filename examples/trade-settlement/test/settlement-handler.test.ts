import { DEAD_LETTER_HEADERS } from '@kafka-lambda/core';
import { lambdaContext, memoryProducer, mskEvent } from '@kafka-lambda/testing';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { memorySchemaRegistry } from '@kafka-lambda/testing/registry';
import { describe, expect, it } from 'vitest';
import { createSettlementHandler } from '../src/settlement-handler.js';
import { settlementSerde } from '../src/settlement-serde.js';

const topics = { output: 'trade-settlements', deadLetter: 'user_trades.dlq' };
const trade = (overrides: object = {}) => ({
  USERID: 'User_1',
  REGIONID: 'Region_1',
  QUANTITY: 10,
  SYMBOL: 'ZVZZT',
  PRICE: 50,
  ACCOUNT: 'ABC123',
  SIDE: 'BUY',
  ...overrides,
});
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function setup() {
  // The handler's outputs are transactional by default: so is the producer it is given.
  const producer = memoryProducer({ transactional: true });
  const registry = memorySchemaRegistry();
  const idempotency = memoryIdempotencyStore();
  const handler = createSettlementHandler({
    producer,
    registry,
    topics,
    logger: silent,
    idempotencyStore: idempotency,
  });
  return { producer, registry, handler, idempotency, serde: settlementSerde(registry) };
}

describe('trade-settlement handler', () => {
  it('writes one Protobuf settlement per trade, keyed by symbol, through the registry', async () => {
    const { producer, handler, serde } = setup();
    const event = mskEvent([
      { topic: 'user_trades', key: 'User_1', value: trade(), timestamp: 1_700_000_000_000 },
      {
        topic: 'user_trades',
        key: 'User_2',
        value: trade({ USERID: 'User_2', QUANTITY: 5_000, SYMBOL: 'ZBZX' }),
      },
      { topic: 'user_trades', key: null, value: trade({ USERID: null }) },
    ]);
    await handler(event, lambdaContext());

    const written = producer.messagesFor(topics.output);
    expect(written.map((m) => m.key?.toString())).toEqual(['ZVZZT', 'ZBZX', 'ZVZZT']);
    const settlements = await Promise.all(written.map((m) => serde.deserialize(m.value!)));
    expect(settlements.map((s) => s.disposition)).toEqual(['Completed', 'Pending', 'Rejected']);
    expect(settlements[0]).toMatchObject({
      user: 'User_1',
      amount: 500,
      reason: 'Settled',
      timestamp: 1_700_000_000_000,
    });
    expect(producer.flushCount).toBe(1);
  });

  it('dead-letters unparseable trades and JSON that is not a trade, with the reason', async () => {
    const { producer, handler } = setup();
    await handler(
      mskEvent([
        { topic: 'user_trades', value: 'not json' },
        { topic: 'user_trades', value: { SYMBOL: 'ZVV' } },
        { topic: 'user_trades', value: trade() },
      ]),
      lambdaContext(),
    );
    const letters = producer.messagesFor(topics.deadLetter);
    expect(letters.map((m) => m.headers.getString(DEAD_LETTER_HEADERS.reason))).toEqual([
      'decode',
      'process',
    ]);
    expect(letters[1]!.headers.getString(DEAD_LETTER_HEADERS.errorMessage)).toBe(
      'trade field QUANTITY must be a non-negative number',
    );
    expect(producer.messagesFor(topics.output)).toHaveLength(1);
  });

  it('settles a batch the ESM delivers again only once: nothing settled or dead-lettered twice', async () => {
    const { producer, handler, idempotency } = setup();
    const event = mskEvent([
      { topic: 'user_trades', key: 'User_1', value: trade() },
      { topic: 'user_trades', value: 'not json' },
      { topic: 'user_trades', key: 'User_2', value: trade({ USERID: 'User_2', SYMBOL: 'ZBZX' }) },
    ]);
    await handler(event, lambdaContext());
    await handler(event, lambdaContext()); // the redelivery, e.g. after a rebalance
    expect(producer.committedFor(topics.output).map((m) => m.key?.toString())).toEqual(['ZVZZT', 'ZBZX']);
    expect(producer.committedFor(topics.deadLetter)).toHaveLength(1);
    // Nothing of the redelivery reached the broker, committed or not.
    expect(producer.messagesFor(topics.output)).toHaveLength(2);
    expect(idempotency.calls.claim).toBe(2);
  });

  it("keeps a failed attempt's settlements out of what read_committed consumers see", async () => {
    const { producer, handler } = setup();
    producer.failTopic(topics.deadLetter, { times: 1 }); // the dead letter is refused: the invocation fails
    const event = mskEvent([
      { topic: 'user_trades', key: 'User_1', value: trade() },
      { topic: 'user_trades', value: 'not json' },
    ]);
    await expect(handler(event, lambdaContext())).rejects.toThrow();
    expect(producer.committedFor(topics.output)).toHaveLength(0);
    await handler(event, lambdaContext()); // the ESM's retry
    expect(producer.committedFor(topics.output)).toHaveLength(1);
    expect(producer.committedFor(topics.deadLetter)).toHaveLength(1);
    expect(producer.messagesFor(topics.output)).toHaveLength(2); // the aborted one, read_uncommitted
  });
});
