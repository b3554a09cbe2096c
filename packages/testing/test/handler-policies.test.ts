import {
  ConfigError,
  createKafkaHandler,
  DEAD_LETTER_HEADERS,
  type ErrorPolicy,
  json,
  type Logger,
} from '@kafka-lambda/core';
import {
  DeadlineExceededError,
  DeliveryError,
  FlushTimeoutError,
  RecordProcessingError,
} from '@kafka-lambda/core/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext, manualClock, memoryProducer, mskEvent } from '../src/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Order {
  id: number;
  fail?: boolean;
}

// Two partitions; partition 0 fails at its second record (offset 101).
function ordersEvent() {
  return mskEvent(
    [
      { key: 'a', value: { id: 1 }, headers: { 'trace-id': 't1' } },
      { key: 'b', value: { id: 2, fail: true }, headers: { 'trace-id': 't2' } },
      { key: 'c', value: { id: 3 } },
      { partition: 1, key: 'd', value: { id: 4 } },
      { partition: 1, key: 'e', value: { id: 5 } },
    ],
    { topic: 'orders' },
  );
}

function handlerWith(policy: ErrorPolicy, producer = memoryProducer()) {
  const processed: number[] = [];
  const handler = createKafkaHandler({
    value: json<Order>(),
    producer,
    onError: policy,
    deadLetterTopic: 'orders.dlq',
    logger: silent,
    concurrency: 1,
    process(record, { produce }) {
      if (record.value.fail) throw new Error(`order ${record.value.id} is broken`);
      processed.push(record.value.id);
      produce({ topic: 'settled', key: record.key, value: JSON.stringify({ settled: record.value.id }) });
    },
  });
  return { handler, producer, processed };
}

describe('a handler under each error policy, driven by the builders', () => {
  it('log: skips the failed record, settles the rest, flushes once before returning', async () => {
    const { handler, producer, processed } = handlerWith('log');
    await expect(handler(ordersEvent(), lambdaContext())).resolves.toBeUndefined();
    expect(processed).toEqual([1, 3, 4, 5]);
    producer.expectFlushedOnce();
    producer.expectNothingPending();
    expect(producer.jsonFor('settled')).toEqual([
      { settled: 1 },
      { settled: 3 },
      { settled: 4 },
      { settled: 5 },
    ]);
  });

  it('dead-letter: writes the original record plus error headers, continues', async () => {
    const { handler, producer, processed } = handlerWith('dead-letter');
    await expect(handler(ordersEvent(), lambdaContext({ functionName: 'settler' }))).resolves.toBeUndefined();
    expect(processed).toEqual([1, 3, 4, 5]);
    producer.expectFlushedOnce();
    const [dead] = producer.messagesFor('orders.dlq');
    expect(producer.messagesFor('orders.dlq')).toHaveLength(1);
    expect(dead!.keyText()).toBe('b');
    expect(dead!.json()).toEqual({ id: 2, fail: true });
    expect(dead!.headers.getString('trace-id')).toBe('t2');
    expect(dead!.headers.getString(DEAD_LETTER_HEADERS.reason)).toBe('process');
    expect(dead!.headers.getString(DEAD_LETTER_HEADERS.sourceTopic)).toBe('orders');
    expect(dead!.headers.getString(DEAD_LETTER_HEADERS.sourcePartition)).toBe('0');
    expect(dead!.headers.getString(DEAD_LETTER_HEADERS.sourceOffset)).toBe('101');
    expect(dead!.headers.getString(DEAD_LETTER_HEADERS.errorMessage)).toBe('order 2 is broken');
    expect(dead!.headers.getString(DEAD_LETTER_HEADERS.functionName)).toBe('settler');
  });

  it('report: stops the failing partition at its failure and reports that offset; other partitions finish', async () => {
    const { handler, producer, processed } = handlerWith('report');
    const result = await handler(ordersEvent(), lambdaContext());
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 101 } }],
    });
    expect(processed).toEqual([1, 4, 5]);
    expect(producer.jsonFor('settled')).toEqual([{ settled: 1 }, { settled: 4 }, { settled: 5 }]);
    producer.expectFlushedOnce();
  });

  it('report: an empty batchItemFailures list when all succeed', async () => {
    const { handler } = handlerWith('report');
    const event = mskEvent([{ value: { id: 1 } }]);
    await expect(handler(event, lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
  });

  it('retry-batch: fails the invocation after flushing what succeeded (at-least-once)', async () => {
    const { handler, producer, processed } = handlerWith('retry-batch');
    const failure = await handler(ordersEvent(), lambdaContext()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RecordProcessingError);
    expect((failure as RecordProcessingError).location).toEqual({
      topic: 'orders',
      partition: 0,
      offset: 101,
    });
    expect(processed).not.toContain(3);
    producer.expectNothingPending();
  });

  it('a failed delivery fails the invocation (log policy), so the ESM retries and nothing is lost', async () => {
    const producer = memoryProducer().failWhen((m) => m.key?.toString() === 'c');
    const { handler } = handlerWith('log', producer);
    await expect(handler(ordersEvent(), lambdaContext())).rejects.toBeInstanceOf(DeliveryError);
    producer.expectFlushedOnce();
  });

  it('a failed delivery under report reports its source record', async () => {
    const producer = memoryProducer().failWhen((m) => m.key?.toString() === 'e');
    const { handler } = handlerWith('report', producer);
    const result = await handler(ordersEvent(), lambdaContext());
    expect(result?.batchItemFailures).toEqual(
      expect.arrayContaining([
        { itemIdentifier: { partition: 'orders-0', offset: 101 } },
        { itemIdentifier: { partition: 'orders-1', offset: 101 } },
      ]),
    );
    expect(result?.batchItemFailures).toHaveLength(2);
  });

  it('a dead letter that cannot be delivered fails the invocation', async () => {
    const producer = memoryProducer().failTopic('orders.dlq');
    const { handler } = handlerWith('dead-letter', producer);
    await expect(handler(ordersEvent(), lambdaContext())).rejects.toBeInstanceOf(DeliveryError);
  });

  it('a flush that times out fails the invocation under every policy', async () => {
    for (const policy of ['log', 'dead-letter', 'report', 'retry-batch'] as const) {
      const producer = memoryProducer().timeoutNextFlush();
      const { handler } = handlerWith(policy, producer);
      const event = mskEvent([{ value: { id: 1 } }]);
      await expect(handler(event, lambdaContext()), policy).rejects.toBeInstanceOf(FlushTimeoutError);
    }
  });

  it('the flush timeout comes from the remaining invocation time (manual clock)', async () => {
    const clock = manualClock();
    const producer = memoryProducer();
    const handler = createKafkaHandler({
      producer,
      logger: silent,
      process(record, { produce }) {
        clock.advance(3_000);
        produce({ topic: 'out', value: record.rawValue });
      },
    });
    await handler(mskEvent([{ value: 'x' }]), lambdaContext({ timeoutMs: 10_000, clock }));
    // 10 s - 3 s spent processing - core's 200 ms margin.
    expect(producer.flushTimeouts).toEqual([6_800]);
  });
});

describe('the deadline guard', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function slowHandler(policy: ErrorPolicy) {
    const processed: number[] = [];
    const handler = createKafkaHandler({
      value: json<Order>(),
      onError: policy,
      logger: silent,
      deadlineReserveMs: 1_000,
      process(record) {
        processed.push(record.value.id);
        // Each record "takes" 5 s of the 10 s invocation; with a 1 s reserve nothing starts after 9 s: the third must not.
        vi.setSystemTime(Date.now() + 5_000);
      },
    });
    return { handler, processed };
  }

  const event = () =>
    mskEvent(
      [1, 2, 3, 4].map((id) => ({ value: { id } })),
      { topic: 'slow' },
    );

  it('report: stops starting records and reports the first unprocessed one', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const { handler, processed } = slowHandler('report');
    const result = await handler(event(), lambdaContext({ timeoutMs: 10_000 }));
    expect(processed).toEqual([1, 2]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'slow-0', offset: 102 } }] });
  });

  it('log: stops and fails the invocation so the batch is retried', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const { handler, processed } = slowHandler('log');
    const failure = await handler(event(), lambdaContext({ timeoutMs: 10_000 })).catch(
      (error: unknown) => error,
    );
    expect(processed).toEqual([1, 2]);
    expect(failure).toBeInstanceOf(DeadlineExceededError);
    expect((failure as DeadlineExceededError).unprocessed).toBe(2);
  });

  it('a deadlineReserveMs longer than the invocation is a ConfigError, not the same offset reported forever', async () => {
    const processed: number[] = [];
    const handler = createKafkaHandler({
      onError: 'report',
      deadlineReserveMs: 1_000,
      logger: silent,
      process(record) {
        processed.push(record.offset);
      },
    });
    const failure = await handler(event(), lambdaContext({ timeoutMs: 500 })).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/deadlineReserveMs \(1000 ms\) leaves no time/);
    expect(processed).toEqual([]);
  });
});
