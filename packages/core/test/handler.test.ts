import {
  type BatchSummary,
  ConfigError,
  createKafkaHandler,
  DEAD_LETTER_HEADERS,
  hooks,
  isRetryable,
  json,
  type KafkaRecord,
  RecordDecodeError,
  RetryableError,
  string,
} from '@kafka-lambda/core';
import { DeadlineExceededError, DeliveryError, RecordProcessingError } from '@kafka-lambda/core/errors';
import type { OutgoingMessage } from '@kafka-lambda/core/producer';
import { describe, expect, it } from 'vitest';
import { b64, context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { ScriptedProducer } from './support/scripted-producer.js';

interface Trade {
  id: number;
  fail?: boolean;
}

// A broker's refusal without a librdkafka code.
const refused = (message: OutgoingMessage) => new Error(`broker refused message to ${message.topic}`);

const trades = (topic: string, partition: number, ids: number[], bad: number[] = []) =>
  ids.map((id) =>
    eventRecord(topic, partition, id, bad.includes(id) ? `{"id":${id},"fail":true}` : `{"id":${id}}`),
  );

function setup(onError: 'log' | 'dead-letter' | 'report' | 'retry-batch') {
  const producer = new ScriptedProducer({ reportsAt: 'flush' });
  const summaries: BatchSummary[] = [];
  const seen: string[] = [];
  const handler = createKafkaHandler({
    value: json<Trade>(),
    producer: producer.sendOnly(),
    onError: onError === 'dead-letter' ? { policy: onError, topic: 'trades.dlq' } : onError,
    logger: silentLogger,
    use: [hooks({ onBatchEnd: (summary) => summaries.push(summary) })],
    process(record, { produce }) {
      seen.push(`${record.partition}@${record.offset}`);
      produce({ topic: 'out', key: record.key, value: `settled-${record.value.id}` });
      if (record.value.fail) throw new Error(`cannot settle ${record.value.id}`);
    },
  });
  return { producer, summaries, seen, handler };
}

describe('createKafkaHandler', () => {
  it('processes every record in offset order within its partition and flushes once', async () => {
    const { producer, summaries, seen, handler } = setup('log');
    const result = await handler(
      mskEvent([...trades('t', 0, [1, 2, 3]), ...trades('t', 1, [7, 8])]),
      context(),
    );
    expect(result).toBeUndefined();
    expect(seen.filter((s) => s.startsWith('0@'))).toEqual(['0@1', '0@2', '0@3']);
    expect(seen.filter((s) => s.startsWith('1@'))).toEqual(['1@7', '1@8']);
    expect(producer.flushes).toBe(1);
    expect(producer.valuesOf('out')).toHaveLength(5);
    expect(summaries[0]).toMatchObject({ records: 5, succeeded: 5, failed: 0, produced: 5 });
  });

  it("'log': a failed record produces nothing and the batch succeeds", async () => {
    const { producer, summaries, handler } = setup('log');
    await expect(handler(mskEvent(trades('t', 0, [1, 2, 3], [2])), context())).resolves.toBeUndefined();
    expect(producer.valuesOf('out')).toEqual(['settled-1', 'settled-3']);
    expect(summaries[0]).toMatchObject({ succeeded: 2, failed: 1, produced: 2 });
  });

  it("'dead-letter': the failed record goes to the DLQ with its key, value, headers and error headers", async () => {
    const { producer, summaries, handler } = setup('dead-letter');
    const records = trades('orders.v1-eu', 4, [10, 11, 12], [11]);
    records[1]!.headers = [{ trace: [116, 49] }];
    await handler(mskEvent(records), context());
    const [letter, ...others] = producer.enqueued.filter((m) => m.topic === 'trades.dlq');
    expect(others).toHaveLength(0);
    expect(letter!.key?.toString()).toBe('key-11');
    expect(letter!.value?.toString()).toBe('{"id":11,"fail":true}');
    const headers = Object.fromEntries(letter!.headers!.map(([name, value]) => [name, value.toString()]));
    expect(headers).toMatchObject({
      trace: 't1',
      [DEAD_LETTER_HEADERS.reason]: 'process',
      [DEAD_LETTER_HEADERS.errorClass]: 'Error',
      [DEAD_LETTER_HEADERS.errorMessage]: 'cannot settle 11',
      [DEAD_LETTER_HEADERS.sourceTopic]: 'orders.v1-eu',
      [DEAD_LETTER_HEADERS.sourcePartition]: '4',
      [DEAD_LETTER_HEADERS.sourceOffset]: '11',
      [DEAD_LETTER_HEADERS.functionName]: 'test-fn',
    });
    expect(producer.valuesOf('out')).toEqual(['settled-10', 'settled-12']);
    expect(summaries[0]).toMatchObject({ failed: 1, deadLettered: 1, produced: 3 });
    expect(producer.flushes).toBe(1);
  });

  it("'report': stops the failing partition and reports its first failed offset; other partitions go on", async () => {
    const { producer, seen, summaries, handler } = setup('report');
    const result = await handler(
      mskEvent([...trades('a-b.c', 0, [5, 6, 7, 8], [6]), ...trades('x', 2, [1, 2])]),
      context(),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'a-b.c-0', offset: 6 } }] });
    expect(seen).not.toContain('0@7');
    expect(producer.valuesOf('out')).toEqual(['settled-5', 'settled-1', 'settled-2']);
    expect(summaries[0]).toMatchObject({ failed: 1, unprocessed: 2, reported: 1 });
  });

  it("'report' returns an empty list when everything succeeded", async () => {
    const { handler } = setup('report');
    await expect(handler(mskEvent(trades('t', 0, [1])), context())).resolves.toEqual({
      batchItemFailures: [],
    });
  });

  it("'retry-batch': fails the invocation with the failing record's location, after flushing", async () => {
    const { producer, handler } = setup('retry-batch');
    const error = await handler(mskEvent(trades('t', 0, [1, 2, 3], [2])), context()).catch((e) => e);
    expect(error).toBeInstanceOf(RecordProcessingError);
    expect(error.location).toEqual({ topic: 't', partition: 0, offset: 2 });
    expect(error.message).toContain('cannot settle 2');
    expect(producer.valuesOf('out')).toEqual(['settled-1']);
    expect(producer.flushes).toBe(1);
  });

  it('a broker refusing a produced message fails the invocation (never a silent success)', async () => {
    const { producer, handler } = setup('log');
    producer.failWhen = (message) =>
      message.value?.toString() === 'settled-2' ? refused(message) : undefined;
    const error = await handler(mskEvent(trades('t', 0, [1, 2, 3])), context()).catch((e) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.failures[0].source).toEqual({ topic: 't', partition: 0, offset: 2 });
  });

  it("'report': a refused delivery reports its source record", async () => {
    const { producer, handler } = setup('report');
    producer.failWhen = (message) =>
      message.value?.toString() === 'settled-2' ? refused(message) : undefined;
    const result = await handler(mskEvent(trades('t', 0, [1, 2, 3])), context());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 2 } }] });
  });

  it('a failed flush fails the invocation', async () => {
    const { producer, handler } = setup('dead-letter');
    producer.flushError = new Error('flush timed out');
    await expect(handler(mskEvent(trades('t', 0, [1])), context())).rejects.toThrow('flush timed out');
  });

  it('a dead letter that is not delivered fails the invocation', async () => {
    const { producer, handler } = setup('dead-letter');
    producer.failWhen = (message) => (message.topic === 'trades.dlq' ? refused(message) : undefined);
    await expect(handler(mskEvent(trades('t', 0, [1, 2], [2])), context())).rejects.toBeInstanceOf(
      DeliveryError,
    );
  });

  it('malformed base64 and undecodable JSON are record failures naming where they are', async () => {
    const errors: Error[] = [];
    const handler = createKafkaHandler({
      value: json<Trade>(),
      logger: silentLogger,
      use: [hooks({ onRecordError: (error) => errors.push(error) })],
      process() {},
    });
    await handler(
      mskEvent([eventRecord('t', 0, 1, null, { value: 'YW!j' }), eventRecord('t', 0, 2, '{not json')]),
      context(),
    );
    expect(errors.map((e) => e.constructor)).toEqual([RecordDecodeError, RecordDecodeError]);
    expect(errors[0]!.message).toContain('value of t-0@1: malformed base64');
    expect(errors[1]!.message).toBe('cannot decode value of t-0@2: value is not valid JSON (9 bytes)');
  });

  it('skips tombstones by default and hands them over as null with tombstones: process', async () => {
    const event = mskEvent([eventRecord('t', 0, 1, null), eventRecord('t', 0, 2, '{"id":2}')]);
    const skipped: Array<Trade> = [];
    const summaries: BatchSummary[] = [];
    await createKafkaHandler({
      value: json<Trade>(),
      logger: silentLogger,
      use: [hooks({ onBatchEnd: (s) => summaries.push(s) })],
      process: (record) => {
        skipped.push(record.value);
      },
    })(event, context());
    expect(skipped).toEqual([{ id: 2 }]);
    expect(summaries[0]).toMatchObject({ skipped: 1, succeeded: 1 });

    const values: Array<Trade | null> = [];
    await createKafkaHandler({
      value: json<Trade>(),
      tombstones: 'process',
      logger: silentLogger,
      process: (record) => {
        values.push(record.value);
      },
    })(event, context());
    expect(values).toEqual([null, { id: 2 }]);
  });

  it('decodes keys with the key deserializer and leaves absent keys null', async () => {
    const keys: Array<string | null> = [];
    await createKafkaHandler({
      key: string(),
      logger: silentLogger,
      process: (record) => {
        keys.push(record.key);
      },
    })(
      mskEvent([
        eventRecord('t', 0, 1, 'v'),
        eventRecord('t', 0, 2, 'v', { key: null }),
        eventRecord('t', 0, 3, 'v', { key: undefined }),
      ]),
      context(),
    );
    expect(keys).toEqual(['key-1', null, null]);
  });

  it('decodes keys of the built-in serdes on first read: a malformed key fails only a record that reads it', async () => {
    const errors: Error[] = [];
    const keys: Array<string | null> = [];
    const badKey = { key: 'a2V5!' };
    await createKafkaHandler({
      logger: silentLogger,
      use: [hooks({ onRecordError: (error) => errors.push(error) })],
      process(record) {
        if (record.offset === 2) keys.push(record.key);
      },
    })(mskEvent([eventRecord('t', 0, 1, 'v', badKey), eventRecord('t', 0, 2, 'v', badKey)]), context());
    expect(keys).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RecordDecodeError);
    expect(errors[0]!.message).toContain('key of t-0@2: malformed base64');
  });

  it('awaits async deserializers and async process, keeping partition order while partitions interleave', async () => {
    const log: string[] = [];
    const slowJson = { deserialize: async (bytes: Buffer) => JSON.parse(bytes.toString()) as Trade };
    await createKafkaHandler({
      value: slowJson,
      logger: silentLogger,
      concurrency: 2,
      async process(record) {
        log.push(`start ${record.partition}@${record.offset}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
        log.push(`end ${record.partition}@${record.offset}`);
      },
    })(mskEvent([...trades('t', 0, [1, 2]), ...trades('t', 1, [1, 2])]), context());
    const p0 = log.filter((line) => line.includes(' 0@'));
    expect(p0).toEqual(['start 0@1', 'end 0@1', 'start 0@2', 'end 0@2']);
    // Concurrency 2: partition 1 starts before partition 0 finishes.
    expect(log.indexOf('start 1@1')).toBeLessThan(log.indexOf('end 0@2'));
  });

  it('serializes produced values with the given serializer, and a serializer error fails the record', async () => {
    const producer = new ScriptedProducer({ reportsAt: 'flush' });
    const errors: Error[] = [];
    const upper = {
      serialize: (text: string) => {
        if (text === 'boom') throw new Error('no');
        return Buffer.from(text.toUpperCase());
      },
    };
    await createKafkaHandler({
      value: string(),
      producer: producer.sendOnly(),
      logger: silentLogger,
      use: [hooks({ onRecordError: (error) => errors.push(error) })],
      process(record, { produce }) {
        produce({ topic: 'out', value: record.value, serializer: upper, headers: { h: 'v' } });
      },
    })(mskEvent([eventRecord('t', 0, 1, 'hi'), eventRecord('t', 0, 2, 'boom')]), context());
    expect(producer.valuesOf('out')).toEqual(['HI']);
    expect(producer.enqueued[0]!.headers).toEqual([['h', Buffer.from('v')]]);
    expect(errors[0]!.message).toBe('no');
  });

  it('handles a 10,000-record batch with one flush', async () => {
    const producer = new ScriptedProducer({ reportsAt: 'flush' });
    const records = Array.from({ length: 10_000 }, (_, i) =>
      eventRecord('big', i % 4, Math.floor(i / 4), `{"id":${i}}`),
    );
    let count = 0;
    const handler = createKafkaHandler({
      value: json<Trade>(),
      producer: producer.sendOnly(),
      logger: silentLogger,
      process(record, { produce }) {
        count++;
        if (record.value.id % 100 === 0) produce({ topic: 'out', value: String(record.value.id) });
      },
    });
    await handler(mskEvent(records), context());
    expect(count).toBe(10_000);
    expect(producer.enqueued).toHaveLength(100);
    expect(producer.flushes).toBe(1);
  });

  it('stops starting records at the deadline: reported under report, a failure otherwise', async () => {
    const makeHandler = (onError: 'report' | 'log') =>
      createKafkaHandler({
        value: json<Trade>(),
        onError,
        deadlineReserveMs: 1_000,
        logger: silentLogger,
        async process() {
          await new Promise((resolve) => setTimeout(resolve, 30));
        },
      });
    const event = () => mskEvent(trades('t', 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    // 1,100 ms left and 1,000 kept back: about three 30 ms records fit.
    const reported = await makeHandler('report')(event(), context(1_100));
    const offset = reported!.batchItemFailures[0]!.itemIdentifier.offset;
    expect(offset).toBeGreaterThan(1);
    expect(offset).toBeLessThan(10);
    await expect(makeHandler('log')(event(), context(1_100))).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('aborts the signal handed to process when the deadline comes', async () => {
    let aborted: unknown;
    await createKafkaHandler({
      deadlineReserveMs: 950,
      onError: 'report',
      logger: silentLogger,
      async process(_record, { signal }) {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        aborted = signal.reason;
      },
    })(mskEvent([eventRecord('t', 0, 1, 'v')]), context(1_000));
    expect(aborted).toBeInstanceOf(DeadlineExceededError);
  });

  it('a failing error policy fails the invocation only after every partition stopped', async () => {
    const producer = new ScriptedProducer({ reportsAt: 'flush' });
    const handler = createKafkaHandler({
      value: string(),
      producer: producer.sendOnly(),
      onError: {
        policy: 'dead-letter',
        topic: () => {
          throw new Error('no dead-letter topic');
        },
      },
      logger: silentLogger,
      async process(record, { produce }) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (record.partition === 0) throw new Error('boom');
        produce({ topic: 'out', value: record.value });
      },
    });
    const event = mskEvent([
      eventRecord('t', 0, 1, 'a'),
      ...[1, 2, 3, 4].map((o) => eventRecord('t', 1, o, 'b')),
    ]);
    await expect(handler(event, context())).rejects.toThrow('no dead-letter topic');
    const sentWhenSettled = producer.enqueued.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(producer.enqueued.length).toBe(sentWhenSettled);
  });

  it.each([
    ['log', 'fails'],
    ['dead-letter', 'fails'],
    ['report', 'reports'],
  ] as const)(
    "'%s': a retryable error (also as a cause) is never skipped or dead-lettered: the invocation %s",
    async (onError, outcome) => {
      const producer = new ScriptedProducer({ reportsAt: 'flush' });
      const registryDown = Object.assign(new Error('GET /schemas/ids/7: connect ECONNREFUSED'), {
        retryable: true,
      });
      const handler = createKafkaHandler({
        value: {
          deserialize: (bytes: Buffer) =>
            bytes.toString() === 'needs-registry' ? Promise.reject(registryDown) : bytes.toString(),
        },
        producer: producer.sendOnly(),
        onError: onError === 'dead-letter' ? { policy: onError, topic: 'dlq' } : onError,
        logger: silentLogger,
        process(record, { produce }) {
          if (record.value === 'ledger-down') throw new RetryableError('ledger answered 503');
          produce({ topic: 'out', value: record.value });
        },
      });
      for (const bad of ['needs-registry', 'ledger-down']) {
        const event = mskEvent([
          eventRecord('t', 0, 1, 'ok'),
          eventRecord('t', 0, 2, bad),
          eventRecord('t', 0, 3, 'ok'),
        ]);
        const result = await handler(event, context()).catch((error) => error);
        if (outcome === 'reports')
          expect(result).toEqual({
            batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 2 } }],
          });
        else {
          expect(result).toBeInstanceOf(RecordProcessingError);
          expect(isRetryable(result)).toBe(true);
        }
      }
      expect(producer.valuesOf('dlq')).toEqual([]);
    },
  );

  it('rejects bad options up front', () => {
    // @ts-expect-error process is required
    expect(() => createKafkaHandler({})).toThrow(ConfigError);
    // @ts-expect-error dead-letter needs its topic: { policy: 'dead-letter', topic }
    expect(() => createKafkaHandler({ onError: 'dead-letter', process() {} })).toThrow(/needs its topic/);
    // @ts-expect-error not a policy
    expect(() => createKafkaHandler({ onError: 'ignore', process() {} })).toThrow(ConfigError);
  });

  it('produce without a producer fails the invocation (a configuration error drops no record, even under log)', async () => {
    const processed: number[] = [];
    const failure = await createKafkaHandler({
      logger: silentLogger,
      process(record: KafkaRecord<string, Buffer>, { produce }) {
        processed.push(record.offset);
        produce({ topic: 'x', value: 'y' });
      },
    })(mskEvent([eventRecord('t', 0, 1, 'v'), eventRecord('t', 0, 2, 'v')]), context()).catch(
      (error) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect(failure.message).toMatch(/producer/);
    expect(processed).toEqual([1]);
  });

  it('types record.value from the deserializer', () => {
    createKafkaHandler({
      key: string(),
      value: json<{ SYMBOL: string }>(),
      process(record) {
        const symbol: string = record.value.SYMBOL;
        const key: string | null = record.key;
        void symbol;
        void key;
      },
    });
    createKafkaHandler({
      value: json<{ SYMBOL: string }>(),
      tombstones: 'process',
      process(record) {
        // @ts-expect-error value may be null when tombstones are processed
        void record.value.SYMBOL;
      },
    });
    expect(b64('x')).toBe('eA==');
  });
});
