import { Metrics } from '@aws-lambda-powertools/metrics';
import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';
import { idempotency } from '@kafka-lambda/idempotency';
import {
  emfDocument,
  KAFKA_METRICS,
  kafkaMetrics,
  ObservabilityConfigError,
  recordAge,
} from '@kafka-lambda/observability';
import { lambdaContext, memoryProducer, mskEvent } from '@kafka-lambda/testing';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ExtractedMetric, parseEmf } from './emf-parser.js';

const silent = jsonLogger({ level: 'silent' });
const byName = (metrics: ExtractedMetric[]) => Object.fromEntries(metrics.map((m) => [m.name, m]));

/** A batch of five: one succeeds, one dead-lettered, one tombstone skipped, two left unprocessed by 'report'. */
async function mixedBatch(instrumentation: ReturnType<typeof kafkaMetrics>, now: number) {
  const producer = memoryProducer();
  const handler = createKafkaHandler({
    value: json<{ n: number }>(),
    logger: silent,
    producer,
    onError: 'dead-letter',
    deadLetterTopic: 'dlq',
    use: [instrumentation],
    process(record, { produce }) {
      if (record.value.n === 2) throw new Error('two');
      produce({ topic: 'out', key: null, value: 'ok' });
      produce({ topic: 'out', key: null, value: 'ok again' });
    },
  });
  await handler(
    mskEvent(
      [
        { value: { n: 1 }, timestamp: now - 9_000 },
        { value: { n: 2 }, timestamp: now - 3_000 },
        { value: null, timestamp: now - 1_000 },
      ],
      { topic: 'trades' },
    ),
    lambdaContext({ functionName: 'settle', awsRequestId: 'req-7' }),
  );
}

describe('kafkaMetrics: EMF lines, read as CloudWatch reads them', () => {
  it('one line per invocation: counts by outcome, produced, flush time and record age, with FunctionName and Topic dimensions', async () => {
    const lines: string[] = [];
    const now = Date.now();
    await mixedBatch(
      kafkaMetrics({ namespace: 'Trades', dimensions: { Environment: 'test' }, write: (l) => lines.push(l) }),
      now,
    );
    expect(lines).toHaveLength(1);
    const metrics = parseEmf(lines[0]!);
    const m = byName(metrics);
    expect(metrics.every((x) => x.namespace === 'Trades')).toBe(true);
    expect(m.Records!.dimensions).toEqual({ FunctionName: 'settle', Topic: 'trades', Environment: 'test' });
    expect(
      Object.fromEntries(metrics.filter((x) => x.unit === 'Count').map((x) => [x.name, x.value])),
    ).toEqual({
      Records: 3,
      Succeeded: 1,
      Failed: 1,
      DeadLettered: 1,
      Unprocessed: 0,
      Reported: 0,
      Skipped: 1,
      AlreadyProcessed: 0,
      Produced: 3, // two outputs and one dead letter
      InvocationFailed: 0,
    });
    expect(m.FlushTime).toMatchObject({ unit: 'Milliseconds' });
    // The record age is taken when the batch starts: the oldest record is ~9 s old, the mean ~4.3 s.
    expect(m.RecordAgeMax!.value).toBeGreaterThanOrEqual(9_000);
    expect(m.RecordAgeMax!.value).toBeLessThan(9_000 + 2_000);
    expect(m.RecordAgeMean!.value).toBeGreaterThanOrEqual(Math.round(13_000 / 3));
    expect(m.RecordAgeMean!.value).toBeLessThan(13_000 / 3 + 2_000);
    // Searchable, not a dimension: the request id ties the line to the invocation's logs.
    expect(JSON.parse(lines[0]!).requestId).toBe('req-7');
  });

  it('a batch delivered again with idempotent records counts AlreadyProcessed, not Succeeded', async () => {
    const lines: string[] = [];
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      use: [idempotency({ store: memoryIdempotencyStore() }), kafkaMetrics({ write: (l) => lines.push(l) })],
      logger: jsonLogger({ write() {} }),
      process() {},
    });
    const event = mskEvent([{ value: { id: 1 } }, { value: { id: 2 } }], { topic: 'trades' });
    await handler(event, lambdaContext({ functionName: 'settle' }));
    await handler(event, lambdaContext({ functionName: 'settle' }));
    const [first, again] = lines.map((line) => byName(parseEmf(line)));
    expect([first!.Succeeded!.value, first!.AlreadyProcessed!.value]).toEqual([2, 0]);
    expect([again!.Succeeded!.value, again!.AlreadyProcessed!.value]).toEqual([0, 2]);
  });

  it('a failed invocation still writes its line, with InvocationFailed 1 and Unprocessed / Reported counted', async () => {
    const lines: string[] = [];
    const handler = createKafkaHandler({
      logger: silent,
      onError: 'report',
      use: [
        kafkaMetrics({ write: (l) => lines.push(l), topicDimension: false, functionNameDimension: false }),
      ],
      process(record) {
        if (record.offset === 101) throw new Error('stop here');
      },
    });
    const result = await handler(mskEvent([{ value: 'a' }, { value: 'b' }, { value: 'c' }]), lambdaContext());
    expect(result?.batchItemFailures).toHaveLength(1);
    const m = byName(parseEmf(lines[0]!));
    expect(m.Records!.namespace).toBe('KafkaLambda');
    expect(m.Records!.dimensions).toEqual({});
    expect([m.Succeeded!.value, m.Failed!.value, m.Unprocessed!.value, m.Reported!.value]).toEqual([
      1, 1, 1, 1,
    ]);

    const failing = createKafkaHandler({
      logger: silent,
      onError: 'retry-batch',
      use: [kafkaMetrics({ write: (l) => lines.push(l) })],
      process() {
        throw new Error('no');
      },
    });
    await expect(failing(mskEvent([{ value: 'a' }]), lambdaContext())).rejects.toThrow();
    expect(byName(parseEmf(lines[1]!)).InvocationFailed!.value).toBe(1);
    expect(JSON.parse(lines[1]!).error).toBe('RecordProcessingError');
  });

  it('writes to stdout by default, one unprefixed JSON line', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const handler = createKafkaHandler({ logger: silent, use: [kafkaMetrics()], process() {} });
      await handler(mskEvent([{ value: 'a' }]), lambdaContext());
      const emf = write.mock.calls.map(([chunk]) => String(chunk)).filter((c) => c.includes('_aws'));
      expect(emf).toHaveLength(1);
      expect(emf[0]!.endsWith('\n')).toBe(true);
      expect(byName(parseEmf(emf[0]!.trimEnd())).Records!.value).toBe(1);
    } finally {
      write.mockRestore();
    }
  });

  it('emfDocument splits more than 100 metrics into several directives', () => {
    const metrics = Array.from({ length: 150 }, (_, i) => ({
      name: `M${i}`,
      unit: 'Count' as const,
      value: i,
    }));
    const doc = emfDocument({ namespace: 'N', dimensions: { D: 'd' }, metrics, timestamp: Date.now() });
    expect((doc._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics).toHaveLength(2);
    expect(parseEmf(JSON.stringify(doc))).toHaveLength(150);
  });

  it('recordAge: max and mean of now − timestamp; future timestamps count as 0, missing ones not at all', () => {
    const records = [{ timestamp: 1_000 }, { timestamp: 4_000 }, { timestamp: 20_000 }, { timestamp: 0 }];
    const age = recordAge([{ topic: 't', partition: 0, records: records as never }], 10_000);
    expect(age).toEqual({ count: 3, maxMs: 9_000, meanMs: (9_000 + 6_000 + 0) / 3 });
    expect(recordAge([], 10)).toEqual({ count: 0, maxMs: 0, meanMs: 0 });
  });
});

describe('kafkaMetrics through a Powertools Metrics instance', () => {
  afterEach(() => vi.restoreAllMocks());

  it('adds the dimensions and metrics to it and publishes once per invocation (its own EMF line)', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const metrics = new Metrics({ namespace: 'PowertoolsNs', serviceName: 'settlement' });
    await mixedBatch(kafkaMetrics({ metrics }), Date.now());
    const lines = write.mock.calls
      .map(([chunk]) => String(chunk).trimEnd())
      .filter((c) => c.includes('_aws'));
    write.mockRestore();
    expect(lines).toHaveLength(1);
    const extracted = parseEmf(lines[0]!);
    const m = byName(extracted);
    expect(m.Records).toMatchObject({ namespace: 'PowertoolsNs', value: 3 });
    expect(m.Records!.dimensions).toMatchObject({
      service: 'settlement',
      FunctionName: 'settle',
      Topic: 'trades',
    });
    expect([m.DeadLettered!.value, m.Produced!.value, m.RecordAgeMax!.unit]).toEqual([1, 3, 'Milliseconds']);
    expect(Object.keys(m).sort()).toEqual(Object.values(KAFKA_METRICS).sort());
  });
});

describe('kafkaMetrics: options', () => {
  it('rejects a bad namespace, a bad dimension, too many dimensions and what is not a Metrics instance', () => {
    expect(() => kafkaMetrics({ namespace: ' ' })).toThrow(ObservabilityConfigError);
    expect(() => kafkaMetrics({ dimensions: { Stage: '' } })).toThrow(/dimensions.Stage/);
    const many = Object.fromEntries(Array.from({ length: 29 }, (_, i) => [`D${i}`, 'x']));
    expect(() => kafkaMetrics({ dimensions: many })).toThrow(/at most 30 dimensions/);
    expect(() => kafkaMetrics({ dimensions: many, topicDimension: false })).not.toThrow();
    expect(() => kafkaMetrics({ metrics: { addMetric() {} } as never })).toThrow(/Powertools/);
    expect(() => kafkaMetrics({ write: 'stdout' as never })).toThrow(/write/);
  });
});
