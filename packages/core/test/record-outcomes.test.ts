// Issue 23's findings about a record's fate, each as it was found: every test here failed on the
// engine that decided a record's outcome in many places (before RecordOutcomes).
import { ConfigError, createKafkaHandler, hooks, json, RecordDecodeError } from '@kafka-lambda/core';
import { DeadLetterError, EveryRecordFailedError } from '@kafka-lambda/core/errors';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';
import { deliveryError, ScriptedProducer } from './support/scripted-producer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const values = (...items: Array<Record<string, unknown>>) =>
  mskEvent(items.map((value, i) => eventRecord('trades', 0, 10 + i, JSON.stringify(value))));

/** A query builder's shape: a thenable that runs only when `then` is called, and is no Promise. */
function lazyQuery(run: () => void, fail?: Error) {
  return {
    // biome-ignore lint/suspicious/noThenProperty: the point of the test is a thenable that is not a Promise
    then(resolve: (value: unknown) => void, reject: (error: unknown) => void) {
      setTimeout(() => {
        run();
        if (fail) reject(fail);
        else resolve(1);
      }, 1);
    },
  };
}

let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('1. a process() returning a thenable that is not a native Promise', () => {
  for (const onError of ['log', 'retry-batch', 'report'] as const) {
    it(`is awaited: a lazy query runs, its rejection fails the record (${onError})`, async () => {
      const ran: number[] = [];
      const handler = createKafkaHandler({
        value: json<{ id: number }>(),
        onError: { policy: onError, allFailedAlike: 'apply-policy' },
        logger: silentLogger,
        process: (record) =>
          lazyQuery(
            () => ran.push(record.value.id),
            record.value.id === 2 ? new Error('insert refused') : undefined,
          ) as unknown as Promise<void>,
      });
      const outcome = await handler(values({ id: 1 }, { id: 2 }, { id: 3 }), context()).then(
        (result) => ({ result }),
        (error: Error) => ({ error }),
      );
      if (onError === 'log') {
        expect(outcome).toEqual({ result: undefined });
        expect(ran).toEqual([1, 2, 3]);
      }
      if (onError === 'retry-batch') {
        expect((outcome as { error: Error }).error.message).toMatch(/insert refused/);
        expect(ran).toEqual([1, 2]);
      }
      if (onError === 'report') {
        expect(outcome).toEqual({
          result: { batchItemFailures: [{ itemIdentifier: { partition: 'trades-0', offset: 11 } }] },
        });
      }
    });
  }
});

describe('2. a ConfigError in the cause chain', () => {
  it('fails the invocation under log instead of dropping every record', async () => {
    const handler = createKafkaHandler({
      value: {
        deserialize: () => {
          throw new RecordDecodeError({ topic: 'trades', partition: 0, offset: 10 }, 'value', 'no registry', {
            cause: new ConfigError('the secret has no schema.registry.url'),
          });
        },
      },
      onError: 'log',
      logger: silentLogger,
      process() {},
    });
    await expect(handler(values({ id: 1 }), context())).rejects.toBeInstanceOf(ConfigError);
  });

  it('with idempotency, completes no key', async () => {
    const store = memoryIdempotencyStore();
    const handler = createKafkaHandler({
      onError: 'log',
      logger: silentLogger,
      use: [idempotency({ store })],
      process() {
        throw new Error('wrapped', { cause: new ConfigError('missing KAFKA_SECRET_ID') });
      },
    });
    await expect(handler(values({ id: 1 }), context())).rejects.toBeInstanceOf(ConfigError);
    expect([...store.entries().values()].filter((e) => e.state === 'completed')).toEqual([]);
  });
});

describe('3. an output delivered on the oversized re-send', () => {
  it('marks its record delivered: its key completes, and a redelivery does not run it again', async () => {
    const producer = new ScriptedProducer();
    producer.topicMaxBytes = 100;
    const store = memoryIdempotencyStore();
    let runs = 0;
    const handler = createKafkaHandler({
      value: json<{ id: number; big?: boolean }>(),
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger: silentLogger,
      use: [idempotency({ store })],
      process(record, { produce }) {
        runs++;
        produce({ topic: 'out', value: record.value.big ? 'x'.repeat(200) : `ok-${record.value.id}` });
      },
    });
    const event = values({ id: 1 }, { id: 2, big: true });
    await handler(event, context());
    // The first record's output travelled with the oversized one, was refused with it, then sent alone.
    expect(producer.delivered.filter((m) => m.topic === 'out').map((m) => m.value?.toString())).toEqual([
      'ok-1',
    ]);
    producer.topicMaxBytes = undefined;
    runs = 0;
    await handler(event, context());
    expect(runs).toBe(0);
    expect(producer.delivered.filter((m) => m.topic === 'out')).toHaveLength(1);
  });
});

describe('a refusal while other deliveries are unconfirmed (found by the model)', () => {
  it('is not decided: the batch-mate of an oversized message is not failed, and its key is not completed', async () => {
    const producer = new ScriptedProducer();
    producer.topicMaxBytes = 100; // one oversized value makes the broker refuse its whole record batch
    producer.holdWhen = (m) => m.topic === 'held'; // a broker that does not answer
    const store = memoryIdempotencyStore();
    const outputs: string[] = [];
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      logger: silentLogger,
      onError: { policy: 'log', allFailedAlike: 'apply-policy' },
      deadlineReserveMs: 500,
      use: [idempotency({ store })],
      process(record, { produce }) {
        const id = record.value.id;
        outputs.push(`run-${id}`);
        if (id === 3) produce({ topic: 'held', value: 'h' });
        else produce({ topic: 'out', value: id === 2 ? 'x'.repeat(200) : `ok-${id}` });
      },
    });
    const event = values({ id: 1 }, { id: 2 }, { id: 3 });
    await expect(handler(event, context(1_500))).rejects.toThrow();
    expect([...store.entries().values()].filter((e) => e.state === 'completed')).toEqual([]);
    // The ESM's retry, once the broker answers: the first record runs again and its output is delivered.
    producer.holdWhen = () => false;
    producer.topicMaxBytes = undefined;
    outputs.length = 0;
    await handler(event, context());
    expect(outputs).toContain('run-1');
    expect(producer.delivered.map((m) => m.value?.toString())).toContain('ok-1');
  });
});

describe('4. two refused outputs of one record', () => {
  it('fail it once: one dead letter, one onRecordError, a summary that adds up', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) =>
      m.topic === 'refused' ? deliveryError('Broker: Topic authorization failed', 29, true) : undefined;
    const errors: Error[] = [];
    const summaries: Array<Record<string, number>> = [];
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger: silentLogger,
      use: [
        hooks({
          onRecordError: (error) => void errors.push(error),
          onBatchEnd: (summary) => void summaries.push({ ...summary }),
        }),
      ],
      process(record, { produce }) {
        if (record.value.id === 1) {
          produce({ topic: 'refused', value: 'a' });
          produce({ topic: 'refused', value: 'b' });
        } else produce({ topic: 'out', value: 'fine' });
      },
    });
    await handler(values({ id: 1 }, { id: 2 }), context());
    expect(producer.delivered.filter((m) => m.topic === 'dlq')).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ records: 2, succeeded: 1, failed: 1, deadLettered: 1 });
  });
});

describe('an output refused for good after its record succeeded (found by the model)', () => {
  it('ends the record once, with its final outcome', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) =>
      m.topic === 'refused' ? deliveryError('Broker: Invalid topic', 17, true) : undefined;
    const ends: Array<[number, string]> = [];
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      logger: silentLogger,
      use: [
        {
          name: 'observer',
          startBatch: () => ({ recordEnd: (r, outcome) => void ends.push([r.offset, outcome]) }),
        },
      ],
      process(record, { produce }) {
        produce({ topic: record.value.id === 1 ? 'refused' : 'out', value: 'v' });
      },
    });
    await handler(values({ id: 1 }, { id: 2 }), context());
    expect(ends.sort()).toEqual([
      [10, 'failed'],
      [11, 'succeeded'],
    ]);
  });
});

describe('a deadLetterTopic function that throws (found by the model)', () => {
  it("fails the invocation with the SDK's DeadLetterError naming the record, the function's error as cause", async () => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      onError: {
        policy: 'dead-letter',
        topic: () => {
          throw new Error('no route for this tenant');
        },
      },
      logger: silentLogger,
      process(record) {
        if (record.value.id === 2) throw new Error('poison');
      },
    });
    const error = await handler(values({ id: 1 }, { id: 2 }), context()).catch((e) => e);
    expect(error).toBeInstanceOf(DeadLetterError);
    expect(error).toMatchObject({ record: { topic: 'trades', partition: 0, offset: 11 } });
    expect(error.message).toMatch(/deadLetterTopic threw: no route for this tenant/);
    expect(error.cause.message).toBe('no route for this tenant');
    expect(producer.enqueued.filter((m) => m.topic !== 'out')).toEqual([]);
  });

  it('that returns no topic name fails it the same way', async () => {
    const handler = createKafkaHandler({
      producer: new ScriptedProducer(),
      onError: { policy: 'dead-letter', topic: (() => undefined) as unknown as () => string },
      logger: silentLogger,
      process() {
        throw new Error('poison');
      },
    });
    await expect(handler(values({ id: 1 }), context())).rejects.toThrow(
      /deadLetterTopic returned undefined, not a topic name/,
    );
  });
});

describe('7. produce() from a record that is already accounted for', () => {
  it('after the invocation returned: an ERROR line naming the record, no throw, nothing for the next invocation', async () => {
    const producer = new ScriptedProducer();
    const logger = captureLogger();
    let late: Promise<unknown> | undefined;
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      logger,
      process(record, { produce }) {
        if (record.value.id === 1) late = sleep(20).then(() => produce({ topic: 'out', value: 'late' }));
      },
    });
    await handler(values({ id: 1 }), context());
    await expect(late).resolves.toBeUndefined();
    const line = logger.lines.find(
      (l) => l.level === 'error' && /after the invocation ended/.test(l.message),
    );
    expect(line?.fields.error).toMatchObject({ record: { topic: 'trades', partition: 0, offset: 10 } });
    await expect(handler(values({ id: 2 }), context())).resolves.toBeUndefined();
    expect(producer.enqueued.map((m) => m.value?.toString())).not.toContain('late');
    expect(unhandled).toEqual([]);
  });

  it('from a record the batch gave up on at the deadline: loud, and the record comes again', async () => {
    const producer = new ScriptedProducer();
    const logger = captureLogger();
    let late: Promise<unknown> | undefined;
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      logger,
      onError: 'report',
      deadlineReserveMs: 600,
      process(_record, { produce }) {
        // Ignores its signal, and produces after the batch stopped waiting for it.
        late = sleep(1_000).then(() => produce({ topic: 'out', value: 'too late' }));
        return late as Promise<void>;
      },
    });
    const result = await handler(values({ id: 1 }), context(1_000));
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'trades-0', offset: 10 } }],
    });
    await late;
    expect(
      logger.lines.some((l) => l.level === 'error' && /gave up on at the deadline/.test(l.message)),
    ).toBe(true);
    expect(unhandled).toEqual([]);
  });
});

describe('8. an async hook or observer that rejects', () => {
  it('is logged and ignored, never an unhandled rejection', async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({
      logger,
      onError: { policy: 'log', allFailedAlike: 'apply-policy' },
      use: [
        hooks({
          onRecordError: async () => {
            throw new Error('metrics backend down');
          },
          onBatchEnd: async () => {
            throw new Error('metrics backend down');
          },
        }),
        {
          name: 'observer',
          startBatch: () => ({
            recordEnd: () => Promise.reject(new Error('observer down')),
            end: () => Promise.reject(new Error('observer down')),
          }),
        },
      ],
      process() {
        throw new Error('poison');
      },
    });
    await handler(values({ id: 1 }, { id: 2 }), context());
    await sleep(10);
    expect(unhandled).toEqual([]);
    expect(logger.lines.filter((l) => /rejected; ignored/.test(l.message)).length).toBeGreaterThanOrEqual(4);
  });
});

describe('11. every record failing alike is the environment, not poison records', () => {
  const missingProto = () => {
    throw Object.assign(new Error("ENOENT: no such file or directory, open '/var/task/trade.proto'"), {
      code: 'ENOENT',
    });
  };

  it('fails the invocation (retryable) instead of dead-lettering every record', async () => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: { deserialize: missingProto },
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger: silentLogger,
      process() {},
    });
    const error = await handler(values({ id: 1 }, { id: 2 }, { id: 3 }), context()).catch((e) => e);
    expect(error).toBeInstanceOf(EveryRecordFailedError);
    expect(error).toMatchObject({ failed: 3, stage: 'decode', retryable: true });
    expect(producer.enqueued).toEqual([]);
  });

  it('under log, completes no idempotency key', async () => {
    const store = memoryIdempotencyStore();
    const handler = createKafkaHandler({
      value: { deserialize: missingProto },
      logger: silentLogger,
      use: [idempotency({ store })],
      process() {},
    });
    await expect(handler(values({ id: 1 }, { id: 2 }), context())).rejects.toBeInstanceOf(
      EveryRecordFailedError,
    );
    expect([...store.entries().values()].filter((e) => e.state === 'completed')).toEqual([]);
  });

  it('poison records that fail differently, or a single failure, stay under the policy', async () => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger: silentLogger,
      process(record) {
        throw new Error(`trade ${record.value.id} has no account`);
      },
    });
    await handler(values({ id: 1 }, { id: 2 }), context());
    await handler(values({ id: 3 }), context());
    expect(producer.delivered.filter((m) => m.topic === 'dlq')).toHaveLength(3);
  });

  it("allFailedAlike: 'apply-policy' opts out", async () => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: { deserialize: missingProto },
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq', allFailedAlike: 'apply-policy' },
      logger: silentLogger,
      process() {},
    });
    await handler(values({ id: 1 }, { id: 2 }), context());
    expect(producer.delivered.filter((m) => m.topic === 'dlq')).toHaveLength(2);
  });
});
