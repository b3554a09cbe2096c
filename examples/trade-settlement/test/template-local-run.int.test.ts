// The example's own template drives kafka-lambda-local (issue 27): the trade-settlement handler,
// unchanged, consumes with UserTradesMapping's settings (batch size and window, report responses,
// MaximumRetryAttempts, the kafka:// on-failure topic). The trades it reports go to that topic after
// their retries, and replaying it (--from-failures) settles the rest: together, the same settlements
// as every valid trade's, the corrupt trades dead-lettered. On a dedicated broker (19892/19893),
// started and stopped here, never the shared stack's.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@kafka-lambda/core';
import { kafkaProducer } from '@kafka-lambda/core/producer';
import { loadTemplateEsm, runEventSource } from '@kafka-lambda/local';
import { memorySchemaRegistry } from '@kafka-lambda/testing/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedKafka, startIsolatedKafka } from '../../../scripts/stack/index.mjs';
import { produceAll, readAll, recreateTopics } from '../src/demo/kafka-admin.js';
import { generateTrades } from '../src/demo/trade-generator.js';
import { createSettlementHandler } from '../src/settlement-handler.js';
import { settle } from '../src/settlement-rules.js';
import { settlementSerde } from '../src/settlement-serde.js';
import type { UserTrade } from '../src/user-trade.js';

const template = fileURLToPath(new URL('../template.yaml', import.meta.url));
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const line = (s: { user: string; symbol: string; amount: number; disposition: string }) =>
  `${s.user}|${s.symbol}|${s.amount}|${s.disposition}`;
let broker: IsolatedKafka;

beforeAll(async () => {
  broker = await startIsolatedKafka({ name: 'example-template', port: 19892, controllerPort: 19893 });
}, 120_000);

afterAll(async () => {
  await broker?.stop({ graceMs: 5_000 });
}, 60_000);

describe('trade-settlement under kafka-lambda-local --template', () => {
  it('the template’s mapping settles the trades, reported ones go to the on-failure topic, and its replay settles the rest', async () => {
    const run = randomUUID().slice(0, 8);
    const topics = {
      input: `user_trades.${run}`,
      failures: `user_trades.failures.${run}`,
      output: `trade-settlements.${run}`,
      deadLetter: `user_trades.dlq.${run}`,
    };
    await recreateTopics(broker.brokers, [
      { topic: topics.input, partitions: 3 },
      { topic: topics.failures, partitions: 1 },
      { topic: topics.output, partitions: 2 },
      { topic: topics.deadLetter, partitions: 1 },
    ]);
    const trades = generateTrades(120, 11);
    const corrupt = trades.filter((t) => t.corrupt);
    const valid = trades.filter((t) => !t.corrupt).map((t) => JSON.parse(t.value) as UserTrade);
    expect(corrupt.length).toBeGreaterThan(0);
    await produceAll(
      broker.brokers,
      topics.input,
      trades.map(({ key, value }) => ({ key, value })),
    );

    const esm = loadTemplateEsm(template, {
      parameters: { InputTopic: topics.input, OnFailureTopic: topics.failures, MaximumRetryAttempts: '1' },
    });
    expect(esm.options).toMatchObject({
      batchSize: 500,
      batchWindowMs: 1000,
      reportBatchItemFailures: true,
      onFailureDestination: `kafka://${topics.failures}`,
    });
    const registry = memorySchemaRegistry();
    const handlerFor = (onError: 'report' | 'dead-letter', client: string) =>
      createSettlementHandler({
        producer: kafkaProducer({ 'bootstrap.servers': broker.brokers, 'client.id': client }),
        registry,
        topics: { output: topics.output, deadLetter: topics.deadLetter },
        onError,
        logger: silent,
      });

    // As deployed: the ErrorPolicy parameter's default, report.
    const live = await runEventSource({
      ...esm.options,
      brokers: broker.brokers,
      groupId: `template-${run}`,
      handler: handlerFor('report', 'template-esm'),
      retryBackoffMs: 10,
      logger: silent,
    });
    try {
      await live.waitFor((stats) => stats.recordsCommitted === trades.length, 60_000);
    } finally {
      await live.stop();
    }
    const sent = live.stats.sentToDestination;
    // A reported trade and the rest of its batch's partition go to the on-failure topic.
    expect(sent).toBeGreaterThanOrEqual(corrupt.length);
    // Reported, not thrown, and retried before being given up on (MaximumRetryAttempts: 1).
    expect(live.stats.errors).toBe(0);
    expect(live.stats.partialFailures).toBeGreaterThanOrEqual(2);

    // --from-failures: the on-failure topic's records, replayed with the dead-letter policy.
    const replay = await runEventSource({
      brokers: broker.brokers,
      topics: [topics.failures],
      fromFailures: true,
      batchWindowMs: 100,
      handler: handlerFor('dead-letter', 'template-replay'),
      logger: silent,
    });
    try {
      await replay.waitFor((stats) => stats.recordsCommitted === sent, 60_000);
    } finally {
      await replay.stop();
    }

    const serde = settlementSerde(registry);
    const written = await readAll(broker.brokers, topics.output, valid.length);
    const settlements = await Promise.all(written.map((m) => serde.deserialize(m.value!)));
    expect(settlements.map(line).sort()).toEqual(valid.map((trade) => line(settle(trade, 0))).sort());
    expect(await readAll(broker.brokers, topics.deadLetter, corrupt.length)).toHaveLength(corrupt.length);
  }, 180_000);
});
