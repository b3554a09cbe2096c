import { bytes, createKafkaHandler, jsonLogger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { kafkaProducer, PRODUCER_DEFAULTS } from '@kafka-lambda/core/producer';
import { brokerAnswers, createTopics, kafkaModule, type RawProducer, uniqueName } from './broker.js';
import { BROKERS, PRODUCE, PRODUCE_SLOW_MESSAGES } from './config.js';
import {
  encodePayload,
  eventRecords,
  lambdaContext,
  legsFor,
  makeEvent,
  makeTrade,
  noop,
} from './fixtures.js';
import { fmt, type Report } from './report.js';
import { mapSummary, summarize, timeOnce, timeRounds } from './stats.js';

const OURS = 'kafka-lambda (warm producer, 1 flush)';
const RAW = 'raw node-rdkafka Producer';
const RAW_OPAQUE = 'raw node-rdkafka Producer, each report matched to its message (opaque)';
const PER_RECORD = 'anti-pattern: flush per record';
const NEW_PRODUCER = 'anti-pattern: new producer per invocation';
const SECTION = 'Produce at acks=all on the local broker (one invocation)';

/** Same properties for every contender: ours are the SDK defaults (acks=all, idempotence, linger 5 ms). */
const config = () => ({ ...PRODUCER_DEFAULTS, 'bootstrap.servers': BROKERS });

/**
 * One warm invocation turning each of N input records into one ~200 B result message. Ours goes
 * through the handler (base64, bookkeeping, produce(), one flush, awaiting every delivery report); the
 * raw baseline does the same base64 + produce with the native client directly, one flush, and waits for
 * all delivery reports too. It counts the reports but cannot tell which message one is about; the
 * second raw contender can, as ours must to fail exactly the record whose output failed: it hands the
 * client an `opaque` per message (the client's only way to match a report to its message, which ours
 * uses too), so the two differ by what the SDK does, not by what the client charges for matching.
 */
export async function benchProduce(report: Report): Promise<void> {
  if (!(await brokerAnswers())) {
    report.notes.push(`Produce: skipped, no broker at ${BROKERS} (start it with \`pnpm stack:up\`).`);
    report.target('Produce: ≥ 90% of the raw client throughput', 'not measured', undefined, 'no broker');
    return;
  }
  const ours = uniqueName('bench.produce.ours');
  const raw = uniqueName('bench.produce.raw');
  const rawOpaque = uniqueName('bench.produce.raw-opaque');
  const anti = uniqueName('bench.produce.anti');
  const dropTopics = await createTopics([ours, raw, rawOpaque, anti], 3);
  try {
    await run(report, { ours, raw, rawOpaque, anti });
  } finally {
    await dropTopics();
  }
}

async function run(
  report: Report,
  topics: { ours: string; raw: string; rawOpaque: string; anti: string },
): Promise<void> {
  const legs = legsFor('json', 200);
  const event = makeEvent({
    records: PRODUCE.messages,
    partitions: 4,
    value: (i) => encodePayload('json', makeTrade(i, legs)),
  });
  const ctx = lambdaContext();
  const producer = kafkaProducer(config());
  // Key and value as bytes: like the raw contender, ours forwards what it decoded from base64 (a
  // string key would add a UTF-8 decode and re-encode per record that the raw loop does not do).
  const handler = createKafkaHandler({
    key: bytes(),
    value: bytes(),
    producer,
    logger: jsonLogger({ write: noop }),
    process(record, { produce }) {
      produce({ topic: topics.ours, key: record.key, value: record.value });
    },
  });
  const rawProducer = await connectRaw();
  try {
    const samples = await timeRounds(
      [
        { name: OURS, run: () => handler(event, ctx) },
        { name: RAW, run: () => produceAll(rawProducer, topics.raw, event) },
        { name: RAW_OPAQUE, run: () => produceAll(rawProducer, topics.rawOpaque, event, true) },
      ],
      PRODUCE,
    );
    const invocations = PRODUCE.warmup + PRODUCE.iterations + 0;
    const statsNote = `producer.stats: ${producer.stats.connects} connect, ${fmt(producer.stats.flushes / invocations)} flush/invocation, ${producer.stats.failed} failed`;

    // Anti-patterns: fewer messages (a flush per record is a broker round trip each), rate compared.
    const slowEvent = makeEvent({
      records: PRODUCE_SLOW_MESSAGES,
      partitions: 4,
      value: (i) => encodePayload('json', makeTrade(i, legs)),
    });
    const perRecord: number[] = [];
    const fresh: number[] = [];
    for (let i = 0; i < Math.max(3, Math.ceil(PRODUCE.iterations / 2)); i++) {
      perRecord.push(await timeOnce(() => produceFlushEach(rawProducer, topics.anti, slowEvent)));
      fresh.push(
        await timeOnce(async () => {
          const client = await connectRaw();
          await produceAll(client, topics.anti, event);
          await disconnect(client);
        }),
      );
    }

    const oursMs = samples.get(OURS)!;
    const rawMs = samples.get(RAW)!;
    const rawOpaqueMs = samples.get(RAW_OPAQUE)!;
    const rate = (count: number) => (ms: number) => count / (ms / 1000);
    // Throughput shares, paired per round: b's time / a's time is a's throughput as a share of b's.
    const share = (a: number[], b: number[]) => summarize(b.map((x, i) => x / a[i]!));
    const paired = share(oursMs, rawMs);
    const pairedOpaque = share(oursMs, rawOpaqueMs);
    const opaqueCost = share(rawOpaqueMs, rawMs);
    const pct = (s: { median: number; min: number; max: number }) =>
      `${fmt(s.median * 100)}% [${fmt(s.min * 100)}–${fmt(s.max * 100)}]`;
    const rows: Array<[string, number[], number, string]> = [
      [
        OURS,
        oursMs,
        PRODUCE.messages,
        `${pct(paired)} of raw throughput, ${pct(pairedOpaque)} of raw with opaque (paired)`,
      ],
      [RAW, rawMs, PRODUCE.messages, ''],
      [RAW_OPAQUE, rawOpaqueMs, PRODUCE.messages, `${pct(opaqueCost)} of raw throughput (paired)`],
      [PER_RECORD, perRecord, PRODUCE_SLOW_MESSAGES, ''],
      [NEW_PRODUCER, fresh, PRODUCE.messages, ''],
    ];
    const rawRate = rate(PRODUCE.messages)(summarize(rawMs).median);
    const chart = { title: 'Produce at acks=all, local broker', unit: 'k messages/s', groups: [] as never[] };
    const bars = [];
    for (const [name, ms, count, ratio] of rows) {
      const value = summarize(ms);
      const perSecond = mapSummary(value, rate(count));
      report.add({
        section: SECTION,
        scenario: `${fmt(count)} × ~${encodePayload('json', makeTrade(0, legs)).length} B`,
        contender: name,
        unit: 'ms / invocation',
        value,
        rate: { ...perSecond, unit: 'msg/s' },
        ratio: ratio || (name === RAW ? '' : `${fmt((perSecond.median / rawRate) * 100)}% of raw throughput`),
        note: name === OURS ? statsNote : undefined,
      });
      bars.push({ series: name, ...mapSummary(perSecond, (r) => r / 1000) });
    }
    report.charts.push({ ...chart, groups: [{ label: `${fmt(PRODUCE.messages)} results`, bars }] });
    const measured = `${fmt(paired.median * 100)}% [${fmt(paired.min * 100)}–${fmt(paired.max * 100)}] (median of paired runs; ${fmt(summarize(oursMs).median)} vs ${fmt(summarize(rawMs).median)} ms)`;
    report.target('Produce: ≥ 90% of the raw client throughput', measured, paired.median >= 0.9);
    report.target(
      'Produce (issue 25): ≥ 95% of the raw client throughput',
      `${measured}; ${pct(pairedOpaque)} of the raw client matching each report to its message, which itself runs at ${pct(opaqueCost)} of raw`,
      paired.median >= 0.95,
    );
  } finally {
    await producer.close();
    await disconnect(rawProducer);
  }
}

async function connectRaw(): Promise<RawProducer> {
  const { Producer } = kafkaModule();
  const client = new Producer({ ...config(), dr_cb: true });
  await new Promise<void>((resolve, reject) =>
    client.connect({ timeout: 10_000 }, (error) => (error ? reject(error) : resolve())),
  );
  client.setPollInBackground(true);
  return client;
}

function disconnect(client: RawProducer): Promise<void> {
  return new Promise((resolve) => client.disconnect(5_000, () => resolve()));
}

/**
 * The textbook raw pattern: produce everything, one flush, then wait for every delivery report.
 * `opaque`: each message carries its record, which its report hands back (a report without it fails the run).
 */
async function produceAll(
  client: RawProducer,
  topic: string,
  event: KafkaEvent,
  opaque = false,
): Promise<void> {
  const records = eventRecords(event);
  let remaining = records.length;
  let failure: Error | undefined;
  const delivered = new Promise<void>((resolve) => {
    const listener = (error: Error | null, report: unknown) => {
      if (error) failure ??= error;
      else if (opaque && (report as { opaque?: unknown } | undefined)?.opaque === undefined)
        failure ??= new Error('a delivery report without the message it is about');
      if (--remaining === 0) resolve();
    };
    onDelivery(client, listener);
  });
  for (const record of records) {
    client.produce(
      topic,
      -1,
      Buffer.from(record.value!, 'base64'),
      Buffer.from(record.key!, 'base64'),
      null,
      opaque ? record : undefined,
    );
  }
  await new Promise<void>((resolve, reject) => client.flush(30_000, (e) => (e ? reject(e) : resolve())));
  await delivered;
  onDelivery(client, undefined);
  if (failure) throw failure;
}

async function produceFlushEach(client: RawProducer, topic: string, event: KafkaEvent): Promise<void> {
  for (const record of eventRecords(event)) {
    await produceAll(client, topic, { ...event, records: { [`${topic}-0`]: [record] } });
  }
}

// One delivery-report listener per client, swapped per batch (no listener pile-up across runs).
type ReportListener = (error: Error | null, report: unknown) => void;
const listeners = new WeakMap<RawProducer, { current?: ReportListener }>();
function onDelivery(client: RawProducer, listener: ReportListener | undefined): void {
  let slot = listeners.get(client);
  if (!slot) {
    const created: { current?: ReportListener } = {};
    slot = created;
    listeners.set(client, created);
    client.on('delivery-report', (error, report) => created.current?.(error, report));
  }
  slot.current = listener;
}
