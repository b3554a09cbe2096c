// Runs in a fresh process (bundled to plain JS first): one invocation whose records produce far more
// than librdkafka's queue and the producer's backlog hold together, at acks=all on the local broker.
// Prints peak RSS figures (bytes) and the outcome as JSON. argv: <topic> <brokers> <mb per record ×10,000>.
import { readFileSync, writeFileSync } from 'node:fs';
import { bytes, createKafkaHandler, jsonLogger } from '@kafka-lambda/core';
import { kafkaProducer, PRODUCER_DEFAULTS } from '@kafka-lambda/core/producer';

const [topic, brokers, kbArg] = process.argv.slice(2) as [string, string, string];
const valueBytes = Number(kbArg) * 1024;
const RECORDS = 10_000;
export const QUEUE_KBYTES = 8 * 1024;
export const BACKLOG_BYTES = 16 * 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc!;

const producer = kafkaProducer(
  {
    ...PRODUCER_DEFAULTS,
    'bootstrap.servers': brokers,
    'queue.buffering.max.kbytes': QUEUE_KBYTES,
  },
  { maxBacklogBytes: BACKLOG_BYTES },
);
const handler = createKafkaHandler({
  value: bytes(),
  producer,
  logger: jsonLogger({ write() {} }),
  process(record, { produce }) {
    // A fresh buffer per result, as a serializer makes: the JS backlog holds real bytes.
    produce({ topic, key: record.key, value: Buffer.alloc(valueBytes, record.offset & 0xff) });
  },
});
const event = {
  eventSource: 'aws:kafka',
  records: {
    'in-0': Array.from({ length: RECORDS }, (_, i) => ({
      topic: 'in',
      partition: 0,
      offset: i,
      timestamp: 0,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(`k${i % 16}`).toString('base64'),
      value: Buffer.from(`{"i":${i}}`).toString('base64'),
      headers: [],
    })),
  },
};
const end = Date.now() + 600_000;
const ctx = { awsRequestId: 'bp', getRemainingTimeInMillis: () => end - Date.now() };
// Connected and warm before the measurement: the client's own buffers are part of the baseline.
await createKafkaHandler({
  value: bytes(),
  producer,
  logger: jsonLogger({ write() {} }),
  process: (record, { produce }) => produce({ topic, key: record.key, value: Buffer.alloc(16) }),
})({ ...event, records: { 'in-0': event.records['in-0'].slice(0, 10) } }, ctx);
gc();
gc();
const peak = (): number =>
  Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/)![1]) * 1024;
const before = process.memoryUsage.rss();
let reset = true;
try {
  writeFileSync('/proc/self/clear_refs', '5');
} catch {
  reset = false;
}
const started = performance.now();
let error: string | undefined;
try {
  await handler(event, ctx);
} catch (e) {
  error = (e as Error).message;
}
const ms = performance.now() - started;
const handlerPeak = peak();
const { delivered, failed } = producer.stats;
await producer.close();
console.log(
  JSON.stringify({
    before,
    handlerPeak,
    reset,
    ms,
    attempted: RECORDS * valueBytes,
    delivered,
    failed,
    error,
    queueBytes: QUEUE_KBYTES * 1024,
    backlogBytes: BACKLOG_BYTES,
  }),
);
process.exit(0);
