// The whole reference pipeline on the local stack, for `pnpm demo` and its integration test:
//   datagen → stocktrade, users → [Kafka Streams: USER_TRADES join] → user_trades
//     → the bundled function (Lambda runtime emulator, fed by the local event source runner)
//     → trade-settlements (Protobuf, registry) → [Kafka Streams: per-minute windows] → the tables
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunnerStats, runEventSource } from '@kafka-lambda/local';
import { cellKey, expectedOutcome, generateStockTrades, generateUsers, type WindowCell } from './datagen.js';
import { deleteTopicsWithPrefix, produceAll, readAll, recreateTopics } from './kafka-admin.js';
import { localDeployment } from './local-deployment.js';
import { type StreamStatus, startStreamProcessor } from './stream-processor.js';

export const DISPOSITIONS = ['Completed', 'Pending', 'Flagged', 'Rejected'] as const;
export const tableOf = (disposition: string) => `${disposition.toUpperCase()}_PER_MINUTE`;
export const lambdaDir = fileURLToPath(new URL('../../dist/lambda/', import.meta.url));

export interface PipelineProgress {
  stream: StreamStatus;
  function: RunnerStats | undefined;
  expected: ReturnType<typeof expectedOutcome>;
}

export interface PipelineOptions {
  env: Record<string, string>;
  /** Appended to every topic name (tests); the demo uses the plain names. */
  suffix?: string;
  trades: number;
  seed?: number;
  secretId: string;
  /** Where the stream processor's log goes. */
  logDir: string;
  batchSize?: number;
  onProgress?: (progress: PipelineProgress) => void;
  onStep?: (text: string) => void;
}

export async function runPipeline(options: PipelineOptions) {
  const { env, suffix = '', trades: count, seed = 42, secretId, logDir, batchSize = 200 } = options;
  const step = options.onStep ?? (() => undefined);
  const brokers = env.KAFKA_BROKERS!;
  const t = (name: string) => `${name}${suffix}`;
  const topics = {
    stocktrade: t('stocktrade'),
    users: t('users'),
    input: t('user_trades'),
    output: t('trade-settlements'),
    deadLetter: t('user_trades.dlq'),
  };
  const tables = [...DISPOSITIONS.map(tableOf), 'SETTLEMENTS_PER_DISPOSITION_PER_MINUTE'].map(t);
  step(`topics ${Object.values(topics).join(', ')} and the tables' ${tables.join(', ')}`);
  await recreateTopics(brokers, [
    ...[topics.stocktrade, topics.users, topics.input, topics.output].map((topic) => ({
      topic,
      partitions: 3,
    })),
    { topic: topics.deadLetter, partitions: 1 },
    ...tables.map((topic) => ({ topic, partitions: 1 })),
  ]);

  step(`secret ${secretId}: SASL credentials for the broker and the registry URL`);
  const functionEnv = await localDeployment(env, { secretId, topics, logLevel: 'warn' });
  step(
    `effectively once: idempotent records in DynamoDB table ${functionEnv.IDEMPOTENCY_TABLE} (moto), one Kafka transaction per invocation, read_committed downstream`,
  );

  // Two whole minutes of trades that just ended: two tumbling windows per symbol and disposition.
  const windowsStart = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
  const users = generateUsers(windowsStart, seed);
  const stockTrades = generateStockTrades(count, windowsStart, 120_000, seed);
  const expected = expectedOutcome(users, stockTrades);
  step(
    `datagen: ${users.length} users (User_1..User_8; User_9 never registers) into ${topics.users}, ${count} trades over two minutes into ${topics.stocktrade}`,
  );
  const withTime = (m: { key: string | null; value: string; timestamp: number }) => ({
    key: m.key,
    value: m.value,
    timestamp: String(m.timestamp),
  });
  await produceAll(brokers, topics.users, users.map(withTime));
  await produceAll(brokers, topics.stocktrade, stockTrades.map(withTime));

  const applicationId = `trade-settlement-pipeline${suffix}-${Date.now().toString(36)}`;
  const logFile = join(logDir, `${applicationId}.log`);
  step(`the stream processor: Kafka Streams (${applicationId}), one embedded JVM; its log: ${logFile}`);
  const processor = await startStreamProcessor({
    brokers,
    registryUrl: env.SCHEMA_REGISTRY_URL!,
    applicationId,
    suffix,
    logFile,
  });
  let runner: Awaited<ReturnType<typeof runEventSource>> | undefined;
  const progress = setInterval(
    () => options.onProgress?.({ stream: processor.status, function: runner?.stats, expected }),
    1000,
  );
  try {
    step('the function, bundled (dist/lambda), in the Lambda runtime emulator, fed batches from user_trades');
    runner = await runEventSource({
      brokers,
      topics: [topics.input],
      batchSize,
      batchWindowMs: 250,
      reportBatchItemFailures: true,
      rie: { handlerFile: `${lambdaDir}index.mjs`, env: functionEnv },
      logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
    });
    await Promise.race([
      runner.waitFor((stats) => stats.recordsCommitted >= expected.joined, 300_000),
      processor.failed,
    ]);
    // The status line names the tables by their state stores: without the topics' suffix.
    const counted = (status: StreamStatus, table: string) =>
      (status.tables[table] ?? []).reduce((sum, row) => sum + Number(row.SETTLEMENTS), 0);
    const final = await processor.waitFor(
      (status) =>
        counted(status, 'SETTLEMENTS_PER_DISPOSITION_PER_MINUTE') >= expected.settled &&
        DISPOSITIONS.reduce((sum, d) => sum + counted(status, tableOf(d)), 0) >= expected.settled,
      90_000,
    );
    clearInterval(progress);
    const letters = await readAll(brokers, topics.deadLetter, expected.deadLetters, 10_000);
    const cells = new Map<string, WindowCell>();
    for (const disposition of DISPOSITIONS) {
      for (const row of final.tables[tableOf(disposition)] ?? []) {
        const cell: WindowCell = {
          windowStart: Number(row.WINDOWSTART),
          symbol: String(row.SYMBOL),
          disposition,
          settlements: Number(row.SETTLEMENTS),
          totalAmount: Number(row.TOTAL_AMOUNT),
        };
        cells.set(cellKey(cell), cell);
      }
    }
    const perDisposition = (final.tables.SETTLEMENTS_PER_DISPOSITION_PER_MINUTE ?? []).map((row) => ({
      windowStart: Number(row.WINDOWSTART),
      disposition: String(row.DISPOSITION),
      settlements: Number(row.SETTLEMENTS),
    }));
    return {
      expected,
      cells,
      perDisposition,
      stream: final,
      function: { ...runner.stats },
      deadLetters: letters.length,
    };
  } finally {
    clearInterval(progress);
    await runner?.stop();
    await processor.stop();
    // The application's repartition and changelog topics: a new application id each run.
    await deleteTopicsWithPrefix(brokers, `${applicationId}-`).catch(() => undefined);
  }
}

/** Every (window, symbol, disposition) of `expected` and `actual`, side by side. */
export function compareCells(expected: Map<string, WindowCell>, actual: Map<string, WindowCell>) {
  const keys = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  return keys.map((key) => {
    const e = expected.get(key);
    const a = actual.get(key);
    const base = (e ?? a)!;
    const matches =
      e !== undefined &&
      a !== undefined &&
      e.settlements === a.settlements &&
      Math.abs(e.totalAmount - a.totalAmount) < 0.005;
    return {
      windowStart: base.windowStart,
      symbol: base.symbol,
      disposition: base.disposition,
      expected: e,
      actual: a,
      matches,
    };
  });
}
