// Profiles one decode scenario of our handler alone, for `node --cpu-prof`:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/profile-decode.ts json 200
import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';
import { avro, protobuf, writeConfluentFrame } from '@kafka-lambda/serdes';
import {
  encodePayload,
  type Format,
  lambdaContext,
  legsFor,
  makeEvent,
  makeTrade,
  noop,
} from './fixtures.js';
import { benchRegistry } from './registry.js';

const format = (process.argv[2] ?? 'json') as Format;
const size = Number(process.argv[3] ?? 200);
const rounds = Number(process.argv[4] ?? 100);
const reg = await benchRegistry();
const id = format === 'avro' ? reg.avroId : reg.protobufId;
const legs = legsFor(format, size);
const event = makeEvent({
  records: 10_000,
  partitions: 4,
  value: (i) => {
    const payload = encodePayload(format, makeTrade(i, legs));
    if (format === 'json') return payload;
    return writeConfluentFrame(id, payload, format === 'protobuf' ? Buffer.from([0]) : undefined);
  },
});
const value = format === 'json' ? json() : format === 'avro' ? avro(reg.registry) : protobuf(reg.registry);
const handler = createKafkaHandler({ value, logger: jsonLogger({ write: noop }), process: noop });
const ctx = lambdaContext();
await handler(event, ctx);
const started = performance.now();
for (let i = 0; i < rounds; i++) await handler(event, ctx);
console.log(`${format} ${size}: ${((performance.now() - started) / rounds).toFixed(2)} ms / batch`);
