// Bytes allocated on the JS heap per record by the realistic JSON handler and by the bare loop: the
// heap in use across one 10,000-record call with a young generation too large to be collected during
// it (what a peak-RSS figure mostly follows). Run with:
//   node --expose-gc --max-semi-space-size=128 --min-semi-space-size=128 --import tsx src/profile-alloc.ts [bare] [no-headers]
import v8 from 'node:v8';
import { createKafkaHandler, type Deserializer, json, jsonLogger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { lambdaContext, noop } from './fixtures.js';
import {
  bareRecord,
  encodeReal,
  makeRealEvent,
  makeRealTrade,
  type RealTrade,
  readOurs,
} from './realistic-fixtures.js';

const bareMode = process.argv.includes('bare');
const withHeaders = !process.argv.includes('no-headers');
const RECORDS = 10_000;
const built = makeRealEvent(RECORDS, (i) => encodeReal('json', makeRealTrade(i)));
const event: KafkaEvent = withHeaders
  ? built
  : JSON.parse(JSON.stringify(built, (name, value) => (name === 'headers' ? undefined : value)));
const ours = createKafkaHandler({
  value: json() as Deserializer<RealTrade>,
  logger: jsonLogger({ write: noop }),
  process: readOurs,
});
const ctx = lambdaContext();

const parseTrade = (bytes: Buffer): RealTrade => JSON.parse(bytes.toString('utf8'));
const run = bareMode
  ? async () => {
      for (const group in event.records)
        for (const record of event.records[group]!) bareRecord(record, parseTrade);
    }
  : async () => {
      await ours(event, ctx);
    };

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
for (let i = 0; i < 20; i++) await run();
const perRecord: number[] = [];
for (let i = 0; i < 7; i++) {
  gc();
  const before = v8.getHeapStatistics().used_heap_size;
  await run();
  perRecord.push((v8.getHeapStatistics().used_heap_size - before) / RECORDS);
}
perRecord.sort((a, b) => a - b);
console.log(
  `${bareMode ? 'bare loop' : 'kafka-lambda'}${withHeaders ? '' : ', no headers'}: ` +
    `${perRecord[3]!.toFixed(0)} B per record (median of 7; min ${perRecord[0]!.toFixed(0)}, max ${perRecord[6]!.toFixed(0)})`,
);
