// Events: the generated partitions and records, and the event each source delivers them in (the
// ESM's object for MSK and self-managed Kafka, the Sink Connector's array of { payload }, and the
// records an ESM wrote to its on-failure destination, read back with fromFailureRecords).
import { fromFailureRecords, type KafkaEvent } from '@kafka-lambda/core/events';
import { mskEvent, type RecordInput, selfManagedKafkaEvent, sinkConnectorEvent } from '@kafka-lambda/testing';
import fc from 'fast-check';
import type { Decode, PartitionSpec, RecordPlan, RecordSpec, Scenario, Source } from './scenario.js';

/** Topic names as real ones are: `-` and `.` inside, some ending in digits (the key splits at the LAST `-`). */
export const INPUT_TOPICS = ['orders', 'user-trades.v1', 'a.b-c-2', 'x-y.z-10'] as const;

/** The first byte of a value tells the model's deserializer what to do (see user-code.ts). */
export const DECODE_CODES: Readonly<Record<Decode, string>> = {
  ok: 'k',
  async: 'a',
  slow: 's',
  hang: 'h',
  thenable: 't',
  throw: 'x',
  'throw-config': 'c',
};

const headerArb = fc.tuple(
  // Names that are Object.prototype's, empty, repeated: a dead letter must keep them all, in order.
  fc.constantFrom('trace', 'h', 'h', 'kafka-lambda.x', '__proto__', 'constructor', ''),
  fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 4 }),
);

const valueArb: fc.Arbitrary<'tombstone' | number> = fc.oneof(
  { withCrossShrink: true },
  { weight: 600, arbitrary: fc.integer({ min: 2, max: 40 }) },
  { weight: 200, arbitrary: fc.integer({ min: 100, max: 3_000 }) },
  // Near the producer's message.max.bytes (rare: a megabyte costs): its dead letter must be fitted.
  { weight: 1, arbitrary: fc.constantFrom(990_000, 999_500) },
  { weight: 200, arbitrary: fc.constant('tombstone' as const) },
);

const keyArb: fc.Arbitrary<string | null | 'absent'> = fc.oneof(
  { withCrossShrink: true },
  fc.constant('absent' as const),
  fc.constant(null),
  fc.constantFrom('k1', 'k2', 'AAPL', ''),
);

/** One record of a partition, its user code drawn from `plan`. */
function recordArb(
  plan: fc.Arbitrary<RecordPlan>,
): fc.Arbitrary<Omit<RecordSpec, 'offset'> & { gap: number }> {
  return fc.record({
    gap: fc.integer({ min: 1, max: 3 }),
    key: keyArb,
    value: valueArb,
    headers: fc.array(headerArb, { maxLength: 3 }),
    plan,
  });
}

/** Partitions: distinct `<topic>-<partition>`, 0..maxRecords records each, offsets increasing with gaps. */
export function partitionsArb(
  plan: fc.Arbitrary<RecordPlan>,
  options: { maxPartitions: number; maxRecords: number },
): fc.Arbitrary<PartitionSpec[]> {
  const partition = fc.record({
    topic: fc.constantFrom(...INPUT_TOPICS),
    partition: fc.constantFrom(0, 1, 2, 12),
    start: fc.integer({ min: 0, max: 1_000 }),
    records: fc.array(recordArb(plan), { maxLength: options.maxRecords }),
  });
  return fc
    .uniqueArray(partition, {
      minLength: 1,
      maxLength: options.maxPartitions,
      selector: (p) => `${p.topic}-${p.partition}`,
    })
    .map((parts) =>
      parts.map(({ topic, partition: number, start, records }) => {
        let offset = start - 1;
        return {
          topic,
          partition: number,
          records: records.map(({ gap, ...rest }) => {
            offset += gap;
            return { offset, ...rest };
          }),
        };
      }),
    );
}

/** The bytes of a record's value: the decode code, a separator, then padding up to its size. */
export function valueText(spec: RecordSpec): string | null {
  if (spec.value === 'tombstone') return null;
  const head = `${DECODE_CODES[spec.plan.decode]}|`;
  return head + 'v'.repeat(Math.max(0, spec.value - head.length));
}

/**
 * The value's bytes as the ESM carries them: binary after the code (NUL, 0xff, invalid UTF-8), which a
 * dead letter must keep byte for byte. (The Sink Connector carries converted text: valueText.)
 */
export function valueBytes(spec: RecordSpec, source: Source): Buffer | null {
  const text = valueText(spec);
  if (text === null || source === 'sink') return text === null ? null : Buffer.from(text, 'utf8');
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 2; i < bytes.length && i < 64; i++) bytes[i] = (i * 37 + spec.offset) & 0xff;
  return bytes;
}

const MSK = { clusterName: 'model', timestamp: 1_700_000_000_000 } as const;

/** The event the scenario's source delivers. */
export function buildEvent(scenario: Scenario): unknown {
  switch (scenario.source) {
    case 'msk':
      return withEmptyPartitions(mskEvent(inputs(scenario), MSK), scenario);
    case 'self-managed':
      return withEmptyPartitions(selfManagedKafkaEvent(inputs(scenario), MSK), scenario);
    case 'sink':
      return sinkConnectorEvent(
        scenario.partitions.flatMap((p) =>
          p.records.map((r) => ({
            topic: p.topic,
            partition: p.partition,
            offset: r.offset,
            timestamp: MSK.timestamp + r.offset,
            ...(r.key === 'absent' ? {} : { key: r.key }),
            value: valueText(r),
          })),
        ),
        { startOffset: 0 },
      );
    case 'on-failure':
      return onFailureEvent(scenario);
  }
}

function inputs(scenario: Scenario): RecordInput[] {
  return scenario.partitions.flatMap((p) =>
    p.records.map((r) => {
      const input: RecordInput = {
        topic: p.topic,
        partition: p.partition,
        offset: r.offset,
        value: valueBytes(r, scenario.source),
        headers: r.headers.map(([name, bytes]) => [name, Uint8Array.from(bytes, (b) => b & 0xff)] as const),
      };
      if (r.key !== 'absent') input.key = r.key;
      return input;
    }),
  );
}

/** The ESM may deliver a partition with no records (`"t-0": []`). */
function withEmptyPartitions<E extends KafkaEvent>(event: E, scenario: Scenario): E {
  for (const p of scenario.partitions)
    if (p.records.length === 0) event.records[`${p.topic}-${p.partition}`] = [];
  return event;
}

/**
 * What a `kafka://` on-failure destination holds for each record (the invocation record with that one
 * record as its payload, some as JSON text), turned back into one event by core's fromFailureRecords.
 */
function onFailureEvent(scenario: Scenario): KafkaEvent {
  const esm = mskEvent(inputs(scenario), MSK);
  const failures: Array<string | object> = [];
  let i = 0;
  for (const [group, records] of Object.entries(esm.records)) {
    for (const record of records) {
      const failure = {
        requestContext: {
          requestId: `req-${i}`,
          functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:model-fn',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: '2026-12-01T00:00:00.000Z',
        KafkaBatchInfo: { batchSize: 1, recordInfo: { offset: String(record.offset), partition: group } },
        payload: {
          eventSource: esm.eventSource,
          eventSourceArn: esm.eventSourceArn,
          bootstrapServers: esm.bootstrapServers,
          records: { [group]: [record] },
        },
      };
      failures.push(i % 2 === 0 ? failure : JSON.stringify(failure));
      // The destination may hold a record twice (two failed attempts): fromFailureRecords keeps one.
      if (i % 3 === 2) failures.push(JSON.stringify(failure));
      i++;
    }
  }
  if (failures.length === 0) return withEmptyPartitions(esm, scenario);
  return withEmptyPartitions(fromFailureRecords(failures), { ...scenario, partitions: scenario.partitions });
}

export const SOURCES: readonly Source[] = ['msk', 'self-managed', 'sink', 'on-failure'];
