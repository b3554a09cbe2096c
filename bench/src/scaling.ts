import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';
import { SCALING } from './config.js';
import { encodePayload, lambdaContext, legsFor, makeEvent, makeTrade, noop } from './fixtures.js';
import { fmt, type Report } from './report.js';
import { mapSummary, summarize, timeRounds } from './stats.js';

/** Time per record across batch sizes (JSON ~200 B, no-op process): the per-record path must not grow. */
export async function benchScaling(report: Report): Promise<void> {
  const ctx = lambdaContext();
  const logger = jsonLogger({ write: noop });
  const handler = createKafkaHandler({ value: json(), logger, process: noop });
  const legs = legsFor('json', 200);
  const contenders = SCALING.sizes.map((size) => {
    const event = makeEvent({
      records: size,
      partitions: Math.min(4, size),
      value: (i) => encodePayload('json', makeTrade(i, legs)),
    });
    // Small batches are timed over many invocations: one sample is always 10,000 records.
    const invocations = Math.ceil(SCALING.recordsPerSample / size);
    return {
      name: String(size),
      size,
      invocations,
      run: async () => {
        for (let i = 0; i < invocations; i++) await handler(event, ctx);
      },
    };
  });
  const samples = await timeRounds(contenders, SCALING);
  const perRecord = new Map<number, number>();
  for (const c of contenders) {
    const value = mapSummary(summarize(samples.get(c.name)!), (ms) => (ms * 1000) / (c.invocations * c.size));
    perRecord.set(c.size, value.median);
    report.add({
      section: 'Scaling: time per record vs batch size (JSON ~200 B, no-op process)',
      scenario: `batch of ${fmt(c.size)}`,
      contender: 'kafka-lambda',
      unit: 'µs / record',
      value,
      note: `${fmt(c.invocations)} invocation(s) per sample`,
    });
  }
  const large = SCALING.sizes.filter((s) => s >= 100).map((s) => perRecord.get(s)!);
  const spread = Math.max(...large) / Math.min(...large);
  report.target(
    'Scaling: time per record flat from 100 to 10,000 records (max/min ≤ 1.3)',
    `${fmt(spread)} (${large.map(fmt).join(' / ')} µs)`,
    spread <= 1.3,
  );
  await concurrency(report);
}

/** 16 partitions whose `process` awaits 1 ms of simulated I/O, at concurrency 1, 4 and 16 (ordering 'partition'). */
async function concurrency(report: Report): Promise<void> {
  const ctx = lambdaContext();
  const records = SCALING.partitions * SCALING.recordsPerPartition;
  const event = makeEvent({
    records,
    partitions: SCALING.partitions,
    value: (i) => encodePayload('json', makeTrade(i, 0)),
  });
  const sleep = () => new Promise<void>((resolve) => setTimeout(resolve, SCALING.ioMs));
  const contenders = SCALING.concurrency.map((concurrency) => {
    const handler = createKafkaHandler({
      value: json(),
      logger: jsonLogger({ write: noop }),
      concurrency,
      process: sleep,
    });
    return { name: String(concurrency), run: () => handler(event, ctx) };
  });
  const samples = await timeRounds(contenders, {
    warmup: 1,
    iterations: Math.max(3, SCALING.iterations >> 1),
  });
  const base = summarize(samples.get('1')!).median;
  for (const c of contenders) {
    const value = summarize(samples.get(c.name)!);
    report.add({
      section: `Scaling: partitions processed concurrently (${SCALING.partitions} partitions × ${SCALING.recordsPerPartition} records, process awaits ${SCALING.ioMs} ms)`,
      scenario: `concurrency ${c.name}`,
      contender: 'kafka-lambda',
      unit: 'ms / batch',
      value,
      rate: { ...mapSummary(value, (ms) => records / (ms / 1000)), unit: 'rec/s' },
      ratio: `${fmt(base / value.median)}× concurrency 1`,
    });
  }
  const at16 = base / summarize(samples.get('16')!).median;
  report.target(
    'Scaling: 16 concurrent partitions ≥ 12× the throughput of 1 (1 ms I/O per record)',
    `${fmt(at16)}×`,
    at16 >= 12,
  );
}
