// End to end on the local stack: the bundled function in the Lambda runtime emulator, fed by the local
// event source runner, with credentials from Secrets Manager, Protobuf through the Schema Registry,
// idempotent records in DynamoDB (moto) and transactional outputs.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { runEventSource } from '@kafka-lambda/local';
import { schemaRegistry } from '@kafka-lambda/serdes';
import { describe, expect, it } from 'vitest';
import { produceAll, readAll, recreateTopics } from '../src/demo/kafka-admin.js';
import { localDeployment } from '../src/demo/local-deployment.js';
import { generateTrades } from '../src/demo/trade-generator.js';
import { settle } from '../src/settlement-rules.js';
import { settlementSerde } from '../src/settlement-serde.js';
import type { UserTrade } from '../src/user-trade.js';

const env = process.env as Record<string, string>;
const root = fileURLToPath(new URL('..', import.meta.url));

describe('trade-settlement end to end', () => {
  it('settles every trade into trade-settlements or the dead-letter topic, exactly as the rules say', async () => {
    execFileSync('pnpm', ['run', '--silent', 'bundle'], { cwd: root, stdio: 'pipe' }); // kafka-lambda bundle
    const run = randomUUID().slice(0, 8);
    const topics = {
      input: `user_trades.${run}`,
      output: `trade-settlements.${run}`,
      deadLetter: `user_trades.dlq.${run}`,
    };
    await recreateTopics(env.KAFKA_BROKERS!, [
      { topic: topics.input, partitions: 3 },
      { topic: topics.output, partitions: 2 },
      { topic: topics.deadLetter, partitions: 1 },
    ]);
    const secretId = `kafka-lambda/e2e/${run}`;
    const functionEnv = await localDeployment(env, { secretId, topics });
    const trades = generateTrades(300, 7);
    await produceAll(
      env.KAFKA_BROKERS!,
      topics.input,
      trades.map(({ key, value }) => ({ key, value })),
    );

    // Each run is a fresh consumer group reading from the start, and a fresh container.
    const deliverAll = async () => {
      const runner = await runEventSource({
        brokers: env.KAFKA_BROKERS!,
        topics: [topics.input],
        batchSize: 50,
        batchWindowMs: 100,
        rie: {
          handlerFile: `${root}dist/lambda/index.mjs`,
          env: functionEnv,
        },
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      });
      try {
        await runner.waitFor((stats) => stats.recordsCommitted >= trades.length, 90_000);
      } finally {
        await runner.stop();
      }
      expect(runner.stats.errors).toBe(0);
    };
    await deliverAll();

    const corrupt = trades.filter((trade) => trade.corrupt);
    const valid = trades
      .filter((trade) => !trade.corrupt)
      .map((trade) => JSON.parse(trade.value) as UserTrade);
    const letters = await readAll(env.KAFKA_BROKERS!, topics.deadLetter, corrupt.length);
    const written = await readAll(env.KAFKA_BROKERS!, topics.output, valid.length);
    expect(letters).toHaveLength(corrupt.length);
    expect(written).toHaveLength(valid.length);

    const serde = settlementSerde(schemaRegistry(env.SCHEMA_REGISTRY_URL!));
    const settlements = await Promise.all(written.map((m) => serde.deserialize(m.value!)));
    // Keyed by symbol, so that ksqlDB's per-symbol windows see one partition per symbol.
    expect(written.map((m) => m.key?.toString())).toEqual(settlements.map((s) => s.symbol));
    const line = (s: { user: string; symbol: string; amount: number; disposition: string }) =>
      `${s.user}|${s.symbol}|${s.amount}|${s.disposition}`;
    const expected = valid.map((trade) => settle(trade, 0));
    expect(settlements.map(line).sort()).toEqual(expected.map(line).sort());
    expect(new Set(expected.map((s) => s.disposition))).toEqual(
      new Set(['Completed', 'Pending', 'Flagged', 'Rejected']),
    );

    // Every batch delivered again (as after a failed invocation or a rebalance): the function's
    // idempotency table (moto's DynamoDB) knows each trade, so nothing is settled or dead-lettered twice.
    await deliverAll();
    expect(await readAll(env.KAFKA_BROKERS!, topics.output, valid.length + 1, 5_000)).toHaveLength(
      valid.length,
    );
    expect(await readAll(env.KAFKA_BROKERS!, topics.deadLetter, corrupt.length + 1, 5_000)).toHaveLength(
      corrupt.length,
    );
  });
});
