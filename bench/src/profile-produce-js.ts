// The produce path's JavaScript alone, without a broker: our handler and the raw loop against a fake
// native client that takes every message at once and reports them all a millisecond later. Prints
// CPU time (process.cpuUsage, steadier than wall time on a shared machine) per 10,000 messages:
//   node [--cpu-prof --cpu-prof-dir=/tmp/prof] --import tsx src/profile-produce-js.ts 60
import { bytes, createKafkaHandler, jsonLogger, kafkaProducer } from '@kafka-lambda/core';
import {
  encodePayload,
  eventRecords,
  lambdaContext,
  legsFor,
  makeEvent,
  makeTrade,
  noop,
} from './fixtures.js';

type Listener = (...args: unknown[]) => void;

/** The slice of the native producer the SDK uses, doing nothing but answering. */
class FakeNativeProducer {
  readonly #listeners = new Map<string, Listener[]>();
  #pending: Array<Record<string, unknown>> = [];
  #offset = 0;
  #scheduled = false;

  connect(_options: unknown, done: (error: null) => void): void {
    setImmediate(() => done(null));
  }
  on(event: string, listener: Listener): void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
  }
  setPollInBackground(): void {}
  produce(topic: string, _p: number, value: Buffer, key: Buffer, ts: number | null, opaque?: unknown): void {
    this.#pending.push({
      topic,
      partition: 0,
      offset: this.#offset++,
      key,
      size: value.length,
      timestamp: ts,
      opaque,
    });
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => this.#report(), 1);
  }
  flush(_timeoutMs: number, done: () => void): void {
    done();
  }
  disconnect(_timeoutMs: number, done: () => void): void {
    done();
  }
  #report(): void {
    this.#scheduled = false;
    const reports = this.#pending;
    this.#pending = [];
    const listeners = this.#listeners.get('delivery-report') ?? [];
    for (const report of reports) for (const listener of listeners) listener(null, report);
  }
}

const rounds = Number(process.argv[2] ?? 60);
const legs = legsFor('json', 200);
// As the runtime hands it over: parsed from JSON.
const event = JSON.parse(
  JSON.stringify(
    makeEvent({ records: 10_000, partitions: 4, value: (i) => encodePayload('json', makeTrade(i, legs)) }),
  ),
);
const producer = kafkaProducer(
  { 'bootstrap.servers': 'fake:9092' },
  { loadClient: async () => ({ Producer: FakeNativeProducer as never }) },
);
const handler = createKafkaHandler({
  key: bytes(),
  value: bytes(),
  producer,
  logger: jsonLogger({ write: noop }),
  process: (record, { produce }) => produce({ topic: 'out', key: record.key, value: record.value }),
});

const raw = new FakeNativeProducer();
let remaining = 0;
let allDelivered = noop;
raw.on('delivery-report', () => {
  if (--remaining === 0) allDelivered();
});
const records = eventRecords(event);
async function rawLoop(): Promise<void> {
  remaining = records.length;
  const delivered = new Promise<void>((resolve) => (allDelivered = resolve));
  for (const r of records)
    raw.produce('out', -1, Buffer.from(r.value!, 'base64'), Buffer.from(r.key!, 'base64'), null);
  await delivered;
}

const ctx = lambdaContext();
for (let i = 0; i < 5; i++) {
  await handler(event, ctx);
  await rawLoop();
}
const cpu = async (run: () => Promise<unknown>): Promise<number> => {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const ours: number[] = [];
const bare: number[] = [];
for (let i = 0; i < rounds; i++) {
  ours.push(await cpu(() => handler(event, ctx)));
  bare.push(await cpu(rawLoop));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  `CPU ms per 10,000 produced: ours ${median(ours).toFixed(2)}, raw loop ${median(bare).toFixed(2)} (median of ${rounds})`,
);
