import { createKafkaHandler, type Deserializer, json, jsonLogger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { ORDERING } from './config.js';
import { encodePayload, lambdaContext, makeEvent, makeTrade, noop } from './fixtures.js';
import { encodeReal, makeRealEvent, makeRealTrade, type RealTrade, readOurs } from './realistic-fixtures.js';
import { fmt, type Report } from './report.js';
import { type Contender, summarize, timeRounds } from './stats.js';

const SECTION = "Ordering: 'key' against 'partition' (issue 26), paired in one run";
const logger = jsonLogger({ write: noop });
const ctx = lambdaContext();

/**
 * Issue 26's four rows: an I/O-bound `process` (a 20 ms await) over one partition of 1,000 records
 * with 100 or 10 distinct keys, where 'key' at concurrency 100 must be ≥ 50× / ≥ 9× faster; and the
 * CPU-bound realistic JSON handler (every key distinct) and 10,000 records of one key, where 'key'
 * must cost ≤ 1.05× 'partition'. Ratios of samples taken in the same round.
 */
export async function benchOrdering(report: Report): Promise<void> {
  await ioBound(report);
  await cpuBound(report);
}

async function ioBound(report: Report): Promise<void> {
  const { ioRecords: records, ioMs } = ORDERING;
  const wait = () => new Promise<void>((resolve) => setTimeout(resolve, ioMs));
  const event = (keys: number) =>
    makeEvent({
      records,
      partitions: 1,
      key: (i) => `account-${i % keys}`,
      value: (i) => encodePayload('json', makeTrade(i, 0)),
    });
  const handler = (ordering: 'partition' | 'key') =>
    createKafkaHandler({ value: json(), logger, ordering, concurrency: 100, process: wait });
  // 'partition' ignores keys: one contender serves both rows (a sample is records × ioMs).
  const byPartition = handler('partition');
  const byKey = handler('key');
  const keys100 = event(100);
  const keys10 = event(10);
  const contenders: Contender[] = [
    { name: 'partition', run: () => byPartition(keys100, ctx) },
    { name: 'key, 100 keys', run: () => byKey(keys100, ctx) },
    { name: 'key, 10 keys', run: () => byKey(keys10, ctx) },
  ];
  const samples = await timeRounds(contenders, ORDERING.ioRounds);
  for (const [name, keys, goal] of [
    ['key, 100 keys', 100, 50],
    ['key, 10 keys', 10, 9],
  ] as const) {
    const speedup = summarize(samples.get('partition')!.map((p, i) => p / samples.get(name)![i]!));
    const scenario = `1 partition × ${fmt(records)} records, ${keys} keys, process awaits ${ioMs} ms`;
    for (const [contender, values] of [
      ["'partition'", samples.get('partition')!],
      ["'key', concurrency 100", samples.get(name)!],
    ] as const)
      report.add({
        section: SECTION,
        scenario,
        contender,
        unit: 'ms / batch',
        value: summarize(values),
        ...(contender.startsWith("'key'")
          ? { ratio: `${fmt(speedup.median)}× faster than 'partition'` }
          : {}),
      });
    report.target(
      `Ordering: ${scenario}: 'key' (concurrency 100) ≥ ${goal}× faster than 'partition'`,
      `${fmt(speedup.median)}× [${fmt(speedup.min)}–${fmt(speedup.max)}]`,
      speedup.median >= goal,
    );
  }
}

async function cpuBound(report: Report): Promise<void> {
  const records = ORDERING.cpuRecords;
  const payloads = Array.from({ length: records }, (_, i) => encodeReal('json', makeRealTrade(i)));
  const realistic = makeRealEvent(records, (i) => payloads[i]!);
  const oneKey = sameKey(realistic);
  const handler = (ordering: 'partition' | 'key') =>
    createKafkaHandler({
      value: json() as Deserializer<RealTrade>,
      logger,
      ordering,
      process: readOurs,
    });
  const byPartition = handler('partition');
  const byKey = handler('key');
  for (const [scenario, event] of [
    [`realistic JSON handler, ${fmt(records)} records (6 partitions, every key distinct), no I/O`, realistic],
    [`${fmt(records)} records of one key (6 partitions), realistic JSON handler`, oneKey],
  ] as const) {
    const contenders: Contender[] = [
      { name: 'partition', run: () => byPartition(event, ctx) },
      { name: 'key', run: () => byKey(event, ctx) },
    ];
    const samples = await timeRounds(contenders, ORDERING.cpuRounds);
    const cost = summarize(samples.get('key')!.map((k, i) => k / samples.get('partition')![i]!));
    for (const name of ['partition', 'key'])
      report.add({
        section: SECTION,
        scenario,
        contender: `'${name}'`,
        unit: 'ms / batch',
        value: summarize(samples.get(name)!),
        ...(name === 'key' ? { ratio: `${fmt(cost.median)}× 'partition'` } : {}),
      });
    report.target(
      `Ordering: ${scenario}: 'key' ≤ 1.05× 'partition'`,
      `${fmt(cost.median)}× [${fmt(cost.min)}–${fmt(cost.max)}]`,
      cost.median <= 1.05,
    );
  }
}

/** The event with every record's key made the same one. */
function sameKey(event: KafkaEvent): KafkaEvent {
  const copy = structuredClone(event);
  const key = Buffer.from('ACC-1').toString('base64');
  for (const records of Object.values(copy.records)) for (const record of records) record.key = key;
  return JSON.parse(JSON.stringify(copy)) as KafkaEvent;
}
