// The same trade-settlement handler, unchanged, under the local runner as the ESM, as Confluent's
// Lambda Sink Connector (sync mode), and replaying an ESM on-failure topic: same settlements, same
// dead letters, against the real broker and registry of the local stack.
import { randomUUID } from 'node:crypto';
import type { Logger } from '@kafka-lambda/core';
import { kafkaProducer } from '@kafka-lambda/core/producer';
import { runEventSource } from '@kafka-lambda/local';
import { schemaRegistry } from '@kafka-lambda/serdes';
import { mskEvent } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';
import { produceAll, readAll, recreateTopics } from '../src/demo/kafka-admin.js';
import { generateTrades } from '../src/demo/trade-generator.js';
import { createSettlementHandler } from '../src/settlement-handler.js';
import { settle } from '../src/settlement-rules.js';
import { settlementSerde } from '../src/settlement-serde.js';
import type { UserTrade } from '../src/user-trade.js';

const env = process.env as Record<string, string>;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const line = (s: { user: string; symbol: string; amount: number; disposition: string }) =>
  `${s.user}|${s.symbol}|${s.amount}|${s.disposition}`;

type Mode = 'esm' | 'sink-connector' | 'from-failures';

async function runOnce(mode: Mode, input: string, run: string, expectedRecords: number) {
  const topics = { output: `trade-settlements.${mode}.${run}`, deadLetter: `user_trades.dlq.${mode}.${run}` };
  await recreateTopics(env.KAFKA_BROKERS!, [
    { topic: topics.output, partitions: 2 },
    { topic: topics.deadLetter, partitions: 1 },
  ]);
  const registry = schemaRegistry(env.SCHEMA_REGISTRY_URL!);
  const handler = createSettlementHandler({
    // A config of its own per mode: each run's producer is closed when its runner stops.
    producer: kafkaProducer(
      { 'bootstrap.servers': env.KAFKA_BROKERS!, 'client.id': `invocation-modes-${mode}` },
      { transactional: true },
    ),
    registry,
    topics,
    logger: silent,
  });
  // What each invocation looked like: the ESM's object, or the connector's array of one partition.
  const shapes: string[] = [];
  const observed = Object.assign(
    (event: unknown, context: Parameters<typeof handler>[1]) => {
      if (Array.isArray(event)) {
        const partitions = new Set(
          event.map(
            (r: { payload: { topic: string; partition: number } }) =>
              `${r.payload.topic}-${r.payload.partition}`,
          ),
        );
        shapes.push(`connector:${partitions.size}:${event.length <= 20}`);
      } else shapes.push('esm');
      return handler(event, context);
    },
    { producer: handler.producer },
  );
  const runner = await runEventSource({
    brokers: env.KAFKA_BROKERS!,
    topics: [input],
    handler: observed,
    batchWindowMs: 100,
    ...(mode === 'sink-connector' ? { mode: 'sink-connector' as const } : { batchSize: 50 }),
    ...(mode === 'from-failures' ? { fromFailures: true } : {}),
    logger: silent,
  });
  try {
    await runner.waitFor((stats) => stats.recordsCommitted >= expectedRecords, 90_000);
  } finally {
    await runner.stop();
  }
  return { runner, topics, registry, shapes };
}

describe('trade-settlement under each invoker', () => {
  it('ESM mode, Sink Connector mode and on-failure replay give the same settlements and dead letters', async () => {
    const run = randomUUID().slice(0, 8);
    const input = `user_trades.modes.${run}`;
    await recreateTopics(env.KAFKA_BROKERS!, [{ topic: input, partitions: 3 }]);
    const trades = generateTrades(120, 11);
    await produceAll(
      env.KAFKA_BROKERS!,
      input,
      trades.map(({ key, value }) => ({ key, value })),
    );
    const valid = trades.filter((t) => !t.corrupt).map((t) => JSON.parse(t.value) as UserTrade);
    const corrupt = trades.filter((t) => t.corrupt);

    // What an ESM would have written to a kafka:// on-failure topic for each of these records: the
    // documented message (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html),
    // the record's key as the message key, payload the ESM event of that one record.
    const failuresTopic = `user_trades.failures.${run}`;
    await recreateTopics(env.KAFKA_BROKERS!, [{ topic: failuresTopic, partitions: 1 }]);
    await produceAll(
      env.KAFKA_BROKERS!,
      failuresTopic,
      trades.map(({ key, value }, i) => ({
        key,
        value: JSON.stringify({
          requestContext: {
            requestId: `req-${i}`,
            functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:trade-settlement',
            condition: 'RetryAttemptsExhausted',
            approximateInvokeCount: 4,
          },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          version: '1.0',
          timestamp: new Date().toISOString(),
          KafkaBatchInfo: {
            batchSize: 1,
            bootstrapServers: env.KAFKA_BROKERS,
            recordInfo: { offset: String(i) },
          },
          payload: mskEvent([{ key, value, offset: i, partition: 0 }], { topic: input }),
        }),
      })),
    );

    const results: Record<Mode, string[]> = { esm: [], 'sink-connector': [], 'from-failures': [] };
    const letters: Record<Mode, number> = { esm: 0, 'sink-connector': 0, 'from-failures': 0 };
    for (const mode of ['esm', 'sink-connector', 'from-failures'] as const) {
      const source = mode === 'from-failures' ? failuresTopic : input;
      const { runner, topics, registry, shapes } = await runOnce(mode, source, run, trades.length);
      expect(runner.stats.errors, mode).toBe(0);
      // Sink mode: one partition per invocation, at most 20 records (aws.lambda.batch.size's default).
      expect(new Set(shapes), mode).toEqual(
        new Set([mode === 'sink-connector' ? 'connector:1:true' : 'esm']),
      );
      const written = await readAll(env.KAFKA_BROKERS!, topics.output, valid.length);
      const serde = settlementSerde(registry);
      const settlements = await Promise.all(written.map((m) => serde.deserialize(m.value!)));
      results[mode] = settlements.map(line).sort();
      letters[mode] = (await readAll(env.KAFKA_BROKERS!, topics.deadLetter, corrupt.length)).length;
    }
    const expected = valid.map((trade) => line(settle(trade, 0))).sort();
    expect(results.esm).toEqual(expected);
    expect(results['sink-connector']).toEqual(results.esm);
    expect(results['from-failures']).toEqual(results.esm);
    expect(letters).toEqual({
      esm: corrupt.length,
      'sink-connector': corrupt.length,
      'from-failures': corrupt.length,
    });
  }, 240_000);
});
