// Which of core's files one record crosses, from the event to its produced message: bundles a
// handler from core's sources (esbuild, not minified, so each module keeps its `// path` header),
// runs it once to warm up, then runs one invocation of one record under V8's precise coverage and
// names the core files whose functions ran. Issue 25 tracks the count (target ≤ 12):
//   node scripts/release/record-path.mjs            (a JSON handler producing through a producer of its own)
//   KAFKA_BROKERS=127.0.0.1:9092 node scripts/release/record-path.mjs   (through kafkaProducer(), the stack's broker)
// Add `--files` to list them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFromCore, root } from './core-bundle.mjs';

const require = createRequire(import.meta.url);
const brokers = process.env.KAFKA_BROKERS;

const program = `
  import { createKafkaHandler, json } from '@kafka-lambda/core';
  import * as producing from '@kafka-lambda/core/producer';
  // A producer of one's own delivers at once; kafkaProducer() when a broker is given. (A namespace
  // import: a checkout from before producers carried deliveryEngine measures the same way.)
  const own = {
    deliveryEngine: producing.deliveryEngine,
    enqueue(message, onDelivery) { onDelivery(undefined, { topic: message.topic, partition: 0, offset: 0 }, message); },
    send: async (message) => ({ topic: message.topic, partition: 0, offset: 0 }),
    flush: async () => {},
    close: async () => {},
  };
  const producer = ${brokers ? `producing.kafkaProducer({ 'bootstrap.servers': ${JSON.stringify(brokers)} })` : 'own'};
  export const handler = createKafkaHandler({
    value: json(),
    producer,
    logSummary: false,
    async process(record, { produce }) {
      produce({ topic: 'record-path', key: record.key, value: JSON.stringify({ id: record.value.id, trace: record.headers.getString('trace-id') }) });
    },
  });
  export const close = () => producer.close();
`;

// Inside the checkout, so that the bundle finds the native client in its node_modules.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
const dir = mkdtempSync(join(root, 'node_modules/.cache/record-path-'));
const file = join(dir, 'handler.mjs');
const result = await bundleFromCore(program, {
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
const code = result.outputFiles[0].text;
writeFileSync(file, code);

// Offsets where each core module starts in the bundle, from esbuild's `// packages/core/src/…` headers.
const modules = [...code.matchAll(/^\/\/ (packages\/core\/src\/\S+\.ts)$/gm)].map((m) => ({
  offset: m.index,
  file: m[1].slice('packages/core/src/'.length),
}));
const fileAt = (offset) => {
  let found;
  for (const m of modules) if (m.offset <= offset) found = m.file;
  return found;
};

const event = (offset) => ({
  eventSource: 'aws:kafka',
  records: {
    'orders-0': [
      {
        topic: 'orders',
        partition: 0,
        offset,
        timestamp: Date.now(),
        timestampType: 'CREATE_TIME',
        key: Buffer.from('order-1').toString('base64'),
        value: Buffer.from(JSON.stringify({ id: offset })).toString('base64'),
        headers: [{ 'trace-id': [...Buffer.from('t-1')] }],
      },
    ],
  },
});
const context = { functionName: 'record-path', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 };

if (brokers) await createTopic('record-path');
const { handler, close } = await import(pathToFileURL(file).href);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
await handler(event(1), context); // warm-up: connecting, first-use caches
await session.post('Profiler.takePreciseCoverage'); // resets the counters
await handler(event(2), context);
const { result: coverage } = await session.post('Profiler.takePreciseCoverage');
await session.post('Profiler.stopPreciseCoverage');
await close();
rmSync(dir, { recursive: true, force: true });

const crossed = new Set();
for (const script of coverage) {
  if (!script.url.endsWith('handler.mjs')) continue;
  for (const fn of script.functions) {
    const range = fn.ranges[0];
    if (range.count > 0 && range.startOffset > 0) {
      const at = fileAt(range.startOffset);
      if (at) crossed.add(at);
    }
  }
}
console.log(
  `one record, event to produced message (${brokers ? 'kafkaProducer()' : 'a producer of its own'}): ${crossed.size} of core's files`,
);
if (process.argv.includes('--files')) for (const f of [...crossed].sort()) console.log(`  ${f}`);

/** The topic the record produces to, on the given broker (one already there is fine). */
function createTopic(topic) {
  const { AdminClient } = require('@confluentinc/kafka-javascript');
  const admin = AdminClient.create({ 'bootstrap.servers': brokers });
  return new Promise((resolve, reject) =>
    admin.createTopic({ topic, num_partitions: 1, replication_factor: 1 }, 10_000, (error) => {
      admin.disconnect();
      if (error && !/exists/i.test(error.message)) reject(error);
      else resolve();
    }),
  );
}
