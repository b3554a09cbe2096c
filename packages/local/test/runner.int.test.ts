import { createKafkaHandler, type Logger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventSourceOptions, type EventSourceRunner, runEventSource } from '../src/index.js';
import { brokers, committedOffsets, createTopic, groupId, produce } from './helpers/kafka.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const runners: EventSourceRunner[] = [];

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

async function run(options: Omit<EventSourceOptions, 'brokers'>): Promise<EventSourceRunner> {
  const runner = await runEventSource({ brokers: brokers(), logger: silent, retryBackoffMs: 20, ...options });
  runners.push(runner);
  return runner;
}

/** `value` strings per partition, in the order the handler first saw them, and every delivery. */
function recorder() {
  const firstSeen = new Map<number, string[]>();
  const deliveries: string[] = [];
  const record = (event: KafkaEvent) => {
    for (const records of Object.values(event.records)) {
      for (const r of records) {
        const value = Buffer.from(r.value!, 'base64').toString();
        deliveries.push(`${r.partition}@${r.offset}`);
        const list = firstSeen.get(r.partition) ?? [];
        if (!list.includes(value)) list.push(value);
        firstSeen.set(r.partition, list);
      }
    }
  };
  return { firstSeen, deliveries, record };
}

const messages = (partitions: number, perPartition: number) =>
  Array.from({ length: partitions }, (_, partition) =>
    Array.from({ length: perPartition }, (_, i) => ({
      partition,
      key: `k${i}`,
      value: `p${partition}-${i}`,
    })),
  ).flat();

describe('runEventSource against a real broker', () => {
  it('retries a batch that failed on one record; nothing is skipped and partition order is kept', async () => {
    const topic = await createTopic(2);
    await produce(topic, messages(2, 20));
    const group = groupId();
    const { firstSeen, record } = recorder();
    let failed = 0;
    const runner = await run({
      topics: [topic],
      groupId: group,
      batchSize: 6,
      batchWindowMs: 50,
      handler: (event) => {
        record(event);
        const poisoned = event.records[`${topic}-0`]?.some((r) => r.offset === 7);
        if (poisoned && failed < 2) {
          failed++;
          throw new Error('transient failure on p0@7');
        }
      },
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 40, 30_000);
    expect(runner.stats.errors).toBe(2);
    expect(runner.stats.skipped).toBe(0);
    for (const partition of [0, 1]) {
      expect(firstSeen.get(partition)).toEqual(Array.from({ length: 20 }, (_, i) => `p${partition}-${i}`));
    }
    await runner.stop();
    expect(await committedOffsets(group, topic, 2)).toEqual([20, 20]);
  });

  it('resumes a partition at the offset a partial batch response reports', async () => {
    const topic = await createTopic(1);
    await produce(topic, messages(1, 10));
    const { deliveries, record } = recorder();
    let thrown = false;
    const inner = createKafkaHandler({
      value: { deserialize: (bytes: Buffer) => bytes.toString() },
      onError: 'report',
      logger: silent,
      logSummary: false,
      process(r) {
        if (r.offset === 6 && !thrown) {
          thrown = true;
          throw new Error('fails once');
        }
      },
    });
    const runner = await run({
      topics: [topic],
      batchSize: 10,
      batchWindowMs: 1_000,
      reportBatchItemFailures: true,
      handler: (event, context) => {
        record(event);
        return inner(event, context);
      },
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 10, 30_000);
    const [first, second] = runner.batches;
    expect(first).toMatchObject({ outcome: 'partial', committed: { [`${topic}-0`]: 6 } });
    expect(second!.records.map((r) => r.offset)).toEqual([6, 7, 8, 9]);
    expect(deliveries).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `0@${i}`),
      '0@6',
      '0@7',
      '0@8',
      '0@9',
    ]);
  });

  it('honours the batch size, then the batching window for what is left', async () => {
    const topic = await createTopic(1);
    await produce(topic, messages(1, 25));
    const runner = await run({
      topics: [topic],
      batchSize: 10,
      batchWindowMs: 2_000,
      handler: () => undefined,
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 25, 30_000);
    expect(runner.batches.map((b) => [b.records.length, b.trigger])).toEqual([
      [10, 'size'],
      [10, 'size'],
      [5, 'window'],
    ]);
  });

  it('waits for the window to gather records into one batch', async () => {
    const topic = await createTopic(3);
    await produce(topic, messages(3, 2));
    const runner = await run({
      topics: [topic],
      batchSize: 100,
      batchWindowMs: 1_500,
      handler: () => undefined,
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 6, 30_000);
    expect(runner.batches).toHaveLength(1);
    expect(runner.batches[0]).toMatchObject({ trigger: 'window' });
    expect(new Set(runner.batches[0]!.records.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));
  });

  it('stops gracefully: the in-flight batch commits, and a restart resumes exactly there', async () => {
    const topic = await createTopic(1);
    await produce(topic, messages(1, 30));
    const group = groupId();
    const processed: number[] = [];
    let startedBatches = 0;
    let inSecondBatch!: () => void;
    const secondBatchStarted = new Promise<void>((resolve) => {
      inSecondBatch = resolve;
    });
    const handler = async (event: KafkaEvent) => {
      if (++startedBatches === 2) inSecondBatch();
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const r of event.records[`${topic}-0`] ?? []) processed.push(r.offset);
    };
    const first = await run({ topics: [topic], groupId: group, batchSize: 5, batchWindowMs: 10, handler });
    await secondBatchStarted;
    const stats = await first.stop();
    // The batch in flight when stop() was called finished and was committed; nothing started after it.
    expect(stats.invocations).toBe(2);
    expect(processed).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(await committedOffsets(group, topic, 1)).toEqual([10]);

    const second = await run({ topics: [topic], groupId: group, batchSize: 5, batchWindowMs: 10, handler });
    await second.waitFor((s) => s.recordsCommitted === 20, 30_000);
    await second.stop();
    // No record lost, none processed twice.
    expect(processed).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(await committedOffsets(group, topic, 1)).toEqual([30]);
  });
});
