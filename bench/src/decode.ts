import { createRequire } from 'node:module';
import { createKafkaHandler, type Deserializer, json, jsonLogger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { avro, protobuf, writeConfluentFrame } from '@kafka-lambda/serdes';
import { DECODE } from './config.js';
import {
  AVRO_SCHEMA,
  avroType,
  encodePayload,
  eventRecords,
  type Format,
  lambdaContext,
  legsFor,
  makeEvent,
  makeTrade,
  noop,
  protoType,
} from './fixtures.js';
import type { BenchRegistry } from './registry.js';
import { fmt, type Report } from './report.js';
import { type Contender, mapSummary, pairedRatio, summarize, timeRounds } from './stats.js';

const SIZES = [200, 2_000];

// Powertools' ESM build does `import { BufferReader } from 'protobufjs'`, which Node's ESM loader rejects
// (protobufjs is CommonJS and exposes only a default export to ESM): its CommonJS build works, as does a
// bundled one. Use the CommonJS build for every format, to compare like with like.
const { kafkaConsumer } = createRequire(import.meta.url)(
  '@aws-lambda-powertools/kafka',
) as typeof import('@aws-lambda-powertools/kafka');
const OURS = 'kafka-lambda';
const POWERTOOLS = 'Powertools kafkaConsumer';
const BARE = 'bare loop';

// Keeps decoded values observable so that no engine could skip the work.
let sink = 0;
const keep = (value: unknown): void => {
  if (value !== undefined) sink++;
};

/**
 * Decode throughput of a 10,000-record ESM batch. Ours runs with the defaults a user gets (summary
 * logging on) except that the logger writes to a no-op; `process` does nothing, so what is timed is
 * event validation, base64, key + value deserialization and the per-record bookkeeping.
 */
export async function benchDecode(report: Report, reg: BenchRegistry): Promise<void> {
  const ctx = lambdaContext();
  const logger = jsonLogger({ write: noop });
  const chart =
    report.charts[
      report.charts.push({ title: 'Decode, 10,000-record batch', unit: 'k records/s', groups: [] }) - 1
    ]!;
  const formats = (process.env.BENCH_FORMATS?.split(',') ?? ['json', 'avro', 'protobuf']) as Format[];
  for (const format of formats) {
    for (const size of SIZES) {
      const legs = legsFor(format, size);
      const payloads = Array.from({ length: DECODE.batch }, (_, i) =>
        encodePayload(format, makeTrade(i, legs)),
      );
      const schemaId = format === 'avro' ? reg.avroId : reg.protobufId;
      // On the wire: Confluent framing (Protobuf adds the message-index byte 0x00 for Trade).
      const framed = (p: Buffer) =>
        format === 'json'
          ? p
          : writeConfluentFrame(schemaId, p, format === 'protobuf' ? Buffer.from([0]) : undefined);
      const event = makeEvent({ records: DECODE.batch, partitions: 4, value: (i) => framed(payloads[i]!) });
      // Powertools reads Avro/Protobuf only as the ESM schema-registry integration delivers them (SOURCE
      // format): schema id stripped, message indexes kept, schemaId in valueSchemaMetadata.
      const esmEvent =
        format === 'json'
          ? event
          : makeEvent({
              records: DECODE.batch,
              partitions: 4,
              value: (i) =>
                format === 'protobuf' ? Buffer.concat([Buffer.from([0]), payloads[i]!]) : payloads[i]!,
              valueSchemaMetadata: { dataFormat: format.toUpperCase(), schemaId: String(schemaId) },
            });
      const valueBytes = framed(payloads[0]!).length;
      const scenario = `${format === 'json' ? 'JSON' : format === 'avro' ? 'Avro' : 'Protobuf'} ~${fmt(valueBytes)} B`;

      const ours = (value: Deserializer<unknown>) => createKafkaHandler({ value, logger, process: noop });
      const deserializer =
        format === 'json' ? json() : format === 'avro' ? avro(reg.registry) : protobuf(reg.registry);
      const handler = ours(deserializer);
      const contenders: Contender[] = [
        { name: OURS, run: () => handler(event, ctx) },
        { name: BARE, run: () => bareLoop(format, event) },
      ];
      const powertools = powertoolsHandler(format);
      contenders.push({ name: POWERTOOLS, run: () => powertools(esmEvent as never, ctx as never) });
      if (format !== 'json') {
        const sameEvent = ours(format === 'avro' ? avro(reg.registry) : protobuf(reg.registry));
        contenders.push({ name: `${OURS}, ESM SOURCE event`, run: () => sameEvent(esmEvent, ctx) });
      }
      if (format === 'protobuf') {
        const raw = ours(protobuf(reg.registry, { toObject: false }));
        contenders.push({ name: `${OURS}, toObject: false`, run: () => raw(event, ctx) });
      }
      // The first call of each fetches and compiles the schema: not part of any timed run.
      for (const c of [...contenders]) {
        try {
          await c.run();
        } catch (error) {
          // Powertools' Avro imports `avro-js`, which its users must install themselves.
          if (c.name !== POWERTOOLS) throw error;
          contenders.splice(contenders.indexOf(c), 1);
          report.notes.push(
            `${scenario}: ${POWERTOOLS} not measured: ${(error as Error).message.split('\n')[0]}`,
          );
        }
      }

      const samples = await timeRounds(contenders, DECODE);
      // Ratios pair the runs of one round (same machine load), then take the median over rounds.
      const ratio = (a: string, b: string) => pairedRatio(samples.get(a)!, samples.get(b)!);
      const group = {
        label: scenario,
        bars: [] as { series: string; min: number; median: number; max: number }[],
      };
      for (const c of contenders) {
        const value = summarize(samples.get(c.name)!);
        const rate = mapSummary(value, (ms) => DECODE.batch / (ms / 1000));
        let vs = c.name === BARE ? '' : `${fmt(ratio(c.name, BARE))}× bare time`;
        if (c.name === POWERTOOLS) vs += `; ours ${fmt(ratio(POWERTOOLS, OURS))}× faster`;
        report.add({
          section: 'Decode (10,000-record batch, no-op process)',
          scenario,
          contender: c.name,
          unit: 'ms / batch',
          value,
          rate: { ...rate, unit: 'rec/s' },
          ratio: vs,
          note: c.name === POWERTOOLS && format !== 'json' ? 'ESM SOURCE event' : undefined,
        });
        if (!c.name.includes(',')) group.bars.push({ series: c.name, ...mapSummary(rate, (r) => r / 1000) });
      }
      chart.groups.push(group);

      const limit = format === 'json' ? 1.25 : 1.3;
      const toBare = ratio(OURS, BARE);
      report.target(
        `${scenario}: ≤ ${limit}× the bare loop's time`,
        `${fmt(toBare)}× (paired median)`,
        toBare <= limit,
      );
      const measured = samples.has(POWERTOOLS);
      const toPowertools = measured ? ratio(POWERTOOLS, OURS) : 0;
      report.target(
        `${scenario}: ≥ 2× Powertools' throughput`,
        measured ? `${fmt(toPowertools)}× (paired median)` : 'not measured',
        measured ? toPowertools >= 2 : undefined,
        measured ? undefined : "Powertools' Avro needs the `avro-js` package, not installed in bench/",
      );
    }
  }
  if (sink < 0) console.log(sink);
}

/** What a user writes without a library: base64, then the format's own decoder. */
function bareLoop(format: Format, event: KafkaEvent): void {
  for (const record of eventRecords(event)) {
    keep(Buffer.from(record.key!, 'base64').toString('utf8'));
    const bytes = Buffer.from(record.value!, 'base64');
    if (format === 'json') keep(JSON.parse(bytes.toString('utf8')));
    else if (format === 'avro') keep(avroType.fromBuffer(bytes.subarray(5)));
    else keep(protoType.decode(bytes.subarray(6)));
  }
}

/** Powertools deserializes lazily in getters: the handler reads key and value of every record. */
function powertoolsHandler(format: Format) {
  const value =
    format === 'json'
      ? ({ type: 'json' } as const)
      : format === 'avro'
        ? ({ type: 'avro', schema: JSON.stringify(AVRO_SCHEMA) } as const)
        : ({ type: 'protobuf', schema: protoType } as const);
  const handler = kafkaConsumer(
    async (event) => {
      for (const record of event.records) {
        keep(record.key);
        keep(record.value);
      }
    },
    { value },
  );
  return handler;
}
