// `ordering: 'partition' | 'key' | 'none'` and `concurrency` (issue 26): which records run at once,
// what a failure stops, what is reported, and the one warning at init.
import { ConfigError, createKafkaHandler, string } from '@kafka-lambda/core';
import { RecordProcessingError } from '@kafka-lambda/core/errors';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryProducer } from '@kafka-lambda/testing';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { afterEach, describe, expect, it } from 'vitest';
import { b64, context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Partition p of topic `in` holds records keyed as given (null: no key), offsets from 0. */
function keyed(...keys: Array<Array<string | null>>): KafkaEvent {
  return mskEvent(
    keys.flatMap((list, p) =>
      list.map((key, i) => eventRecord('in', p, i, `v${i}`, { key: key === null ? null : b64(key) })),
    ),
  );
}

/** Records what ran, when, and how many at once (overall and per key). */
function tracker() {
  const started: string[] = [];
  const running = new Map<string, number>();
  let inFlight = 0;
  let most = 0;
  let mostOfOneKey = 0;
  return {
    started,
    get most() {
      return most;
    },
    get mostOfOneKey() {
      return mostOfOneKey;
    },
    async run(key: string, label: string, ms: number) {
      started.push(label);
      inFlight++;
      most = Math.max(most, inFlight);
      running.set(key, (running.get(key) ?? 0) + 1);
      mostOfOneKey = Math.max(mostOfOneKey, running.get(key)!);
      try {
        await sleep(ms);
      } finally {
        inFlight--;
        running.set(key, running.get(key)! - 1);
      }
    },
  };
}

const keyOf = (record: { partition: number; rawKey: Buffer | null }) =>
  `${record.partition}/${record.rawKey?.toString() ?? 'null'}`;

describe("ordering: 'key'", () => {
  it('runs different keys at once and one key at a time, in offset order', async () => {
    const t = tracker();
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      ordering: 'key',
      concurrency: 10,
      process: (record) => t.run(keyOf(record), `${record.rawKey}@${record.offset}`, 5),
    });
    await handler(keyed(['a', 'b', 'a', 'c', 'b', 'a']), context());
    expect(t.mostOfOneKey).toBe(1);
    expect(t.most).toBe(3);
    const ofKey = (k: string) => t.started.filter((s) => s.startsWith(`${k}@`));
    expect(ofKey('a')).toEqual(['a@0', 'a@2', 'a@5']);
    expect(ofKey('b')).toEqual(['b@1', 'b@4']);
  });

  it('every record without a key shares one lane of its partition', async () => {
    const t = tracker();
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      ordering: 'key',
      concurrency: 10,
      process: (record) => t.run(keyOf(record), `${record.offset}`, 3),
    });
    await handler(keyed([null, null, 'a', null]), context());
    expect(t.mostOfOneKey).toBe(1);
    expect(t.started.filter((s) => s !== '2')).toEqual(['0', '1', '3']);
    expect(t.most).toBe(2);
  });

  it('concurrency bounds the records in flight across partitions', async () => {
    const t = tracker();
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      ordering: 'key',
      concurrency: 3,
      process: (record) => t.run(keyOf(record), `${record.partition}@${record.offset}`, 2),
    });
    await handler(keyed(['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd']), context());
    expect(t.started).toHaveLength(8);
    expect(t.most).toBe(3);
  });

  it('a slow key holds one slot only: the other keys pass it by', async () => {
    const finished: string[] = [];
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      ordering: 'key',
      concurrency: 2,
      async process(record) {
        await sleep(record.rawKey?.toString() === 'slow' ? 60 : 2);
        finished.push(`${record.rawKey}`);
      },
    });
    await handler(keyed(['slow', 'a', 'b', 'c', 'd', 'slow']), context());
    expect(finished).toEqual(['a', 'b', 'c', 'd', 'slow', 'slow']);
  });

  it('a key function names the identity: keys equal after it share a lane', async () => {
    const t = tracker();
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      // The first byte is a version that differs between records of one logical key.
      ordering: { key: (rawKey) => rawKey?.subarray(1).toString() ?? null },
      concurrency: 10,
      process: (record) => t.run(record.rawKey!.subarray(1).toString(), `${record.offset}`, 3),
    });
    await handler(keyed(['1a', '2a', '1b']), context());
    expect(t.mostOfOneKey).toBe(1);
    expect(t.most).toBe(2);
  });

  it('a key function that throws or answers a number fails the invocation with a ConfigError, before any record runs', async () => {
    for (const key of [
      () => {
        throw new Error('no account in the key');
      },
      () => 42 as unknown as string,
    ]) {
      let ran = 0;
      const handler = createKafkaHandler({
        logger: silentLogger,
        ordering: { key },
        process() {
          ran++;
        },
      });
      await expect(handler(keyed(['a']), context())).rejects.toBeInstanceOf(ConfigError);
      expect(ran).toBe(0);
    }
  });

  it('report: a failure stops its key only; the lowest offset not done is reported', async () => {
    const ran: string[] = [];
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      onError: 'report',
      ordering: 'key',
      concurrency: 10,
      async process(record) {
        await sleep(1);
        if (record.offset === 1) throw new Error('poison');
        ran.push(`${record.rawKey}@${record.offset}`);
      },
    });
    const result = await handler(keyed(['a', 'b', 'a', 'b', 'c']), context());
    expect(ran.sort()).toEqual(['a@0', 'a@2', 'c@4']);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 1 } }] });
  });

  it("a middleware's hand-back stops the record's key only", async () => {
    const ran: string[] = [];
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      onError: 'report',
      ordering: 'key',
      use: [{ name: 'in-progress-elsewhere', before: (batch) => batch.handBack(0, 1, new Error('claimed')) }],
      process(record) {
        ran.push(`${record.rawKey}@${record.offset}`);
      },
    });
    const result = await handler(keyed(['a', 'b', 'a', 'b', 'c']), context());
    expect(ran.sort()).toEqual(['a@0', 'a@2', 'c@4']);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 1 } }] });
  });

  it('retry-batch: the failed key stops, the invocation fails with the record', async () => {
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      onError: 'retry-batch',
      ordering: 'key',
      concurrency: 1,
      process(record) {
        if (record.offset === 0) throw new Error('poison');
        ran.push(record.offset);
      },
    });
    await expect(handler(keyed(['a', 'b', 'a']), context())).rejects.toBeInstanceOf(RecordProcessingError);
    expect(ran).toEqual([]);
  });

  it('the deadline: what did not start comes again from the lowest offset not done', async () => {
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      onError: 'report',
      ordering: 'key',
      concurrency: 2,
      deadlineReserveMs: 500,
      async process(record) {
        await sleep(record.rawKey?.toString() === 'slow' ? 600 : 5);
      },
    });
    // 1 s: the stop time comes at 500 ms, while `slow`'s second record would start at 600 ms; the
    // records of `a` are done by then (under 'partition' the report would say 1).
    const result = await handler(keyed(['slow', 'a', 'slow', 'a']), context(1_000));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 2 } }] });
  });

  it('dead letters and outputs of one key keep its order', async () => {
    const producer = memoryProducer();
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      producer,
      onError: { policy: 'dead-letter', topic: 'dlq' },
      ordering: 'key',
      concurrency: 10,
      async process(record, { produce }) {
        await sleep(record.rawKey?.toString() === 'a' ? 4 - record.offset : 1);
        if (record.offset === 3) throw new Error('poison');
        produce({ topic: 'out', key: record.rawKey, value: `${record.offset}` });
      },
    });
    await handler(keyed(['a', 'b', 'a', 'a', 'b', 'a']), context());
    const of = (topic: string) =>
      producer.sent
        .filter((m) => m.topic === topic)
        .map((m) => `${String(m.key)}:${topic === 'dlq' ? '3' : String(m.value)}`);
    expect(of('out').filter((m) => m.startsWith('a:'))).toEqual(['a:0', 'a:2', 'a:5']);
    expect(of('out').filter((m) => m.startsWith('b:'))).toEqual(['b:1', 'b:4']);
    expect(of('dlq')).toEqual(['a:3']);
  });
});

describe("ordering: 'none'", () => {
  it('runs any records at once, up to concurrency, and a failure stops nothing else', async () => {
    const t = tracker();
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      onError: 'report',
      ordering: 'none',
      concurrency: 4,
      async process(record) {
        if (record.offset === 0) throw new Error('poison');
        await t.run(`${record.offset}`, `${record.offset}`, 3);
      },
    });
    const result = await handler(keyed(['a', 'a', 'a', 'a', 'a', 'a']), context());
    expect(t.started.sort()).toEqual(['1', '2', '3', '4', '5']);
    expect(t.most).toBe(4);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 0 } }] });
  });
});

describe("ordering: 'partition' (the default)", () => {
  it('runs a partition one record at a time whatever the keys; concurrency is the partitions in flight', async () => {
    const t = tracker();
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      concurrency: 2,
      process: (record) => t.run(`${record.partition}`, `${record.partition}@${record.offset}`, 2),
    });
    await handler(keyed(['a', 'b', 'c'], ['a', 'b'], ['c']), context());
    expect(t.mostOfOneKey).toBe(1);
    expect(t.most).toBe(2);
  });
});

describe('the warning at init', () => {
  const idempotencyLike = { name: 'idempotency', before: () => undefined };
  for (const [ordering, onError, use, warns] of [
    ['key', 'report', [], true],
    ['none', 'retry-batch', [], true],
    ['key', 'report', [idempotencyLike], false],
    ['key', 'retry-batch', [idempotency({ store: memoryIdempotencyStore() })], false],
    ['key', 'dead-letter', [], false],
    ['partition', 'report', [], false],
  ] as const) {
    it(`${ordering} + ${onError}${use.length ? ' + idempotency' : ''}: ${warns ? 'warns once' : 'says nothing'}`, () => {
      const logger = captureLogger();
      createKafkaHandler({
        logger,
        ordering,
        onError: onError === 'dead-letter' ? { policy: onError, topic: 'dlq' } : onError,
        use: [...use],
        ...(onError === 'dead-letter' ? { producer: memoryProducer() } : {}),
        process() {},
      });
      const lines = logger.at('warn').filter((l) => /re-runs the records of other keys/.test(l.message));
      expect(lines).toHaveLength(warns ? 1 : 0);
    });
  }
});

describe('KAFKA_LAMBDA_ORDERING (what kafka-lambda-local --ordering sets)', () => {
  afterEach(() => {
    delete process.env.KAFKA_LAMBDA_ORDERING;
  });
  const most = async (ordering?: 'partition') => {
    const t = tracker();
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      ...(ordering ? { ordering } : {}),
      process: (record) => t.run(keyOf(record), `${record.offset}`, 2),
    });
    await handler(keyed(['a', 'b', 'c']), context());
    return t.most;
  };

  it("is the ordering of a handler whose code sets none; the code's own wins", async () => {
    process.env.KAFKA_LAMBDA_ORDERING = 'key';
    expect(await most()).toBe(3);
    expect(await most('partition')).toBe(1);
    delete process.env.KAFKA_LAMBDA_ORDERING;
    expect(await most()).toBe(1);
  });

  it('a value it does not know is a ConfigError at init', () => {
    process.env.KAFKA_LAMBDA_ORDERING = 'by-key';
    expect(() => createKafkaHandler({ process() {} })).toThrow(ConfigError);
  });
});
