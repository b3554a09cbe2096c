import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { kafkaProducer, PRODUCER_DEFAULTS, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { brokerAnswers, createTopics, uniqueName } from './broker.js';
import { BROKERS, QUICK } from './config.js';
import { lambdaContext, noop } from './fixtures.js';
import {
  encodeReal,
  io,
  makeRealEvent,
  makeRealTrade,
  type RealTrade,
  readOurs,
} from './realistic-fixtures.js';
import { fmt, type Report } from './report.js';
import { summarize, timeRounds } from './stats.js';

const SECTION = 'Transactional outputs: overhead per invocation (local broker, acks=all)';
const PLAIN = 'kafka-lambda, no transaction';
const TXN = 'kafka-lambda, transactional: true';

/** Batch sizes, and how many invocations one timed sample runs (small batches are timed in bulk). */
const SIZES = [
  { records: 1, perSample: QUICK ? 5 : 50 },
  { records: 100, perSample: QUICK ? 2 : 10 },
  { records: 10_000, perSample: 1 },
];
const ROUNDS = { warmup: QUICK ? 1 : 2, iterations: QUICK ? 3 : 9 };

/**
 * The same realistic handler (awaits, reads key, trade fields and every header; one ~70 B settlement
 * per record, 3 partitions out) with and without `transactional`, in the same process, alternating
 * run by run (paired): the overhead is the median over rounds of transactional − plain, per invocation. The transactional one begins before its records, commits
 * after the last delivery report (AddPartitionsToTxn, EndTxn and the markers are the extra round trips).
 */
export async function benchTransactions(report: Report): Promise<void> {
  if (!(await brokerAnswers())) {
    report.notes.push(`Transactions: skipped, no broker at ${BROKERS}.`);
    return;
  }
  const plainTopic = uniqueName('bench.txn.plain');
  const txnTopic = uniqueName('bench.txn.txn');
  const dropTopics = await createTopics([plainTopic, txnTopic], 3);
  const config = { ...PRODUCER_DEFAULTS, 'bootstrap.servers': BROKERS };
  const plain = kafkaProducer(config);
  const txn = kafkaProducer(config, { transactional: { idPrefix: 'bench' } });
  try {
    const handlers = { plain: handlerOn(plain, plainTopic), txn: handlerOn(txn, txnTopic) };
    const chart = {
      title: 'Transaction overhead per invocation',
      unit: 'ms / invocation',
      groups: [] as never[],
    };
    const groups = [];
    for (const { records, perSample } of SIZES) {
      const event = makeRealEvent(records, (i) => encodeReal('json', makeRealTrade(i)));
      const ctx = lambdaContext();
      const many = (handler: (e: KafkaEvent, c: typeof ctx) => Promise<unknown>) => async () => {
        for (let i = 0; i < perSample; i++) await handler(event, ctx);
      };
      const samples = await timeRounds(
        [
          { name: PLAIN, run: many(handlers.plain) },
          { name: TXN, run: many(handlers.txn) },
        ],
        ROUNDS,
      );
      const perInvocation = (name: string) => samples.get(name)!.map((ms) => ms / perSample);
      const plainMs = perInvocation(PLAIN);
      const txnMs = perInvocation(TXN);
      const overhead = summarize(txnMs.map((ms, i) => ms - plainMs[i]!));
      const ratio = summarize(txnMs.map((ms, i) => ms / plainMs[i]!));
      const scenario = `${fmt(records)} record(s) → ${fmt(records)} result(s)`;
      report.add({
        section: SECTION,
        scenario,
        contender: PLAIN,
        unit: 'ms / invocation',
        value: summarize(plainMs),
      });
      report.add({
        section: SECTION,
        scenario,
        contender: TXN,
        unit: 'ms / invocation',
        value: summarize(txnMs),
        ratio: `+${fmt(overhead.median)} ms (${fmt(ratio.median)}×) per invocation (paired median; min ${fmt(overhead.min)}, max ${fmt(overhead.max)})`,
      });
      console.error(
        `[bench] transactions ${records}: plain ${fmt(summarize(plainMs).median)} ms, transactional ${fmt(summarize(txnMs).median)} ms, overhead +${fmt(overhead.median)} ms (${fmt(ratio.median)}×; paired min ${fmt(overhead.min)}, max ${fmt(overhead.max)}; ${ROUNDS.iterations} rounds × ${perSample} invocation(s))`,
      );
      groups.push({
        label: `${fmt(records)} record(s)`,
        bars: [
          { series: PLAIN, ...summarize(plainMs) },
          { series: TXN, ...summarize(txnMs) },
        ],
      });
    }
    report.charts.push({ ...chart, groups });
    report.notes.push(
      `Transactions: producer.stats (transactional) ${txn.stats.connects} connect, ${txn.stats.failed} failed; plain ${plain.stats.failed} failed.`,
    );
  } finally {
    await Promise.all([plain.close(), txn.close()]);
    await dropTopics();
  }
}

/** Issue 14's realistic handler (awaits, reads key, fields, every header), producing one settlement per trade. */
function handlerOn(producer: RdKafkaProducer, topic: string) {
  return createKafkaHandler({
    value: json<RealTrade>(),
    producer,
    logger: jsonLogger({ write: noop }),
    logSummary: false,
    async process(record, { produce }) {
      await io();
      readOurs(record);
      const { tradeId, symbol, quantity, price } = record.value;
      produce({
        topic,
        key: record.key,
        value: JSON.stringify({ tradeId, symbol, amount: quantity * price }),
      });
    },
  });
}
