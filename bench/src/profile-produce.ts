// Profiles warm produce invocations of our handler, for `node --cpu-prof`; prints wall and CPU time per
// invocation and the garbage collector's part (v8.GCProfiler: pause time, scavenges):
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/profile-produce.ts 20
import { GCProfiler } from 'node:v8';
import { bytes, createKafkaHandler, jsonLogger } from '@kafka-lambda/core';
import { kafkaProducer, PRODUCER_DEFAULTS } from '@kafka-lambda/core/producer';
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
const gc = new GCProfiler();
gc.start();
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < rounds; i++) await handler(event, ctx);
const wallMs = (performance.now() - started) / rounds;
const { user, system } = process.cpuUsage(cpu);
const { statistics } = gc.stop();
const gcMs = statistics.reduce((sum, s) => sum + s.cost, 0) / 1000 / rounds;
const scavenges = statistics.filter((s) => s.gcType === 'Scavenge').length / rounds;
console.log(
  `${wallMs.toFixed(1)} ms / invocation, CPU ${((user + system) / 1000 / rounds).toFixed(1)} ms, ` +
    `GC ${gcMs.toFixed(1)} ms (${scavenges.toFixed(2)} scavenges)`,
  producer.stats,
);
await producer.close();
await drop();
