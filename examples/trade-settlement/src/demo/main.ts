// `pnpm demo`: the whole pipeline on the local stack. Trades go into `user_trades` as ksqlDB's join
// writes them; the bundled function runs in the Lambda runtime emulator, fed by the local event source
// runner with ESM-shaped batches; settlements come back from `trade-settlements` as Protobuf.
import { fileURLToPath } from 'node:url';
import { schemaRegistry } from '@kafka-lambda/serdes';
import { runEventSource } from '@kafka-lambda/testing';
// @ts-expect-error plain ESM script without types
import { ensureStack } from '../../../../scripts/stack/env.mjs';
import type { TradeSettlement } from '../settlement-rules.js';
import { settlementSerde } from '../settlement-serde.js';
import { produceAll, readAll, recreateTopics } from './kafka-admin.js';
import { localDeployment } from './local-deployment.js';
import { generateTrades } from './trade-generator.js';

const TRADES = Number(process.env.DEMO_TRADES ?? 2_000);
const topics = { input: 'user_trades', output: 'trade-settlements', deadLetter: 'user_trades.dlq' };
const secretId = 'kafka-lambda/demo/trade-settlement';
const lambdaDir = fileURLToPath(new URL('../../dist/lambda/', import.meta.url));

const step = (text: string) => console.log(`\n▸ ${text}`);

step('local stack: Kafka, Schema Registry, Secrets Manager');
await ensureStack({ quiet: false });
const env = process.env as Record<string, string>;

step(`topics ${topics.input} (3 partitions), ${topics.output} (3), ${topics.deadLetter} (1)`);
await recreateTopics(env.KAFKA_BROKERS!, [
  { topic: topics.input, partitions: 3 },
  { topic: topics.output, partitions: 3 },
  { topic: topics.deadLetter, partitions: 1 },
]);

step(`secret ${secretId}: SASL credentials for the broker and the registry URL`);
const functionEnv = await localDeployment(env, { secretId, topics, taskRoot: lambdaDir, logLevel: 'warn' });

const trades = generateTrades(TRADES);
step(`${TRADES} trades into ${topics.input}, keyed by user id`);
await produceAll(
  env.KAFKA_BROKERS!,
  topics.input,
  trades.map(({ key, value }) => ({ key, value })),
);

step('the function, bundled (dist/lambda), in the Lambda runtime emulator, fed batches of up to 200 records');
const runner = await runEventSource({
  brokers: env.KAFKA_BROKERS!,
  topics: [topics.input],
  batchSize: 200,
  batchWindowMs: 250,
  reportBatchItemFailures: true,
  rie: {
    handlerFile: `${lambdaDir}index.mjs`,
    env: functionEnv,
  },
  logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
});
let shown = '';
const progress = setInterval(() => {
  const { recordsCommitted, invocations } = runner.stats;
  const line = `  ${recordsCommitted}/${TRADES} records settled in ${invocations} invocations`;
  if (line === shown) return;
  shown = line;
  // One line rewritten in place on a terminal; a line per change in a log.
  process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
}, 250);
try {
  await runner.waitFor((stats) => stats.recordsCommitted >= TRADES, 180_000);
} finally {
  clearInterval(progress);
  await runner.stop();
}
const { invocations, errors, recordsCommitted } = runner.stats;
console.log(
  `${process.stdout.isTTY ? '\r' : ''}  ${recordsCommitted}/${TRADES} records settled in ${invocations} invocations (${errors} failed and retried)`,
);

step(`reading back ${topics.output} (Protobuf) and ${topics.deadLetter}`);
const corrupt = trades.filter((trade) => trade.corrupt).length;
const letters = await readAll(env.KAFKA_BROKERS!, topics.deadLetter, corrupt, 10_000);
const settlements = await readAll(env.KAFKA_BROKERS!, topics.output, TRADES - letters.length);
const serde = settlementSerde(schemaRegistry(env.SCHEMA_REGISTRY_URL!));
const byDisposition = new Map<string, { count: number; amount: number; sample: TradeSettlement }>();
for (const message of settlements) {
  const settlement = await serde.deserialize(message.value!);
  const entry = byDisposition.get(settlement.disposition) ?? { count: 0, amount: 0, sample: settlement };
  entry.count++;
  entry.amount += settlement.amount;
  byDisposition.set(settlement.disposition, entry);
}

console.log('\n  disposition   settlements        amount   example');
for (const disposition of ['Completed', 'Pending', 'Flagged', 'Rejected']) {
  const entry = byDisposition.get(disposition);
  const sample = entry
    ? `${entry.sample.user || '(no user)'} ${entry.sample.symbol}: ${entry.sample.reason}`
    : '';
  console.log(
    `  ${disposition.padEnd(12)} ${String(entry?.count ?? 0).padStart(12)} ${(entry?.amount ?? 0).toFixed(2).padStart(13)}   ${sample}`,
  );
}
console.log(`  ${'dead letters'.padEnd(12)} ${String(letters.length).padStart(12)}`);
const total = settlements.length + letters.length;
console.log(
  `\n  ${total} of ${TRADES} trades accounted for: ${settlements.length} settled, ${letters.length} dead-lettered.`,
);
if (total !== TRADES) {
  console.error('  Some trades are missing: see the logs above.');
  process.exitCode = 1;
}
process.exit();
