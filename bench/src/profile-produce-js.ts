// The produce path's JavaScript alone, without a broker: our handler and the raw loop against a fake
// native client that takes every message at once and reports them all a millisecond later. Prints
// CPU time (process.cpuUsage, steadier than wall time on a shared machine) per 10,000 messages, and
// the garbage collector's share of it (v8.GCProfiler: pause time and scavenges):
//   node [--cpu-prof --cpu-prof-dir=/tmp/prof] --import tsx src/profile-produce-js.ts 60
// CORES=/a/dist/index.js,/b/dist/index.js compares builds of core in one process, interleaved (same
// machine state for each: on a shared machine, separate processes differ more than the builds do).
import { GCProfiler } from 'node:v8';
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
const cores = process.env.CORES?.split(',') ?? ['@kafka-lambda/core'];
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
const handlers: Handler[] = [];
for (const core of cores) {
  const { bytes, createKafkaHandler, jsonLogger } = (await import(
    core
  )) as typeof import('@kafka-lambda/core');
  // The producer's own entry (`dist/producer.js` beside a build's index); a build from before the
  // entry existed exports it from its index.
  const producerEntry = core.startsWith('@') ? `${core}/producer` : core.replace(/index\.js$/, 'producer.js');
  const { kafkaProducer } = (await import(producerEntry).catch(
    () => import(core),
  )) as typeof import('@kafka-lambda/core/producer');
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
  handlers.push(handler as Handler);
}

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
  for (const handler of handlers) await handler(event, ctx);
  await rawLoop();
}
interface Sample {
  cpu: number;
  gcMs: number;
  scavenges: number;
}
const sample = async (run: () => Promise<unknown>): Promise<Sample> => {
  const profiler = new GCProfiler();
  profiler.start();
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  const { statistics } = profiler.stop();
  return {
    cpu: (used.user + used.system) / 1000,
    gcMs: statistics.reduce((sum, s) => sum + s.cost, 0) / 1000,
    scavenges: statistics.filter((s) => s.gcType === 'Scavenge').length,
  };
};
const ours: Sample[][] = handlers.map(() => []);
const bare: Sample[] = [];
for (let i = 0; i < rounds; i++) {
  for (const [h, handler] of handlers.entries()) ours[h]!.push(await sample(() => handler(event, ctx)));
  bare.push(await sample(rawLoop));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
// A 10,000-message run makes less garbage than a young generation holds: scavenges are averaged over the rounds.
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const row = (samples: Sample[]) =>
  `${median(samples.map((s) => s.cpu)).toFixed(2)} (min ${Math.min(...samples.map((s) => s.cpu)).toFixed(2)}; ` +
  `GC ${mean(samples.map((s) => s.gcMs)).toFixed(2)} ms, ${mean(samples.map((s) => s.scavenges)).toFixed(2)} scavenges per run)`;
console.log(`CPU ms per 10,000 produced (median of ${rounds}; GC: mean per run)`);
for (const [h, core] of cores.entries()) console.log(`  ours (${core}): ${row(ours[h]!)}`);
console.log(`  raw loop: ${row(bare)}`);
