import { DEAD_LETTER_HEADERS } from '@kafka-lambda/core';
import { lambdaContext, memoryProducer, mskEvent } from '@kafka-lambda/testing';
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
  const producer = memoryProducer();
  const registry = memorySchemaRegistry();
  const handler = createSettlementHandler({ producer, registry, topics, logger: silent });
  return { producer, registry, handler, serde: settlementSerde(registry) };
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
});
