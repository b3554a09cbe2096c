import { createKafkaHandler, type Logger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidBatchResponseError,
  InvocationTimeoutError,
  RetriesExhaustedError,
} from '../src/runner/errors.js';
import { InProcessInvoker } from '../src/runner/in-process-invoker.js';
import type { EventSourceLoop } from '../src/runner/loop.js';
import { resolveSettings, startLoop } from '../src/runner/run-event-source.js';
import type { EventSourceOptions, LocalHandler } from '../src/runner/types.js';
import { MemorySource } from './helpers/memory-source.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const running: EventSourceLoop[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((loop) => loop.stop()));
});

async function start(source: MemorySource, handler: LocalHandler, options: Partial<EventSourceOptions> = {}) {
  const settings = resolveSettings({
    brokers: 'memory:9092',
    topics: ['t'],
    handler,
    batchWindowMs: 20,
    retryBackoffMs: 1,
    logger: silent,
    ...options,
  });
  const loop = await startLoop(settings, source, new InProcessInvoker(handler, 'fn'));
  running.push(loop);
  return loop;
}

/** Offsets per partition, in the order the handler saw them. */
function recorder() {
  const seen: string[] = [];
  const events: KafkaEvent[] = [];
  const record = (event: KafkaEvent) => {
    events.push(event);
    for (const [key, records] of Object.entries(event.records))
      for (const r of records) seen.push(`${key}@${r.offset}`);
  };
  return { seen, events, record };
}

const values = (n: number, prefix = 'v') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('event source loop (in-memory source)', () => {
  it('cuts batches at batchSize, sends the rest when the window closes, and commits each', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(25));
    const { record, events } = recorder();
    const loop = await start(source, (event) => void record(event), { batchSize: 10 });
    await loop.waitFor((stats) => stats.recordsCommitted === 25);
    expect(loop.batches.map((b) => [b.records.length, b.trigger])).toEqual([
      [10, 'size'],
      [10, 'size'],
      [5, 'window'],
    ]);
    expect(loop.batches.map((b) => b.committed)).toEqual([{ 't-0': 10 }, { 't-0': 20 }, { 't-0': 25 }]);
    expect(source.committed.get('t-0')).toBe(25);
    // The event is the ESM's shape: decodable by core, signed header bytes, bootstrapServers, no ARN.
    const first = events[0]!;
    expect(first.eventSource).toBe('SelfManagedKafka');
    expect(first.bootstrapServers).toBe('memory:9092');
    expect(first.records['t-0']![0]).toMatchObject({
      topic: 't',
      partition: 0,
      offset: 0,
      key: 'azA=',
      headers: [{ h: [-1] }],
    });
  });

  it('retries a failing batch whole, keeps order, skips nothing', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(6));
    source.append('t', 1, values(6));
    const { seen, record } = recorder();
    let failures = 0;
    const loop = await start(
      source,
      (event) => {
        record(event);
        if (event.records['t-0']?.some((r) => r.offset === 3) && failures < 2) {
          failures++;
          throw new Error('transient');
        }
      },
      { batchSize: 4 },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 12);
    expect(loop.stats.errors).toBe(2);
    expect(loop.stats.retries).toBeGreaterThanOrEqual(2);
    for (const key of ['t-0', 't-1']) {
      const offsets = seen.filter((s) => s.startsWith(`${key}@`)).map((s) => Number(s.split('@')[1]));
      // Every offset delivered; first deliveries in order; a retry restarts at the batch's first offset.
      expect(new Set(offsets)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
      const firstSeen = offsets.filter((o, i) => offsets.indexOf(o) === i);
      expect(firstSeen).toEqual([0, 1, 2, 3, 4, 5]);
    }
    expect(
      loop.batches.filter((b) => b.outcome === 'error').every((b) => b.retried.length === b.records.length),
    ).toBe(true);
    expect(source.committed.get('t-0')).toBe(6);
    expect(source.committed.get('t-1')).toBe(6);
  });

  it('resumes a partition at the offset reported in batchItemFailures', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(8));
    const { seen, record } = recorder();
    let reported = false;
    const loop = await start(
      source,
      (event) => {
        record(event);
        if (!reported && event.records['t-0']?.some((r) => r.offset === 5)) {
          reported = true;
          return { batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 5 } }] };
        }
        return { batchItemFailures: [] };
      },
      { batchSize: 8, reportBatchItemFailures: true },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 8);
    expect(loop.batches[0]).toMatchObject({ outcome: 'partial', committed: { 't-0': 5 } });
    expect(loop.batches[0]!.retried.map((r) => r.offset)).toEqual([5, 6, 7]);
    expect(loop.batches[1]).toMatchObject({ trigger: 'retry', outcome: 'success', committed: { 't-0': 8 } });
    expect(loop.batches[1]!.records.map((r) => r.offset)).toEqual([5, 6, 7]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 5, 6, 7].map((o) => `t-0@${o}`));
  });

  it('ignores batchItemFailures unless reportBatchItemFailures is on (as Lambda does)', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(3));
    const loop = await start(source, () => ({
      batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 1 } }],
    }));
    await loop.waitFor((stats) => stats.recordsCommitted === 3);
    expect(loop.stats.partialFailures).toBe(0);
  });

  it('treats a report naming a record outside the batch as a failure of the whole batch', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(3));
    let calls = 0;
    const loop = await start(
      source,
      () =>
        ++calls === 1
          ? { batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 99 } }] }
          : undefined,
      { reportBatchItemFailures: true },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 3);
    expect(loop.batches[0]!.error).toBeInstanceOf(InvalidBatchResponseError);
    expect(loop.batches[0]!.committed).toEqual({});
    expect(loop.batches[1]!.records.map((r) => r.offset)).toEqual([0, 1, 2]);
  });

  it('stops loudly after maxRetries when told to stop: nothing committed past the failure', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(4));
    const errors: string[] = [];
    const logger: Logger = { ...silent, error: (message) => void errors.push(message) };
    const loop = await start(
      source,
      (event) => {
        if (event.records['t-0']?.some((r) => r.offset === 2)) throw new Error('poison');
      },
      { batchSize: 2, maxRetries: 2, logger },
    );
    const failure = await loop.done.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetriesExhaustedError);
    expect((failure as RetriesExhaustedError).records.map((r) => r.offset)).toEqual([2, 3]);
    expect((failure as RetriesExhaustedError).attempts).toBe(3);
    expect(loop.stats.invocations).toBe(4); // one good batch, then 1 + 2 retries of the poisoned one
    expect(source.committed.get('t-0')).toBe(2);
    expect(errors.some((message) => message.startsWith('RETRIES EXHAUSTED'))).toBe(true);
    expect(source.closed).toBe(true);
    await expect(loop.waitFor(() => false)).rejects.toBe(failure);
  });

  it('skips loudly after maxRetries when told to skip, and reports what it skipped', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(6));
    const skipped: number[] = [];
    const loop = await start(
      source,
      (event) => {
        if (event.records['t-0']?.some((r) => r.offset === 2)) throw new Error('poison');
      },
      {
        batchSize: 2,
        maxRetries: 1,
        onRetriesExhausted: 'skip',
        onSkip: (records) => skipped.push(...records.map((r) => r.offset)),
      },
    );
    await loop.waitFor((stats) => stats.committed['t-0'] === 6);
    expect(skipped).toEqual([2, 3]);
    expect(loop.stats.skipped).toBe(2);
    expect(loop.stats.invocations).toBe(4); // [0,1], [2,3] twice, [4,5]
  });

  it('counts a handler that outlives the timeout as failed', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(1));
    let calls = 0;
    const loop = await start(
      source,
      () => {
        calls++;
        return calls === 1 ? new Promise(() => undefined) : undefined;
      },
      { timeoutMs: 30 },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 1);
    expect(loop.batches[0]!.error).toBeInstanceOf(InvocationTimeoutError);
  });

  it('keeps one batch in flight per partition while running partitions concurrently', async () => {
    const source = new MemorySource();
    for (const partition of [0, 1, 2]) source.append('t', partition, values(12));
    const inFlight = new Set<string>();
    let overlap = 0;
    let maxConcurrent = 0;
    const loop = await start(
      source,
      async (event) => {
        const keys = Object.keys(event.records);
        if (keys.some((key) => inFlight.has(key))) overlap++;
        for (const key of keys) inFlight.add(key);
        maxConcurrent = Math.max(maxConcurrent, inFlight.size);
        await new Promise((resolve) => setTimeout(resolve, 10));
        for (const key of keys) inFlight.delete(key);
      },
      { batchSize: 3, concurrency: 3 },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 36);
    expect(overlap).toBe(0);
    expect(maxConcurrent).toBeGreaterThan(1);
  });

  it('keeps a batch under the payload cap', async () => {
    const source = new MemorySource();
    source.append(
      't',
      0,
      Array.from({ length: 10 }, () => Buffer.alloc(3_000, 1)),
    );
    const loop = await start(source, () => undefined, {
      batchSize: 100,
      maxPayloadBytes: 10_000,
      batchWindowMs: 100,
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 10);
    expect(loop.batches.every((b) => b.payloadBytes <= 10_000)).toBe(true);
    expect(loop.batches.slice(0, -1).every((b) => b.trigger === 'payload')).toBe(true);
    const sizes = loop.batches.map((b) => b.records.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    for (const batch of loop.batches) {
      const json = JSON.stringify({
        eventSource: 'SelfManagedKafka',
        bootstrapServers: 'memory:9092',
        records: {},
      });
      expect(batch.payloadBytes).toBeGreaterThan(json.length + batch.records.length * 4_000);
    }
  });

  it('stops gracefully: the in-flight batch finishes and commits, nothing new starts', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(10));
    let release!: () => void;
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const loop = await start(
      source,
      () =>
        new Promise<void>((resolve) => {
          started();
          release = resolve;
        }),
      { batchSize: 4 },
    );
    await inFlight;
    const stopping = loop.stop();
    release();
    const stats = await stopping;
    expect(stats.invocations).toBe(1);
    expect(source.committed.get('t-0')).toBe(4);
    expect(source.closed).toBe(true);
    await expect(loop.done).resolves.toBe(stats);
  });

  it('drives a createKafkaHandler under report: a poisoned record is retried from its offset', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(5));
    let failures = 0;
    const handler = createKafkaHandler({
      value: { deserialize: (bytes: Buffer) => bytes.toString() },
      onError: 'report',
      logger: silent,
      process(record) {
        if (record.offset === 3 && failures++ === 0) throw new Error('once');
      },
    });
    const loop = await start(source, handler as LocalHandler, {
      reportBatchItemFailures: true,
      batchSize: 5,
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 5);
    expect(loop.batches.map((b) => b.records.map((r) => r.offset))).toEqual([
      [0, 1, 2, 3, 4],
      [3, 4],
    ]);
  });

  it('rejects bad options with typed errors', () => {
    const base = { brokers: 'b:9092', topics: ['t'], handler: () => undefined };
    for (const bad of [
      { batchSize: 0 },
      { batchSize: 10_001 },
      { batchWindowMs: 300_001 },
      { topics: [] },
      { brokers: '' },
      { maxRetries: -2 },
      { handler: undefined },
      { onRetriesExhausted: 'drop' as 'skip' },
    ]) {
      expect(() => resolveSettings({ ...base, ...bad }), JSON.stringify(bad)).toThrow(InvalidTestInputError);
    }
  });
});

describe('closing what the handler opened', () => {
  /** A handler shaped like createKafkaHandler's: a function with a `producer` that records its closes. */
  function handlerWithProducer(fail = false) {
    const closes: Array<number | undefined> = [];
    const handler = Object.assign(
      async () => {
        if (fail) throw new Error('boom');
      },
      { producer: { close: async (timeoutMs?: number) => void closes.push(timeoutMs) } },
    );
    return { handler, closes };
  }

  async function startWith(
    handler: LocalHandler,
    closeProducer: boolean,
    options: Partial<EventSourceOptions> = {},
  ) {
    const source = new MemorySource();
    source.append('t', 0, values(3));
    const settings = resolveSettings({
      brokers: 'memory:9092',
      topics: ['t'],
      handler,
      batchWindowMs: 5,
      retryBackoffMs: 1,
      logger: silent,
      ...options,
    });
    return startLoop(settings, source, new InProcessInvoker(handler, 'fn', closeProducer));
  }

  it('stop() closes handler.producer once, so a script following the runEventSource sample can end', async () => {
    const { handler, closes } = handlerWithProducer();
    const loop = await startWith(handler, true);
    await loop.waitFor((stats) => stats.recordsCommitted === 3);
    expect(closes).toEqual([]);
    await loop.stop();
    await loop.stop();
    expect(closes).toEqual([2_000]);
  });

  it('a runner that stops on exhausted retries closes it too; closeHandlerProducer: false leaves it open', async () => {
    const failing = handlerWithProducer(true);
    const loop = await startWith(failing.handler, true, { maxRetries: 1 });
    await expect(loop.done).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(failing.closes).toEqual([2_000]);

    const kept = handlerWithProducer();
    const other = await startWith(kept.handler, false);
    await other.waitFor((stats) => stats.recordsCommitted === 3);
    await other.stop();
    expect(kept.closes).toEqual([]);
  });

  it('rejects a closeHandlerProducer that is not a boolean', () => {
    expect(() =>
      resolveSettings({
        brokers: 'b:9092',
        topics: ['t'],
        handler: () => undefined,
        closeHandlerProducer: 'yes' as never,
      }),
    ).toThrow(InvalidTestInputError);
  });
});

describe('rebalance while a batch is in flight (concurrency > 1)', () => {
  function gatedHandler() {
    const deliveries: string[] = [];
    let inFlight = 0;
    let maxInFlightPerPartition = 0;
    const perPartition = new Map<string, number>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler: LocalHandler = async (event) => {
      const keys = Object.keys(event.records);
      for (const key of keys) {
        perPartition.set(key, (perPartition.get(key) ?? 0) + 1);
        maxInFlightPerPartition = Math.max(maxInFlightPerPartition, perPartition.get(key)!);
        for (const r of event.records[key]!) deliveries.push(`${key}@${r.offset}`);
      }
      inFlight++;
      if (keys.includes('t-0')) await gate;
      inFlight--;
      for (const key of keys) perPartition.set(key, perPartition.get(key)! - 1);
    };
    return {
      handler,
      deliveries,
      release,
      maxInFlight: () => maxInFlightPerPartition,
      inFlight: () => inFlight,
    };
  }

  it('assigned back at once: the re-delivered records in flight are not invoked again, and the batch commits', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(5));
    source.append('t', 1, values(5));
    const gated = gatedHandler();
    const loop = await start(source, gated.handler, { concurrency: 2, batchSize: 5 });
    await waitUntil(() => gated.deliveries.includes('t-0@4'));
    source.rebalance('t', 0, { reassign: true });
    source.append('t', 0, values(2, 'late'));
    await new Promise((resolve) => setTimeout(resolve, 80)); // polls re-deliver t-0@0..6 meanwhile
    gated.release();
    await loop.waitFor((stats) => stats.committed['t-0'] === 7 && stats.committed['t-1'] === 5);
    const p0 = gated.deliveries.filter((d) => d.startsWith('t-0@'));
    expect(p0).toEqual(['t-0@0', 't-0@1', 't-0@2', 't-0@3', 't-0@4', 't-0@5', 't-0@6']);
    expect(gated.maxInFlight()).toBe(1);
  });

  it('taken away for good: the batch in flight finishes but commits nothing, and nothing of it is retried', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(3));
    const gated = gatedHandler();
    const loop = await start(source, gated.handler, { concurrency: 2, batchSize: 3 });
    await waitUntil(() => gated.deliveries.includes('t-0@2'));
    source.rebalance('t', 0, { reassign: false });
    gated.release();
    await waitUntil(() => gated.inFlight() === 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(loop.stats.committed['t-0']).toBeUndefined();
    expect(gated.deliveries).toEqual(['t-0@0', 't-0@1', 't-0@2']);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
