// Idempotent records (issue 16) through the handler, against the memory store of
// @kafka-lambda/testing (expiry by its clock, owner-conditional writes, round trips counted) and a
// producer whose reports come as librdkafka's do. The same claims against DynamoDB (moto) and Redis
// are the store package's integration tests.
import {
  type BatchSummary,
  createKafkaHandler,
  type ErrorPolicy,
  hooks,
  isRetryable,
  json,
} from '@kafka-lambda/core';
import { RecordProcessingError } from '@kafka-lambda/core/errors';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import {
  IdempotencyStoreError,
  idempotency,
  RecordInProgressError,
  type StoreRequestError,
} from '@kafka-lambda/idempotency';
import { lambdaContext, manualClock } from '@kafka-lambda/testing';
import {
  dynamoDbThrottlingError,
  type MemoryIdempotencyStore,
  memoryIdempotencyStore,
  redisConnectionError,
} from '@kafka-lambda/testing/idempotency';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventRecord, mskEvent } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';
import { ScriptedProducer } from './support/scripted-producer.js';

interface Trade {
  id: string;
  fail?: boolean;
}

const FN = 'settle';
const context = (timeoutMs = 60_000) => lambdaContext({ functionName: FN, timeoutMs });
const keyOf = (partition: number, offset: number) => `${FN}#trades-${partition}@${offset}`;
const other = (state: 'in-progress' | 'completed') => ({
  state,
  owner: 'another-invocation',
  until: Date.now() + 3_600_000,
});

/** `trades` records: partition, first offset, and the values. */
function trades(partition: number, from: number, values: Trade[]): KafkaEventRecord[] {
  return values.map((value, i) => eventRecord('trades', partition, from + i, JSON.stringify(value)));
}

/** A handler whose `process` records its side effect (`<partition>@<offset>`) and produces one output per record. */
function settlement(
  options: {
    onError?: ErrorPolicy;
    store?: MemoryIdempotencyStore;
    key?: (record: { value: Trade }) => string;
    failOnce?: Set<number>;
  } = {},
) {
  const store = options.store ?? memoryIdempotencyStore();
  const producer = new ScriptedProducer();
  const logger = captureLogger();
  const effects: string[] = [];
  const summaries: BatchSummary[] = [];
  const onError = options.onError ?? 'retry-batch';
  const handler = createKafkaHandler({
    value: json<Trade>(),
    producer,
    onError: onError === 'dead-letter' ? { policy: onError, topic: 'trades.dlq' } : onError,
    logger,
    logSummary: false,
    use: [
      hooks({ onBatchEnd: (summary) => summaries.push({ ...summary }) }),
      idempotency({ store, ...(options.key && { key: options.key }) }),
    ],
    process(record, { produce }) {
      effects.push(`${record.partition}@${record.offset}`);
      if (record.value.fail || options.failOnce?.delete(record.offset)) throw new Error('ledger refused');
      produce({ topic: 'settlements', key: record.key, value: `settled-${record.value.id}` });
    },
  } as Parameters<typeof createKafkaHandler<string, Trade>>[0]);
  const outputs = () =>
    producer.delivered.filter((m) => m.topic === 'settlements').map((m) => String(m.value));
  return { handler, store, producer, logger, effects, summaries, outputs };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a batch redelivered after success', () => {
  it('runs no side effect twice and produces nothing twice', async () => {
    const { handler, store, effects, outputs, summaries } = settlement();
    const event = mskEvent([...trades(0, 10, [{ id: 'a' }, { id: 'b' }]), ...trades(1, 20, [{ id: 'c' }])]);

    await handler(event, context());
    expect(effects).toEqual(['0@10', '0@11', '1@20']);
    expect(outputs()).toEqual(['settled-a', 'settled-b', 'settled-c']);
    expect(store.entry(keyOf(0, 10))?.state).toBe('completed');

    await handler(event, context()); // the ESM delivers the same batch again
    expect(effects).toHaveLength(3);
    expect(outputs()).toHaveLength(3);
    expect(summaries[1]).toMatchObject({ records: 3, alreadyProcessed: 3, succeeded: 0, produced: 0 });
    expect(store.calls).toEqual({ claim: 2, complete: 1, release: 0 });
  });

  it('keys on a business id from the decoded value: the same trade at another offset runs once', async () => {
    const { handler, effects, outputs, store } = settlement({ key: (record) => record.value.id });
    await handler(mskEvent(trades(0, 10, [{ id: 'T-1' }, { id: 'T-2' }])), context());
    // The upstream producer sent T-2 again (a new offset), and T-3 twice in one batch.
    await handler(mskEvent(trades(0, 12, [{ id: 'T-2' }, { id: 'T-3' }, { id: 'T-3' }])), context());

    expect(effects).toEqual(['0@10', '0@11', '0@13']);
    expect(outputs()).toEqual(['settled-T-1', 'settled-T-2', 'settled-T-3']);
    expect(store.log[2]).toEqual({ operation: 'claim', keys: [`${FN}#T-2`, `${FN}#T-3`] });
  });

  it('claims a record that two groups of one event both carry once (`trades-0` and `trades-00`)', async () => {
    const { handler, store, effects } = settlement();
    const event = mskEvent(trades(0, 10, [{ id: 'a' }]));
    event.records['trades-00'] = [...event.records['trades-0']!];
    await handler(event, context());
    await handler(event, context());
    expect(store.log[0]).toEqual({ operation: 'claim', keys: [keyOf(0, 10)] });
    expect(effects).toEqual(['0@10']);
  });

  it('skips a completed record in the middle of a partition and keeps the order of the rest', async () => {
    const { handler, store, effects, outputs, summaries } = settlement();
    store.put(keyOf(0, 11), other('completed'));
    await handler(mskEvent(trades(0, 10, [{ id: 'a' }, { id: 'b' }, { id: 'c' }])), context());

    expect(effects).toEqual(['0@10', '0@12']);
    expect(outputs()).toEqual(['settled-a', 'settled-c']);
    expect(summaries[0]).toMatchObject({ succeeded: 2, alreadyProcessed: 1 });
  });

  it('logs the records already processed once per batch, with their count', async () => {
    const { handler, logger } = settlement();
    const event = mskEvent(trades(0, 10, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]));
    await handler(event, context());
    await handler(event, context());
    const lines = logger.lines.filter((l) => l.message.startsWith('records already processed'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        fields: expect.objectContaining({ count: 3, first: { topic: 'trades', partition: 0, offset: 10 } }),
      }),
    ]);
  });
});

describe('a record in progress in another invocation', () => {
  it("is reported under 'report': its partition stops there, the others run", async () => {
    const { handler, store, effects } = settlement({ onError: 'report' });
    store.put(keyOf(0, 11), other('in-progress'));
    const result = await handler(
      mskEvent([...trades(0, 10, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]), ...trades(1, 20, [{ id: 'd' }])]),
      context(),
    );

    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'trades-0', offset: 11 } }],
    });
    expect(effects).toEqual(['0@10', '1@20']);
    expect(store.entry(keyOf(0, 10))?.state).toBe('completed');
    expect(store.entry(keyOf(0, 12))).toBeUndefined(); // claimed, not run: released for the resumed partition
    expect(store.entry(keyOf(0, 11))?.owner).toBe('another-invocation');
  });

  it.each<ErrorPolicy>(['log', 'dead-letter', 'retry-batch'])(
    "fails the invocation under '%s' before any record runs, and releases its claims",
    async (onError) => {
      const { handler, store, effects, producer } = settlement({ onError });
      store.put(keyOf(1, 21), other('in-progress'));
      const error = await handler(
        mskEvent([...trades(0, 10, [{ id: 'a' }]), ...trades(1, 20, [{ id: 'b' }, { id: 'c' }])]),
        context(),
      ).catch((e) => e);

      expect(error).toBeInstanceOf(RecordInProgressError);
      expect(error.record).toEqual({ topic: 'trades', partition: 1, offset: 21 });
      expect(isRetryable(error)).toBe(true);
      expect(effects).toEqual([]);
      expect(producer.enqueued).toEqual([]); // nothing skipped, nothing dead-lettered
      expect([...store.entries().keys()]).toEqual([keyOf(1, 21)]);
    },
  );
});

describe('a store outage', () => {
  it.each<[ErrorPolicy, () => StoreRequestError]>([
    ['log', dynamoDbThrottlingError],
    ['dead-letter', dynamoDbThrottlingError],
    ['report', redisConnectionError],
    ['retry-batch', redisConnectionError],
  ])("on claim fails the invocation under '%s' before any record runs", async (onError, outage) => {
    const store = memoryIdempotencyStore().fail('claim', outage);
    const { handler, effects, producer, summaries } = settlement({ onError, store });
    const error = await handler(
      mskEvent([...trades(0, 10, [{ id: 'a' }]), ...trades(1, 20, [{ id: 'b' }])]),
      context(),
    ).catch((e) => e);

    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect(error).toMatchObject({
      operation: 'claim',
      keys: 2,
      record: { topic: 'trades', partition: 0, offset: 10 },
    });
    // The store's own error, as the real stores reject: a StoreRequestError around the client's error.
    expect(error.cause).toMatchObject({
      name: 'StoreRequestError',
      operation: 'claim',
      keys: 2,
      code: outage().code,
      cause: { message: (outage().cause as Error).message },
    });
    expect(isRetryable(error)).toBe(true);
    expect(effects).toEqual([]);
    expect(producer.enqueued).toEqual([]);
    expect(summaries[0]).toMatchObject({ records: 2, unprocessed: 2, succeeded: 0, failed: 0 });
  });

  it('on complete, after the outputs are delivered, does not fail the invocation', async () => {
    const clock = manualClock(Date.now());
    const store = memoryIdempotencyStore({ clock }).fail('complete', redisConnectionError);
    const { handler, outputs, logger, effects } = settlement({ store });
    const event = mskEvent(trades(0, 10, [{ id: 'a' }, { id: 'b' }]));

    await expect(handler(event, context(5_000))).resolves.toBeUndefined();
    expect(outputs()).toEqual(['settled-a', 'settled-b']);
    const line = logger.lines.find((l) => l.message.startsWith('idempotency store failed at the end'));
    expect(line).toMatchObject({ level: 'error', fields: { completed: 2, released: 0 } });
    expect(line?.fields.error).toMatchObject({ name: 'IdempotencyStoreError' });

    // The claims expire with that invocation's end (5 s from its start): a redelivery after it runs the records again.
    clock.advance(10_000);
    await handler(event, context());
    expect(effects).toEqual(['0@10', '0@11', '0@10', '0@11']);
  });

  it('on release is logged; the invocation fails with its own error', async () => {
    const store = memoryIdempotencyStore().fail('release', dynamoDbThrottlingError);
    const { handler, logger } = settlement({ store });
    const error = await handler(mskEvent(trades(0, 10, [{ id: 'a', fail: true }])), context()).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(RecordProcessingError);
    const line = logger.lines.find((l) => l.message.startsWith('idempotency store failed at the end'));
    expect(line).toMatchObject({ level: 'error', fields: { completed: 0, released: 1 } });
  });
});

describe('the deadline', () => {
  it('bounds a claim that does not answer: the invocation fails in time, nothing ran', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const store = memoryIdempotencyStore().stall('claim');
    const effects: number[] = [];
    const handler = createKafkaHandler({
      use: [idempotency({ store })],
      logger: captureLogger(),
      process: (record) => void effects.push(record.offset),
    });
    const invocation = context(2_000); // the default reserve is 500 ms: records may start until 1.5 s
    const settled = handler(mskEvent(trades(0, 10, [{ id: 'a' }])), invocation).catch((e) => e);

    await vi.advanceTimersByTimeAsync(1_500);
    const error = await settled;
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect(error.cause).toMatchObject({ name: 'StoreTimeoutError', timeoutMs: 1_500 });
    expect(invocation.getRemainingTimeInMillis()).toBe(500); // failed at the stop time, not at Lambda's timeout
    expect(effects).toEqual([]);
  });
});

describe('the deadline, with a process that ignores its signal', () => {
  it('leaves the claim of the record still running to expire: a retry cannot run it beside the zombie', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const store = memoryIdempotencyStore();
    const logger = captureLogger();
    const handler = createKafkaHandler({
      use: [idempotency({ store })],
      logger,
      process: (record) => (record.offset === 10 ? new Promise<void>(() => {}) : undefined),
    });
    const settled = handler(mskEvent(trades(0, 10, [{ id: 'a' }, { id: 'b' }])), context(2_000)).catch(
      (e) => e,
    );
    await vi.advanceTimersByTimeAsync(1_900); // the batch gives up on the record before Lambda's timeout
    expect((await settled).name).toBe('DeadlineExceededError');

    expect(store.log.at(-1)).toEqual({ operation: 'release', keys: [keyOf(0, 11)] });
    expect(
      logger.lines.find((l) => l.message === 'idempotency keys completed and released')?.fields,
    ).toMatchObject({ completed: 0, released: 1, left: 1 });
    expect(store.entry(keyOf(0, 10))?.state).toBe('in-progress');
    vi.advanceTimersByTime(100); // Lambda's timeout: the claim expires with it
    expect(store.entry(keyOf(0, 10))).toBeUndefined();
  });
});

describe('a failed invocation', () => {
  it('releases what it did not finish, so the retry claims it at once; what it finished is not run again', async () => {
    const { handler, store, effects, outputs } = settlement({ failOnce: new Set([11]) });
    const event = mskEvent(trades(0, 10, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]));

    await expect(handler(event, context())).rejects.toBeInstanceOf(RecordProcessingError);
    expect(store.log.at(-1)).toEqual({ operation: 'release', keys: [keyOf(0, 11), keyOf(0, 12)] });
    expect(store.entry(keyOf(0, 11))).toBeUndefined();

    await handler(event, context()); // at once: no expiry to wait for
    expect(effects).toEqual(['0@10', '0@11', '0@11', '0@12']);
    expect(outputs()).toEqual(['settled-a', 'settled-b', 'settled-c']);
  });

  it('completes a dead-lettered record only once its dead letter is acknowledged', async () => {
    // A store that takes a round trip to answer, after a flush that waited until the deadline's end.
    const store = memoryIdempotencyStore({ latencyMs: 20 });
    const { handler, producer } = settlement({ onError: 'dead-letter', store });
    producer.holdWhen = (message) => message.topic === 'trades.dlq';
    const error = await handler(
      mskEvent(trades(0, 10, [{ id: 'a' }, { id: 'b', fail: true }])),
      context(1_500),
    ).catch((e) => e);

    expect(error.name).toBe('FlushTimeoutError');
    expect(store.entry(keyOf(0, 10))?.state).toBe('completed'); // its output was delivered
    expect(store.entry(keyOf(0, 11))).toBeUndefined(); // released: the retry dead-letters it again
  });

  it("completes a record logged and dropped under 'log'", async () => {
    const { handler, store } = settlement({ onError: 'log' });
    await handler(mskEvent(trades(0, 10, [{ id: 'a', fail: true }])), context());
    expect(store.entry(keyOf(0, 10))?.state).toBe('completed');
  });
});

describe('records without a business key', () => {
  it('are keyed by their offset when the key function throws: run once, never skipped', async () => {
    const { handler, store, effects, logger } = settlement({
      key: (record) => {
        if (record.value.id === 'bad') throw new Error('no trade id');
        return record.value.id;
      },
    });
    const event = mskEvent(trades(0, 10, [{ id: 'bad' }, { id: 'ok' }]));
    await handler(event, context());
    await handler(event, context());

    expect(effects).toEqual(['0@10', '0@11']);
    expect(store.log[0]).toEqual({ operation: 'claim', keys: [keyOf(0, 10), `${FN}#ok`] });
    expect(
      logger.lines.find((l) => l.message.startsWith('records the key function could not key')),
    ).toMatchObject({
      level: 'warn',
      fields: expect.objectContaining({ count: 1, first: { topic: 'trades', partition: 0, offset: 10 } }),
    });
  });

  it('fail under their policy when they cannot be decoded for the key', async () => {
    const { handler, store, producer } = settlement({ onError: 'dead-letter', key: (r) => r.value.id });
    await handler(
      mskEvent([eventRecord('trades', 0, 10, '{not json'), ...trades(0, 11, [{ id: 'ok' }])]),
      context(),
    );
    // Dead letters go out once the records have run.
    expect(producer.delivered.map((m) => m.topic)).toEqual(['settlements', 'trades.dlq']);
    expect(store.log[0]?.keys).toEqual([keyOf(0, 10), `${FN}#ok`]);
  });
});

describe('a key function over an asynchronous deserializer', () => {
  /** A registry-backed deserializer, in effect: each value answers after a tick; `calls` counts decodes. */
  function asyncJson(fail?: (text: string) => boolean) {
    const decoder = {
      calls: 0,
      deserialize(bytes: Buffer, context: { topic: string; offset: number }) {
        decoder.calls++;
        const text = bytes.toString('utf8');
        return new Promise<Trade>((resolve, reject) =>
          setImmediate(() =>
            fail?.(text)
              ? reject(new Error(`schema of ${context.topic}@${context.offset} not found`))
              : resolve(JSON.parse(text)),
          ),
        );
      },
    };
    return decoder;
  }

  it('decodes each record once: the claim reads the value, the run reuses it', async () => {
    const value = asyncJson();
    const store = memoryIdempotencyStore();
    const seen: string[] = [];
    const handler = createKafkaHandler({
      value,
      logger: captureLogger(),
      use: [idempotency<string, Trade>({ store, key: (record) => record.value.id })],
      process: (record) => void seen.push(`${record.offset}:${record.value.id}`),
    });
    await handler(mskEvent(trades(0, 10, [{ id: 'T-1' }, { id: 'T-2' }])), context());
    expect(store.log[0]).toEqual({ operation: 'claim', keys: [`${FN}#T-1`, `${FN}#T-2`] });
    expect(seen).toEqual(['10:T-1', '11:T-2']);
    expect(value.calls).toBe(2);
  });

  it('runs a record whose decoding failed for the key: decoded again, it fails under its policy', async () => {
    const value = asyncJson((text) => text.includes('bad'));
    const store = memoryIdempotencyStore();
    const handler = createKafkaHandler({
      value,
      onError: 'retry-batch',
      logger: captureLogger(),
      use: [idempotency<string, Trade>({ store, key: (record) => record.value.id })],
      process() {},
    });
    const error = await handler(mskEvent(trades(0, 10, [{ id: 'T-1' }, { id: 'bad' }])), context()).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(RecordProcessingError);
    expect(error.message).toContain('schema of trades@11 not found');
    expect(store.log[0]?.keys).toEqual([`${FN}#T-1`, keyOf(0, 11)]);
    expect(value.calls).toBe(3);
  });
});

describe('tombstones', () => {
  it("are not claimed when skipped (tombstones: 'skip'), and claimed like any record when processed", async () => {
    const tombstone = eventRecord('trades', 0, 11, null);
    const event = mskEvent([...trades(0, 10, [{ id: 'a' }]), tombstone]);
    const skipping = memoryIdempotencyStore();
    await createKafkaHandler({
      use: [idempotency({ store: skipping })],
      logger: captureLogger(),
      process() {},
    })(event, context());
    expect(skipping.log[0]?.keys).toEqual([keyOf(0, 10)]);

    const processing = memoryIdempotencyStore();
    await createKafkaHandler({
      tombstones: 'process',
      use: [idempotency({ store: processing })],
      logger: captureLogger(),
      process() {},
    })(event, context());
    expect(processing.log.map((call) => call.keys)).toEqual([
      [keyOf(0, 10), keyOf(0, 11)],
      [keyOf(0, 10), keyOf(0, 11)],
    ]);
  });
});

describe('round trips', () => {
  it('one claim and one complete for a batch of 10,000 records', async () => {
    const { handler, store, summaries } = settlement();
    const records = Array.from({ length: 10 }, (_, p) =>
      trades(
        p,
        0,
        Array.from({ length: 1_000 }, (_, i) => ({ id: `${p}-${i}` })),
      ),
    ).flat();
    await handler(mskEvent(records), context());

    expect(store.calls).toEqual({ claim: 1, complete: 1, release: 0 });
    expect(store.log.map((call) => call.keys.length)).toEqual([10_000, 10_000]);
    expect(summaries[0]).toMatchObject({ succeeded: 10_000, produced: 10_000 });
  });
});

describe('the idempotency middleware', () => {
  it('prefixes keys with keyPrefix instead of the function name', async () => {
    const prefixed = memoryIdempotencyStore();
    const handler = createKafkaHandler({
      use: [idempotency({ store: prefixed, keyPrefix: 'cluster-a' })],
      process() {},
    });
    await handler(mskEvent(trades(0, 10, [{ id: 'a' }])), context());
    expect(prefixed.log[0]?.keys).toEqual(['cluster-a#trades-0@10']);
  });
});
