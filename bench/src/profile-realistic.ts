// Profiles the realistic handler (reads key, value, every header) alone, for `node --cpu-prof`:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/profile-realistic.ts json 10000 50 [async]
// CORES=/a/dist/index.js,/b/dist/index.js compares builds of core in one process, interleaved round by
// round (on a shared machine, separate processes differ more than the builds do): CPU ms per 10,000.
import type { Deserializer } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
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
  format === 'json' ? undefined : format === 'avro' ? avro(reg.registry) : protobuf(reg.registry)
) as Deserializer<RealTrade> | undefined;
let sink = 0;
const cores = process.env.CORES?.split(',') ?? ['@kafka-lambda/core'];
type Handler = (event: KafkaEvent, context: unknown) => Promise<unknown>;
const handlers: Handler[] = [];
for (const core of cores) {
  const { createKafkaHandler, json, jsonLogger } = (await import(
    core
  )) as typeof import('@kafka-lambda/core');
  const handler = createKafkaHandler({
    value: value ?? json<RealTrade>(),
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
  handlers.push(handler as Handler);
}
const ctx = lambdaContext();
for (const handler of handlers) for (const e of events) await handler(e, ctx);
const cpu: number[][] = handlers.map(() => []);
for (let i = 0; i < rounds; i++) {
  for (const [h, handler] of handlers.entries()) {
    const start = process.cpuUsage();
    for (const e of events) await handler(e, ctx);
    const used = process.cpuUsage(start);
    cpu[h]!.push((used.user + used.system) / 1000);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const [h, core] of cores.entries()) {
  console.log(
    `${format} batch ${batch}${isAsync ? ' async' : ''} ${core}: median ${median(cpu[h]!).toFixed(2)} ms CPU / 10,000 records (${rounds} rounds)`,
  );
}
console.log(sink > 0);
