// Profiles the realistic handler (reads key, value, every header) alone, for `node --cpu-prof`:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/profile-realistic.ts json 10000 50 [async]
import { createKafkaHandler, type Deserializer, json, jsonLogger, type KafkaEvent } from '@kafka-lambda/core';
import { avro, protobuf, writeConfluentFrame } from '@kafka-lambda/serdes';
import { lambdaContext, noop } from './fixtures.js';
import {
  encodeReal,
  makeRealEvent,
  makeRealTrade,
  type RealFormat,
  type RealTrade,
} from './realistic-fixtures.js';
import { benchRegistry } from './registry.js';

const format = (process.argv[2] ?? 'json') as RealFormat;
const batch = Number(process.argv[3] ?? 10_000);
const rounds = Number(process.argv[4] ?? 50);
const isAsync = process.argv[5] === 'async';
const reg = await benchRegistry();
const id = format === 'avro' ? reg.realAvroId : reg.realProtobufId;
const framed = (i: number) => {
  const payload = encodeReal(format, makeRealTrade(i));
  if (format === 'json') return payload;
  return writeConfluentFrame(id, payload, format === 'protobuf' ? Buffer.from([0]) : undefined);
};
const events: KafkaEvent[] = [];
for (let first = 0; first < 10_000; first += batch) events.push(makeRealEvent(batch, framed, first));
const value = (
  format === 'json' ? json() : format === 'avro' ? avro(reg.registry) : protobuf(reg.registry)
) as Deserializer<RealTrade>;
let sink = 0;
const handler = createKafkaHandler({
  value,
  logger: jsonLogger({ write: noop }),
  process: isAsync
    ? async (record) => {
        await Promise.resolve();
        sink += (record.key?.length ?? 0) + record.value.tradeId.length;
        for (const [name, v] of record.headers) sink += name.length + v.toString('utf8').length;
      }
    : (record) => {
        sink += (record.key?.length ?? 0) + record.value.tradeId.length;
        for (const [name, v] of record.headers) sink += name.length + v.toString('utf8').length;
      },
});
const ctx = lambdaContext();
for (const e of events) await handler(e, ctx);
const started = performance.now();
for (let i = 0; i < rounds; i++) for (const e of events) await handler(e, ctx);
console.log(
  `${format} batch ${batch}${isAsync ? ' async' : ''}: ${((performance.now() - started) / rounds).toFixed(2)} ms / 10,000 records`,
  sink > 0,
);
