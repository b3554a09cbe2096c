// What separates our produce path from the raw client on the broker: contenders round-robin, paired
// ratios against the raw loop, wall and CPU time (main thread apart). ONLY="ours|raw (flush)" picks.
//   node --import tsx src/profile-produce-parts.ts 15
import { GCProfiler } from 'node:v8';
import { bytes, createKafkaHandler, jsonLogger } from '@kafka-lambda/core';
import {
  type DeliveryCallback,
  type KafkaProducer,
  kafkaProducer,
  type OutgoingMessage,
  PRODUCER_DEFAULTS,
} from '@kafka-lambda/core/producer';
import { createTopics, kafkaModule, uniqueName } from './broker.js';
import { BROKERS } from './config.js';
import {
  encodePayload,
  eventRecords,
  lambdaContext,
  legsFor,
  makeEvent,
  makeTrade,
  noop,
} from './fixtures.js';
import { summarize, timeRounds } from './stats.js';

const rounds = Number(process.argv[2] ?? 15);
const only = process.env.ONLY?.split('|');
const topics = {
  ours: uniqueName('bench.parts.ours'),
  raw: uniqueName('bench.parts.raw'),
  thin: uniqueName('bench.parts.thin'),
};
const drop = await createTopics(Object.values(topics), 3);
const legs = legsFor('json', 200);
const event = JSON.parse(
  JSON.stringify(
    makeEvent({ records: 10_000, partitions: 4, value: (i) => encodePayload('json', makeTrade(i, legs)) }),
  ),
);
/** Per run: ms until every message was handed over, ms waiting for the reports after that. */
const phases: Array<[number, number]> = [];
const rawPhases: Array<[number, number]> = [];
const config = () => ({ ...PRODUCER_DEFAULTS, 'bootstrap.servers': BROKERS });
const producer = kafkaProducer(config());
const handler = createKafkaHandler({
  key: bytes(),
  value: bytes(),
  producer,
  // The summary line says how long the batch waited for its reports (flushMs) of its whole duration.
  logger: jsonLogger({
    write: (line: string) => {
      const summary = JSON.parse(line) as { flushMs?: number; durationMs?: number };
      if (summary.flushMs !== undefined)
        phases.push([summary.durationMs! - summary.flushMs, summary.flushMs]);
    },
  }),
  process: (record, { produce }) => produce({ topic: topics.ours, key: record.key, value: record.value }),
});
const { Producer } = kafkaModule();
// The handler over the thinnest producer the contract allows (no backlog, no reconnects, no
// tracker): what the handler's side costs, apart from the producer's bookkeeping.
const thinClient = new Producer({ ...config(), dr_cb: true });
await new Promise<void>((resolve, reject) =>
  thinClient.connect({ timeout: 10_000 }, (e) => (e ? reject(e) : resolve())),
);
thinClient.setPollInBackground(true);
let thinPending = 0;
let thinIdle = noop;
type ThinEntry = { message: OutgoingMessage; done: DeliveryCallback };
thinClient.on('delivery-report', (error, report) => {
  const { message, done } = (report as { opaque: ThinEntry }).opaque;
  const r = report as { topic: string; partition: number; offset: number };
  done(
    error ?? undefined,
    error ? undefined : { topic: r.topic, partition: r.partition, offset: r.offset },
    message,
  );
  if (--thinPending === 0) thinIdle();
});
const thinProducer: KafkaProducer = {
  send: () => Promise.reject(new Error('enqueue only')),
  enqueue(message, done) {
    thinPending++;
    thinClient.produce(message.topic, -1, message.value, message.key, null, { message, done });
  },
  flush: () => {
    if (thinPending === 0) return Promise.resolve();
    const alive = setInterval(noop, 1_000);
    return new Promise<void>((resolve) => {
      thinIdle = () => {
        clearInterval(alive);
        resolve();
      };
    });
  },
  close: async () => {},
};
const thinHandler = createKafkaHandler({
  key: bytes(),
  value: bytes(),
  producer: thinProducer,
  logger: jsonLogger({ write: noop }),
  process: (record, { produce }) => produce({ topic: topics.thin, key: record.key, value: record.value }),
});
const client = new Producer({ ...config(), dr_cb: true });
await new Promise<void>((resolve, reject) =>
  client.connect({ timeout: 10_000 }, (e) => (e ? reject(e) : resolve())),
);
client.setPollInBackground(true);
let remaining = 0;
let allDone = noop;
client.on('delivery-report', (error) => {
  if (error) throw error;
  if (--remaining === 0) allDone();
});
const records = eventRecords(event);
async function raw(flush: boolean, opaque: boolean | 'number'): Promise<void> {
  remaining = records.length;
  const delivered = new Promise<void>((resolve) => (allDone = resolve));
  const started = performance.now();
  for (const r of records)
    client.produce(
      topics.raw,
      -1,
      Buffer.from(r.value!, 'base64'),
      Buffer.from(r.key!, 'base64'),
      null,
      opaque === 'number' ? remaining : opaque ? r : undefined,
    );
  const handedOver = performance.now();
  if (flush)
    await new Promise<void>((resolve, reject) => client.flush(30_000, (e) => (e ? reject(e) : resolve())));
  // The addon's background polling holds no handle: without a timer the process could end while waiting.
  const alive = setInterval(noop, 1_000);
  await delivered;
  clearInterval(alive);
  if (flush && !opaque) rawPhases.push([handedOver - started, performance.now() - handedOver]);
}
const ctx = lambdaContext();
// CPU time of the whole process (librdkafka's threads included) per run, beside the wall time.
const cpu = new Map<string, number[]>();
const mainCpu = new Map<string, number[]>();
const gcMs = new Map<string, number[]>();
const threadCpu = (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage.bind(process);
const withCpu = (name: string, run: () => Promise<unknown>) => ({
  name,
  run: async () => {
    const profiler = new GCProfiler();
    profiler.start();
    const start = process.cpuUsage();
    const mainStart = threadCpu();
    await run();
    const used = process.cpuUsage(start);
    const main = threadCpu();
    const { statistics } = profiler.stop();
    if (!gcMs.has(name)) gcMs.set(name, []);
    gcMs.get(name)!.push(statistics.reduce((sum, s) => sum + s.cost, 0) / 1000);
    if (!cpu.has(name)) cpu.set(name, []);
    if (!mainCpu.has(name)) mainCpu.set(name, []);
    cpu.get(name)!.push((used.user + used.system) / 1000);
    mainCpu.get(name)!.push((main.user - mainStart.user + main.system - mainStart.system) / 1000);
  },
});
const contenders = [
  withCpu('ours', () => handler(event, ctx)),
  withCpu('ours, thin producer', () => thinHandler(event, ctx)),
  withCpu('raw (flush)', () => raw(true, false)),
  withCpu('raw (flush, opaque)', () => raw(true, true)),
  withCpu('raw (flush, number opaque)', () => raw(true, 'number')),
  withCpu('raw (no flush)', () => raw(false, false)),
].filter((c) => !only || only.includes(c.name));
const samples = await timeRounds(contenders, { warmup: 2, iterations: rounds });
const base = samples.get('raw (flush)');
for (const c of contenders) {
  const s = summarize(samples.get(c.name)!);
  const ratio = base ? summarize(samples.get(c.name)!.map((x, i) => x / base[i]!)) : undefined;
  console.log(
    `${c.name.padEnd(24)} median ${s.median.toFixed(1)} ms [${s.min.toFixed(1)}–${s.max.toFixed(1)}]` +
      (ratio
        ? ` ÷ raw (flush): ${ratio.median.toFixed(2)} [${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}]`
        : '') +
      `; CPU ${summarize(cpu.get(c.name)!).median.toFixed(1)} ms (main thread ${summarize(mainCpu.get(c.name)!).median.toFixed(1)}); GC mean ${(gcMs.get(c.name)!.reduce((a, b) => a + b, 0) / gcMs.get(c.name)!.length).toFixed(1)} ms`,
  );
}
const phase = (list: Array<[number, number]>, name: string) => {
  if (list.length === 0) return;
  const a = summarize(list.map(([x]) => x)).median;
  const b = summarize(list.map(([, y]) => y)).median;
  console.log(
    `${name}: medians ${a.toFixed(1)} ms to hand every message over, ${b.toFixed(1)} ms waiting for the reports`,
  );
};
phase(phases, 'ours');
phase(rawPhases, 'raw (flush)');
await producer.close();
await new Promise<void>((resolve) => client.disconnect(5_000, () => resolve()));
await new Promise<void>((resolve) => thinClient.disconnect(5_000, () => resolve()));
await drop();
