// The batch's accounting against a producer whose reports arrive as librdkafka's do (by themselves,
// not at flush): each invocation is judged by its own messages, the deadline bounds every wait, and
// every record ends processed, dead-lettered, reported, or the invocation fails. The same claims
// against the real broker are in test/reliability/batch-accounting.int.test.ts.
import {
  type BatchSummary,
  createKafkaHandler,
  DEAD_LETTER_HEADERS,
  type ErrorPolicy,
  hooks,
  json,
  type Logger,
} from '@kafka-lambda/core';
import {
  DeadlineExceededError,
  DeliveryError,
  FlushTimeoutError,
  InvalidEventError,
  InvalidProduceRequestError,
  LateProduceError,
  RecordProcessingError,
} from '@kafka-lambda/core/errors';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';
import { deliveryError, ScriptedProducer } from './support/scripted-producer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One output per record, to `out` unless the value says otherwise. */
function copyHandler(
  producer: ScriptedProducer,
  onError: ErrorPolicy = 'retry-batch',
  logger: Logger = silentLogger,
) {
  const summaries: BatchSummary[] = [];
  const handler = createKafkaHandler({
    value: json<{ id: number; to?: string; big?: number }>(),
    producer,
    onError: onError === 'dead-letter' ? { policy: onError, topic: 'dlq' } : onError,
    logger,
    use: [hooks({ onBatchEnd: (summary) => summaries.push({ ...summary }) })],
    process(record, { produce }) {
      const value = record.value.big ? 'x'.repeat(record.value.big) : `out-${record.value.id}`;
      produce({ topic: record.value.to ?? 'out', key: record.key, value });
    },
  } as Parameters<typeof createKafkaHandler<string, { id: number; to?: string; big?: number }>>[0]);
  return { handler, summaries };
}

const trades = (values: object[], partition = 0, from = 0) =>
  values.map((value, i) => eventRecord('trades', partition, from + i, JSON.stringify(value)));

describe('each invocation is judged by its own messages', () => {
  it("one invocation's undeliverable leftovers neither fail nor delay the next", async () => {
    const producer = new ScriptedProducer();
    producer.holdWhen = (message) => message.topic === 'stuck';
    const { handler } = copyHandler(producer);

    const started = Date.now();
    const first = await handler(mskEvent(trades([{ id: 1, to: 'stuck' }])), context(1_500)).catch((e) => e);
    expect(first).toBeInstanceOf(FlushTimeoutError);
    expect(first.topics).toEqual(['stuck']);
    expect(first.message).toContain('stuck');
    expect(Date.now() - started).toBeLessThan(1_500);

    // The leftover is still held by the producer; its report will come during the next invocation.
    expect(producer.held).toBe(1);
    const next = handler(mskEvent(trades([{ id: 2 }, { id: 3 }], 0, 1)), context(60_000));
    producer.failWhen = (message) =>
      message.topic === 'stuck' ? deliveryError('Local: Message timed out', -192) : undefined;
    producer.release();
    await expect(next).resolves.toBeUndefined();
  });

  it('two invocations at once do not wait for each other', async () => {
    const producer = new ScriptedProducer();
    producer.holdWhen = (message) => message.topic === 'stuck';
    const { handler } = copyHandler(producer);
    const slow = handler(mskEvent(trades([{ id: 1, to: 'stuck' }])), context(60_000));
    const fast = handler(mskEvent(trades([{ id: 2 }], 1)), context(60_000));
    await expect(fast).resolves.toBeUndefined();
    producer.release();
    await expect(slow).resolves.toBeUndefined();
  });

  it('a late report of a failed invocation is not counted in the next one', async () => {
    const producer = new ScriptedProducer();
    producer.holdWhen = (message) => message.topic === 'stuck';
    const { handler, summaries } = copyHandler(producer);
    await handler(mskEvent(trades([{ id: 1, to: 'stuck' }])), context(1_000)).catch(() => undefined);
    producer.holdWhen = () => false;
    const next = handler(mskEvent(trades([{ id: 2 }], 0, 1)), context(60_000));
    producer.release(); // delivered now, during the next invocation
    await next;
    expect(summaries.at(-1)).toMatchObject({ records: 1, succeeded: 1, produced: 1 });
  });
});

describe('the deadline bounds every wait', () => {
  it('a process() that ignores its signal and never settles: our DeadlineExceededError before the time runs out', async () => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      producer,
      logger: silentLogger,
      deadlineReserveMs: 600,
      process: () => new Promise<void>(() => undefined),
    });
    const started = Date.now();
    const failure = await handler(mskEvent(trades([{ id: 1 }, { id: 2 }])), context(1_500)).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(failure).toBeInstanceOf(DeadlineExceededError);
    expect(failure.unprocessed).toBe(2);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('a process() cut off by the deadline that rejects with its own cancel error is unprocessed, not failed (log)', async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({
      logger,
      deadlineReserveMs: 500,
      process: (_record, { signal }) =>
        new Promise<void>((_resolve, reject) => {
          // axios's CanceledError: no cause, no AbortError name.
          signal.addEventListener('abort', () =>
            reject(Object.assign(new Error('canceled'), { name: 'CanceledError', code: 'ERR_CANCELED' })),
          );
        }),
    });
    const failure = await handler(mskEvent(trades([{ id: 1 }])), context(1_000)).catch((e) => e);
    expect(failure).toBeInstanceOf(DeadlineExceededError);
    expect(logger.lines.filter((line) => line.message.startsWith('record failed'))).toEqual([]);
  });

  it('the same under dead-letter: the healthy record is not dead-lettered', async () => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger: silentLogger,
      deadlineReserveMs: 500,
      process: (_record, { signal }) =>
        new Promise<void>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(new Error('request aborted by the caller')));
        }),
    });
    const failure = await handler(mskEvent(trades([{ id: 1 }])), context(1_000)).catch((e) => e);
    expect(failure).toBeInstanceOf(DeadlineExceededError);
    expect(producer.enqueued).toEqual([]);
  });

  it('rejects a deadlineReserveMs that is not a number of milliseconds', () => {
    for (const reserve of [Number.NaN, -1, Number.POSITIVE_INFINITY, '500' as never, 15 * 60_000]) {
      expect(() => createKafkaHandler({ deadlineReserveMs: reserve, process() {} })).toThrow(
        /deadlineReserveMs/,
      );
    }
  });
});

describe('a delivery that can never succeed fails its record, under its policy', () => {
  const tooLarge = () => deliveryError('Broker: Message size too large', 10, true);

  it('dead-letter: the record is dead-lettered, the others delivered, the invocation succeeds', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (message) => (message.value!.length > 1_000 ? tooLarge() : undefined);
    const { handler, summaries } = copyHandler(producer, 'dead-letter');
    await expect(
      handler(mskEvent(trades([{ id: 1 }, { id: 2, big: 5_000 }, { id: 3 }])), context()),
    ).resolves.toBeUndefined();
    const dlq = producer.delivered.filter((m) => m.topic === 'dlq');
    expect(dlq).toHaveLength(1);
    const headers = new Map(dlq[0]!.headers!.map(([name, value]) => [name, value.toString()]));
    expect(headers.get(DEAD_LETTER_HEADERS.reason)).toBe('deliver');
    expect(headers.get(DEAD_LETTER_HEADERS.sourceOffset)).toBe('1');
    expect(summaries[0]).toMatchObject({ succeeded: 2, failed: 1, deadLettered: 1 });
  });

  it('the broker refuses a whole record batch for one oversized value: only that record fails, its batch-mates are delivered', async () => {
    const producer = new ScriptedProducer();
    producer.topicMaxBytes = 1_000;
    const { handler, summaries } = copyHandler(producer, 'dead-letter');
    await handler(mskEvent(trades([{ id: 1 }, { id: 2, big: 5_000 }, { id: 3 }])), context());
    expect(producer.delivered.map((m) => m.value!.toString().slice(0, 5))).toEqual(
      expect.arrayContaining(['out-1', 'out-3']),
    );
    const dlq = producer.delivered.filter((m) => m.topic === 'dlq');
    expect(
      dlq.map((m) =>
        new Map(m.headers!.map(([n, v]) => [n, v.toString()])).get(DEAD_LETTER_HEADERS.sourceOffset),
      ),
    ).toEqual(['1']);
    expect(summaries[0]).toMatchObject({ succeeded: 2, failed: 1, deadLettered: 1, produced: 3 });
  });

  it('report: the record is reported', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (message) => (message.value!.length > 1_000 ? tooLarge() : undefined);
    const { handler } = copyHandler(producer, 'report');
    const result = await handler(mskEvent(trades([{ id: 1 }, { id: 2, big: 5_000 }, { id: 3 }])), context());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'trades-0', offset: 1 } }] });
  });

  it('log: logged, and the invocation succeeds', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (message) => (message.value!.length > 1_000 ? tooLarge() : undefined);
    const logger = captureLogger();
    const { handler } = copyHandler(producer, 'log', logger);
    await expect(handler(mskEvent(trades([{ id: 1, big: 5_000 }])), context())).resolves.toBeUndefined();
    const line = logger.lines.find((l) => l.message.startsWith('record failed'))!;
    expect(line.fields).toMatchObject({ topic: 'trades', offset: 0, stage: 'deliver' });
  });

  it('retry-batch: the invocation fails with the record named', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (message) => (message.value!.length > 1_000 ? tooLarge() : undefined);
    const { handler } = copyHandler(producer, 'retry-batch');
    const failure = await handler(mskEvent(trades([{ id: 1, big: 5_000 }])), context()).catch((e) => e);
    expect(failure).toBeInstanceOf(RecordProcessingError);
    expect(failure.location).toEqual({ topic: 'trades', partition: 0, offset: 0 });
  });

  it('a transient delivery error fails the invocation (dead-letter too: it may succeed on retry)', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = () => deliveryError('Local: Message timed out', -192);
    const { handler } = copyHandler(producer, 'dead-letter');
    const failure = await handler(mskEvent(trades([{ id: 1 }])), context()).catch((e) => e);
    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure.failures[0]).toMatchObject({ topic: 'out', source: { topic: 'trades', offset: 0 } });
  });

  it("a dead letter of a record near the size limit fits the producer's message.max.bytes", async () => {
    const producer = new ScriptedProducer();
    producer.maxMessageBytes = 100_000;
    const value = JSON.stringify({ id: 1, pad: 'y'.repeat(99_000) });
    const handler = createKafkaHandler({
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger: silentLogger,
      process() {
        throw new RangeError(`invalid: ${'why '.repeat(2_000)}`);
      },
    });
    await handler(
      mskEvent([
        eventRecord('trades', 0, 0, value, { headers: [{ trace: [...Buffer.from('t'.repeat(500))] }] }),
      ]),
      context(),
    );
    const [letter] = producer.delivered;
    const size =
      (letter!.key?.length ?? 0) +
      (letter!.value?.length ?? 0) +
      letter!.headers!.reduce((sum, [name, bytes]) => sum + name.length + bytes.length, 0);
    expect(size).toBeLessThan(100_000);
    const headers = new Map(letter!.headers!.map(([name, bytes]) => [name, bytes.toString()]));
    expect(headers.get(DEAD_LETTER_HEADERS.valueTruncated)).toBe(String(value.length));
    expect(headers.get('trace')).toBe('t'.repeat(500));
    expect(letter!.value!.toString()).toBe(value.slice(0, letter!.value!.length));
  });
});

describe('no silent loss', () => {
  it('a produce() after its record finished fails the invocation loudly, without throwing at the call', async () => {
    const producer = new ScriptedProducer();
    const logger = captureLogger();
    let late: Promise<unknown> | undefined;
    const handler = createKafkaHandler({
      producer,
      logger,
      value: json<{ id: number }>(),
      async process(record, { produce }) {
        if (record.offset === 0) {
          // Fire-and-forget: the record ends before this produce() runs.
          late = sleep(5).then(() => produce({ topic: 'out', value: 'late' }));
          late.catch(() => undefined);
          return;
        }
        await sleep(20);
        produce({ topic: 'out', value: `out-${record.value.id}` });
      },
    });
    const failure = await handler(mskEvent(trades([{ id: 1 }, { id: 2 }])), context()).catch((e) => e);
    expect(failure).toBeInstanceOf(LateProduceError);
    // A throw there would be an unhandled rejection in code nobody awaits: the call returns.
    await expect(late).resolves.toBeUndefined();
    expect(
      logger.lines.some(
        (l) => l.level === 'error' && /produce\(\) after its record finished/.test(l.message),
      ),
    ).toBe(true);
    // Not staged into the next record's outputs.
    expect(producer.enqueued.map((m) => m.value?.toString())).not.toContain('late');
  });

  it('produce({ value: 42 }) fails that record at the call, with a typed error', async () => {
    const producer = new ScriptedProducer();
    const errors: Error[] = [];
    const handler = createKafkaHandler({
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger: silentLogger,
      use: [hooks({ onRecordError: (error) => errors.push(error) })],
      value: json<{ id: number }>(),
      process(record, { produce }) {
        produce({ topic: 'out', value: (record.value.id === 2 ? 42 : 'ok') as never });
      },
    });
    await expect(
      handler(mskEvent(trades([{ id: 1 }, { id: 2 }, { id: 3 }])), context()),
    ).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidProduceRequestError);
    expect((errors[0] as InvalidProduceRequestError).field).toBe('`value`');
    // Dead letters go out once the records have run (every record failing alike would send none).
    expect(producer.delivered.map((m) => m.topic)).toEqual(['out', 'out', 'dlq']);
  });

  it('a producer whose enqueue throws fails that message, and the invocation does not hang', async () => {
    const producer = new ScriptedProducer();
    producer.enqueue = () => {
      throw deliveryError('Local: Invalid argument or configuration', -186);
    };
    const { handler } = copyHandler(producer);
    const failure = await handler(mskEvent(trades([{ id: 1 }])), context()).catch((e) => e);
    expect(failure).toBeInstanceOf(DeliveryError);
  });

  it('nothing a finished batch enqueued is handed over after it returned (the signal is aborted)', async () => {
    const producer = new ScriptedProducer();
    const signals: AbortSignal[] = [];
    const enqueue = producer.enqueue.bind(producer);
    producer.enqueue = (message, done, signal) => {
      signals.push(signal!);
      enqueue(message, done, signal);
    };
    const { handler } = copyHandler(producer);
    await handler(mskEvent(trades([{ id: 1 }])), context());
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
  });
});

describe('events and results', () => {
  it('a malformed event is a rejected promise, never a synchronous throw, and logged as an error', async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({ logger, process() {} });
    let result: Promise<unknown> | undefined;
    expect(() => {
      result = handler({ eventSource: 'aws:kafka', records: { 't-0': [{ topic: 't' }] } }, context());
    }).not.toThrow();
    await expect(result).rejects.toBeInstanceOf(InvalidEventError);
    expect(logger.lines.at(-1)).toMatchObject({ level: 'error', fields: { requestId: 'req-1' } });
  });

  it('rejects what the batch relies on: offsets out of order, header bytes that are not bytes', async () => {
    const handler = createKafkaHandler({ logger: silentLogger, process() {} });
    const unordered = mskEvent([eventRecord('t', 0, 5, 'a'), eventRecord('t', 0, 4, 'b')]);
    await expect(handler(unordered, context())).rejects.toThrow(/records\["t-0"\]\[1\]\.offset/);
    const badBytes = mskEvent([eventRecord('t', 0, 1, 'a', { headers: [{ h: [1, 2.5] }] })]);
    await expect(handler(badBytes, context())).rejects.toThrow(/headers\[0\]\.h/);
  });

  it('a failed invocation logs an ERROR line with its outcome; every line carries the request id', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = () => deliveryError('Local: Message timed out', -192);
    const logger = captureLogger();
    const { handler } = copyHandler(producer, 'retry-batch', logger);
    await handler(mskEvent(trades([{ id: 1 }])), context()).catch(() => undefined);
    const last = logger.lines.at(-1)!;
    expect(last.level).toBe('error');
    expect(last.fields).toMatchObject({ records: 1, error: { name: 'DeliveryError' } });
    for (const line of logger.lines)
      expect(line.fields).toMatchObject({ requestId: 'req-1', functionName: 'test-fn' });
  });

  it('"sent to the dead-letter topic" is logged only once the broker acknowledged the dead letter', async () => {
    const producer = new ScriptedProducer();
    producer.holdWhen = (message) => message.topic === 'dlq';
    const logger = captureLogger();
    const handler = createKafkaHandler({
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger,
      process() {
        throw new Error('bad trade');
      },
    });
    const running = handler(mskEvent(trades([{ id: 1 }])), context());
    await sleep(50);
    expect(logger.lines.filter((l) => l.message.includes('dead-letter topic'))).toEqual([]);
    producer.release();
    await running;
    expect(logger.lines.filter((l) => l.message.includes('sent to the dead-letter topic'))).toHaveLength(1);
  });
});
