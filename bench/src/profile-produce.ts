// Profiles warm produce invocations of our handler, for `node --cpu-prof`:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/profile-produce.ts 20
import { bytes, createKafkaHandler, jsonLogger, kafkaProducer, PRODUCER_DEFAULTS } from '@kafka-lambda/core';
import { createTopics, uniqueName } from './broker.js';
import { BROKERS } from './config.js';
import { encodePayload, lambdaContext, legsFor, makeEvent, makeTrade, noop } from './fixtures.js';

const rounds = Number(process.argv[2] ?? 20);
const topic = uniqueName('bench.profile');
const drop = await createTopics([topic], 3);
const legs = legsFor('json', 200);
const event = makeEvent({
  records: 10_000,
  partitions: 4,
  value: (i) => encodePayload('json', makeTrade(i, legs)),
});
const producer = kafkaProducer({ ...PRODUCER_DEFAULTS, 'bootstrap.servers': BROKERS });
const handler = createKafkaHandler({
  key: bytes(),
  value: bytes(),
  producer,
  logger: jsonLogger({ write: noop }),
  process: (record, { produce }) => produce({ topic, key: record.key, value: record.value }),
});
const ctx = lambdaContext();
await handler(event, ctx);
const started = performance.now();
for (let i = 0; i < rounds; i++) await handler(event, ctx);
console.log(`${((performance.now() - started) / rounds).toFixed(1)} ms / invocation`, producer.stats);
await producer.close();
await drop();
