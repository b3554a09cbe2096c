// The realistic handler (JSON, Avro or Protobuf) right after a major GC: `gc()` before each invocation, ours and the bare loop
// interleaved, CPU ms per 10,000 records. For --trace-deopt / --cpu-prof:
//   node --expose-gc --import tsx src/profile-gc.ts json|avro|protobuf 30 [ours|bare|both]
// NO_GC=1 leaves the GC out (the natural figure); BIG_OFFSETS=1 gives the records offsets past 2^31.
import type { Deserializer } from '@kafka-lambda/core';
import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { avro, protobuf, writeConfluentFrame } from '@kafka-lambda/serdes';
import { lambdaContext, noop } from './fixtures.js';
import {
  bareRecord,
  encodeReal,
  makeRealEvent,
  makeRealTrade,
  type RealFormat,
  type RealTrade,
  readOurs,
  realAvroType,
  realProtoType,
  sinkValue,
} from './realistic-fixtures.js';
import { benchRegistry } from './registry.js';

const format = (process.argv[2] ?? 'json') as RealFormat;
const rounds = Number(process.argv[3] ?? 30);
const which = process.argv[4] ?? 'both';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const reg = await benchRegistry();
const framed = (i: number) => {
  const payload = encodeReal(format, makeRealTrade(i));
  if (format === 'json') return payload;
  return format === 'avro'
    ? writeConfluentFrame(reg.realAvroId, payload)
    : writeConfluentFrame(reg.realProtobufId, payload, Buffer.from([0]));
};
const event: KafkaEvent = makeRealEvent(10_000, framed);
// BIG_OFFSETS=1: offsets past 2^31, as a topic that has lived long has (not a small integer for V8).
if (process.env.BIG_OFFSETS === '1')
  for (const group in event.records)
    for (const record of event.records[group]!) record.offset += 3_000_000_000;
const ours = createKafkaHandler({
  value: (format === 'json'
    ? json()
    : format === 'avro'
      ? avro(reg.registry)
      : protobuf(reg.registry)) as Deserializer<RealTrade>,
  logger: jsonLogger({ write: noop }),
  process: readOurs,
});
const toObject = { longs: String, enums: String, defaults: true };
const decode =
  format === 'json'
    ? (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as RealTrade
    : format === 'avro'
      ? (bytes: Buffer) => realAvroType.fromBuffer(bytes.subarray(5)) as RealTrade
      : (bytes: Buffer) =>
          realProtoType.toObject(realProtoType.decode(bytes.subarray(6)), toObject) as RealTrade;
const bare = (e: KafkaEvent) => {
  for (const group in e.records) for (const record of e.records[group]!) bareRecord(record, decode);
};
const ctx = lambdaContext();
const noGc = process.env.NO_GC === '1';
const times: Record<string, number[]> = { ours: [], bare: [] };
for (let i = 0; i < rounds + 3; i++) {
  for (const name of which === 'both' ? ['ours', 'bare'] : [which]) {
    if (!noGc) gc();
    const start = process.cpuUsage();
    if (name === 'ours') await ours(event, ctx as never);
    else bare(event);
    const used = process.cpuUsage(start);
    if (i >= 3) times[name]!.push((used.user + used.system) / 1000);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const name of Object.keys(times))
  if (times[name]!.length) console.log(`${format} ${name}: median ${median(times[name]!).toFixed(2)} ms CPU`);
if (sinkValue() < 0) console.log(sinkValue());
