import { createRequire } from 'node:module';
import { createKafkaHandler, type Deserializer, json, jsonLogger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { avro, protobuf, writeConfluentFrame } from '@kafka-lambda/serdes';
import { DECODE, REALISTIC } from './config.js';
import { eventRecords, lambdaContext, noop } from './fixtures.js';
import {
  bareRecord,
  encodeReal,
  io,
  keep,
  makeRealEvent,
  makeRealTrade,
  REAL_AVRO_SCHEMA,
  type RealFormat,
  type RealTrade,
  readOurs,
  realAvroType,
  realProtoType,
  sinkValue,
  useTrade,
} from './realistic-fixtures.js';
import type { BenchRegistry } from './registry.js';
import { fmt, type Report } from './report.js';
import { type Contender, mapSummary, summarize, timeRounds } from './stats.js';

const { kafkaConsumer } = createRequire(import.meta.url)(
  '@aws-lambda-powertools/kafka',
) as typeof import('@aws-lambda-powertools/kafka');

const SECTION =
  'Decode, realistic handler (7-field trade, 1 header, 6 partitions; reads key, value, every header)';
const OURS = 'kafka-lambda';
const OURS_ASYNC = 'kafka-lambda, async process';
const BARE = 'bare loop';
const BARE_ASYNC = 'bare loop, async';
const POWERTOOLS = 'Powertools kafkaConsumer';

type Variant = { format: RealFormat; label: string; toObject?: boolean };
const VARIANTS: Variant[] = [
  { format: 'json', label: 'JSON' },
  { format: 'avro', label: 'Avro (registry)' },
  { format: 'protobuf', label: 'Protobuf (registry)' },
  { format: 'protobuf', label: 'Protobuf (registry), toObject: false', toObject: false },
];

/**
 * Issue 14's realistic handler: 10,000 records in batches of 1, 100 and 10,000 (each sample handles
 * 10,000 records, i.e. 10,000, 100 or 1 invocations), sync and async `process`, against a bare loop
 * doing the same work by hand (base64, parse, header bytes to text) and, at 10,000, Powertools.
 */
export async function benchRealistic(report: Report, reg: BenchRegistry): Promise<void> {
  const ctx = lambdaContext();
  const chart =
    report.charts[
      report.charts.push({
        title: 'Realistic handler, 10,000-record batch (key, value, headers)',
        unit: 'k records/s',
        groups: [],
      }) - 1
    ]!;
  for (const variant of selectedVariants()) {
    const { format } = variant;
    const { framed, esmValue, schemaId, sync, async, decodeValue, scenarioBase } = setUp(variant, reg);

    for (const batch of REALISTIC.batches) {
      const events: KafkaEvent[] = [];
      for (let first = 0; first < REALISTIC.records; first += batch)
        events.push(makeRealEvent(batch, framed, first));
      const contenders: Contender[] = [
        { name: OURS, run: () => each(events, (e) => sync(e, ctx)) },
        { name: BARE, run: () => each(events, (e) => bareSync(e, decodeValue)) },
        { name: OURS_ASYNC, run: () => each(events, (e) => async(e, ctx)) },
        { name: BARE_ASYNC, run: () => each(events, (e) => bareAsync(e, decodeValue)) },
      ];
      const powertoolsRuns = batch === REALISTIC.records && variant.toObject !== false;
      if (powertoolsRuns) {
        const esmEvent =
          format === 'json'
            ? events[0]!
            : withSchemaMetadata(makeRealEvent(batch, esmValue), format, String(schemaId));
        const powertools = powertoolsHandler(format);
        contenders.push({ name: POWERTOOLS, run: () => powertools(esmEvent as never, ctx as never) });
      }
      for (const c of contenders) await c.run(); // schemas fetched and compiled outside the clock
      const samples = await timeRounds(contenders, DECODE);
      const ratios = (a: string, b: string) =>
        summarize(samples.get(a)!.map((x, i) => x / samples.get(b)![i]!));
      const scenario = `${scenarioBase}, batches of ${fmt(batch)}`;
      const group = {
        label: scenarioBase,
        bars: [] as Array<{ series: string; min: number; median: number; max: number }>,
      };
      for (const c of contenders) {
        const value = summarize(samples.get(c.name)!);
        const rate = mapSummary(value, (ms) => REALISTIC.records / (ms / 1000));
        const ref =
          c.name === OURS ? BARE : c.name === OURS_ASYNC ? BARE_ASYNC : c.name === POWERTOOLS ? OURS : '';
        const r = ref ? ratios(c.name, ref) : undefined;
        report.add({
          section: SECTION,
          scenario,
          contender: c.name,
          unit: 'ms / 10,000 records',
          value,
          rate: { ...rate, unit: 'rec/s' },
          ratio: r
            ? c.name === POWERTOOLS
              ? `${fmt(r.median)}× ours' time [${fmt(r.min)}–${fmt(r.max)}]`
              : `${fmt(r.median)}× bare time [${fmt(r.min)}–${fmt(r.max)}]`
            : '',
          note: c.name === POWERTOOLS && format !== 'json' ? 'ESM SOURCE event' : undefined,
        });
        if (batch === REALISTIC.records && (c.name === OURS || c.name === BARE || c.name === POWERTOOLS))
          group.bars.push({ series: c.name, ...mapSummary(rate, (x) => x / 1000) });
      }
      if (batch === REALISTIC.records) chart.groups.push(group);
      const limit = limitFor(variant);
      for (const [mine, bare] of [
        [OURS, BARE],
        [OURS_ASYNC, BARE_ASYNC],
      ] as const) {
        const r = ratios(mine, bare);
        report.target(
          `Realistic ${scenario}${mine === OURS_ASYNC ? ', async' : ''}: ≤ ${limit}× the bare loop's time`,
          `${fmt(r.median)}× [${fmt(r.min)}–${fmt(r.max)}] (paired, min/median/max)`,
          r.median <= limit,
        );
      }
      if (powertoolsRuns && format !== 'protobuf') {
        const r = ratios(POWERTOOLS, OURS);
        const goal = format === 'json' ? 3 : 10;
        report.target(
          `Realistic ${scenario}: Powertools ≥ ${goal}× slower than ours`,
          `${fmt(r.median)}× [${fmt(r.min)}–${fmt(r.max)}] (paired, min/median/max)`,
          r.median >= goal,
        );
      }
    }
  }
  if (sinkValue() < 0) console.log(sinkValue());
}

/** The variants BENCH_FORMATS keeps (all by default). */
function selectedVariants(): Variant[] {
  const only = process.env.BENCH_FORMATS?.split(',');
  return VARIANTS.filter((variant) => !only || only.includes(variant.format));
}

/** One variant's payloads, our two handlers (sync and async `process`) and the bare loop's decoder. */
function setUp(variant: Variant, reg: BenchRegistry) {
  const { format } = variant;
  const logger = jsonLogger({ write: noop });
  const payloads = Array.from({ length: REALISTIC.records }, (_, i) => encodeReal(format, makeRealTrade(i)));
  const schemaId = format === 'avro' ? reg.realAvroId : reg.realProtobufId;
  const framed = (i: number) =>
    format === 'json'
      ? payloads[i]!
      : writeConfluentFrame(schemaId, payloads[i]!, format === 'protobuf' ? Buffer.from([0]) : undefined);
  const esmValue = (i: number) =>
    format === 'protobuf' ? Buffer.concat([Buffer.from([0]), payloads[i]!]) : payloads[i]!;
  const deserializer = (): Deserializer<unknown> =>
    format === 'json'
      ? json()
      : format === 'avro'
        ? avro(reg.registry)
        : protobuf(reg.registry, variant.toObject === false ? { toObject: false } : {});
  const sync = createKafkaHandler({
    value: deserializer() as Deserializer<RealTrade>,
    logger,
    process: readOurs,
  });
  const async = createKafkaHandler({
    value: deserializer() as Deserializer<RealTrade>,
    logger,
    async process(record) {
      await io();
      readOurs(record);
    },
  });
  return {
    framed,
    esmValue,
    schemaId,
    sync,
    async,
    decodeValue: bareDecoder(format, variant.toObject === false),
    scenarioBase: `${variant.label} ~${fmt(framed(0).length)} B`,
  };
}

const GC_SECTION =
  'Decode, realistic handler right after a major GC (gc() before each invocation; 10,000-record batches)';
/** Issue 25's budget for both formats: ours within 1.5× the bare loop right after a major GC. */
const GC_LIMIT = 1.5;

/**
 * The realistic handler right after a major GC: the same handlers, events and bare loop as
 * {@link benchRealistic} at 10,000-record batches, with a full `gc()` before every invocation of
 * every contender. Lambda's process meets major GCs between invocations too (a heap grown by the
 * last event, an idle container's memory reducer); a major GC that finds every object of the last
 * invocation dead frees their hidden classes, and with them the optimized code built on those
 * classes. The bare loop uses built-in classes only. Ratios are paired per round, as everywhere.
 */
export async function benchRealisticAfterGc(report: Report, reg: BenchRegistry): Promise<void> {
  const ctx = lambdaContext();
  for (const variant of selectedVariants()) {
    const { framed, sync, async, decodeValue, scenarioBase } = setUp(variant, reg);
    const event = makeRealEvent(REALISTIC.records, framed);
    const contenders: Contender[] = [
      { name: OURS, run: () => sync(event, ctx) },
      { name: BARE, run: () => bareSync(event, decodeValue) },
      { name: OURS_ASYNC, run: () => async(event, ctx) },
      { name: BARE_ASYNC, run: () => bareAsync(event, decodeValue) },
    ];
    for (const c of contenders) await c.run(); // schemas fetched and compiled outside the clock
    const samples = await timeRounds(contenders, { ...DECODE, gc: true });
    const ratios = (a: string, b: string) =>
      summarize(samples.get(a)!.map((x, i) => x / samples.get(b)![i]!));
    const scenario = `${scenarioBase}, batches of ${fmt(REALISTIC.records)}, gc() before each`;
    for (const c of contenders) {
      const value = summarize(samples.get(c.name)!);
      const ref = c.name === OURS ? BARE : c.name === OURS_ASYNC ? BARE_ASYNC : '';
      const r = ref ? ratios(c.name, ref) : undefined;
      report.add({
        section: GC_SECTION,
        scenario,
        contender: c.name,
        unit: 'ms / 10,000 records',
        value,
        rate: { ...mapSummary(value, (ms) => REALISTIC.records / (ms / 1000)), unit: 'rec/s' },
        ratio: r ? `${fmt(r.median)}× bare time [${fmt(r.min)}–${fmt(r.max)}]` : '',
      });
    }
    for (const [mine, bare] of [
      [OURS, BARE],
      [OURS_ASYNC, BARE_ASYNC],
    ] as const) {
      const r = ratios(mine, bare);
      report.target(
        `Realistic ${scenarioBase}${mine === OURS_ASYNC ? ', async' : ''}, right after a major GC: ≤ ${GC_LIMIT}× the bare loop's time`,
        `${fmt(r.median)}× [${fmt(r.min)}–${fmt(r.max)}] (paired, min/median/max)`,
        r.median <= GC_LIMIT,
      );
    }
  }
  if (sinkValue() < 0) console.log(sinkValue());
}

function limitFor(variant: Variant): number {
  if (variant.format === 'json') return 1.25;
  if (variant.format === 'avro') return 1.3;
  return variant.toObject === false ? 1.2 : 1.5;
}

async function each(events: KafkaEvent[], run: (event: KafkaEvent) => unknown): Promise<void> {
  for (const event of events) {
    const result = run(event);
    if (result instanceof Promise) await result;
  }
}

function withSchemaMetadata(event: KafkaEvent, format: RealFormat, schemaId: string): KafkaEvent {
  for (const record of eventRecords(event))
    record.valueSchemaMetadata = { dataFormat: format.toUpperCase(), schemaId };
  return event;
}

/** The bare decoder of the value bytes; Protobuf's default mirrors ours (plain, JSON-safe objects). */
function bareDecoder(format: RealFormat, raw: boolean): (bytes: Buffer) => RealTrade {
  if (format === 'json') return (bytes) => JSON.parse(bytes.toString('utf8'));
  if (format === 'avro') return (bytes) => realAvroType.fromBuffer(bytes.subarray(5));
  if (raw) return (bytes) => realProtoType.decode(bytes.subarray(6)) as unknown as RealTrade;
  const options = { longs: String, enums: String, defaults: true };
  return (bytes) =>
    realProtoType.toObject(realProtoType.decode(bytes.subarray(6)), options) as unknown as RealTrade;
}

function bareSync(event: KafkaEvent, decodeValue: (bytes: Buffer) => RealTrade): void {
  for (const group in event.records)
    for (const record of event.records[group]!) bareRecord(record, decodeValue);
}

async function bareAsync(event: KafkaEvent, decodeValue: (bytes: Buffer) => RealTrade): Promise<void> {
  for (const group in event.records)
    for (const record of event.records[group]!) {
      await io();
      bareRecord(record, decodeValue);
    }
}

function powertoolsHandler(format: RealFormat) {
  const value =
    format === 'json'
      ? ({ type: 'json' } as const)
      : format === 'avro'
        ? ({ type: 'avro', schema: JSON.stringify(REAL_AVRO_SCHEMA) } as const)
        : ({ type: 'protobuf', schema: realProtoType } as const);
  return kafkaConsumer(
    async (event) => {
      for (const record of event.records) {
        useTrade(record.key, record.value as RealTrade);
        for (const header of record.headers ?? [])
          for (const name in header) keep(name.length + (header[name] as string).length);
      }
    },
    { value },
  );
}
