// The one seam of the engine (issue 25): batch middleware in `use: [...]`, which can decide before
// any record runs that records do not run (skip, hand back), decode them ahead (the run reuses them),
// and see every record's fate after the invocation's outcome is decided.
import {
  type BatchMiddleware,
  ConfigError,
  createKafkaHandler,
  type Deserializer,
  hooks,
  json,
  KafkaLambdaError,
} from '@kafka-lambda/core';
import type { BeforeBatch, RecordFate } from '@kafka-lambda/core/middleware';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';
import { ScriptedProducer } from './support/scripted-producer.js';

type Trade = { id: number; fail?: boolean };

const trades = (ids: Array<number | Trade>, partition = 0) =>
  ids.map((item, i) =>
    eventRecord('trades', partition, 100 + i, JSON.stringify(typeof item === 'number' ? { id: item } : item)),
  );

/** Runs ids ≥ `from` only through `skip`, and records what `after` saw. */
function skipper(from: number, seen: { fates?: RecordFate[]; kept?: boolean; error?: Error }) {
  const middleware: BatchMiddleware<string, Trade, number> = {
    name: 'skip-high-ids',
    async before(batch) {
      let skipped = 0;
      for (const [p, partition] of batch.partitions.entries())
        for (let i = 0; i < partition.records.length; i++) {
          const record = await batch.decode(p, i);
          if (record.value.id >= from) {
            batch.skip(p, i);
            skipped++;
          }
        }
      return skipped;
    },
    after(batch, skipped) {
      seen.fates = batch.partitions.flatMap((partition, p) =>
        partition.records.map((_, i) => batch.fateOf(p, i)),
      );
      seen.kept = batch.kept;
      seen.error = batch.error;
      expect(skipped).toBeGreaterThanOrEqual(0);
    },
  };
  return middleware;
}

describe('batch middleware (use)', () => {
  it("skips records before they run: their outcome is 'already-processed', the others run", async () => {
    const ran: number[] = [];
    const seen: Parameters<typeof skipper>[1] = {};
    const summaries: unknown[] = [];
    const handler = createKafkaHandler({
      value: json<Trade>(),
      use: [skipper(3, seen), hooks({ onBatchEnd: (summary) => summaries.push(summary) })],
      logger: silentLogger,
      process(record) {
        ran.push(record.value.id);
      },
    });
    await handler(mskEvent(trades([1, 2, 3, 4])), context());
    expect(ran).toEqual([1, 2]);
    expect(summaries[0]).toMatchObject({ succeeded: 2, alreadyProcessed: 2 });
    expect(seen).toMatchObject({ fates: ['done', 'done', 'not-done', 'not-done'], kept: true });
    expect(seen.error).toBeUndefined();
  });

  it('decodes a record once: the record a middleware decoded ahead is the one process gets', async () => {
    let decodes = 0;
    const counting: Deserializer<Trade> = {
      deserialize(bytes) {
        decodes++;
        return JSON.parse(bytes.toString()) as Trade;
      },
    };
    const decodedAhead: unknown[] = [];
    const processed: unknown[] = [];
    const handler = createKafkaHandler({
      value: counting,
      use: [
        {
          name: 'reads-ahead',
          async before(batch) {
            for (let i = 0; i < batch.partitions[0]!.records.length; i++)
              decodedAhead.push(await batch.decode(0, i));
          },
        },
      ],
      logger: silentLogger,
      process(record) {
        processed.push(record);
      },
    });
    await handler(mskEvent(trades([1, 2, 3])), context());
    expect(decodes).toBe(3);
    expect(processed).toHaveLength(3);
    for (const [i, record] of processed.entries()) expect(record).toBe(decodedAhead[i]);
  });

  it('hands records back: under report the partition is reported from the first, the others run', async () => {
    const ran: string[] = [];
    const handler = createKafkaHandler({
      value: json<Trade>(),
      onError: 'report',
      use: [
        {
          name: 'hold-partition-1',
          before(batch) {
            batch.handBack(1, 2, new Error('held elsewhere'));
            batch.handBack(1, 1, new Error('held elsewhere too'));
          },
        },
      ],
      logger: silentLogger,
      process(record) {
        ran.push(`${record.partition}:${record.value.id}`);
      },
    });
    const event = mskEvent([...trades([1, 2, 3], 0), ...trades([4, 5, 6], 1)]);
    const result = await handler(event, context());
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'trades-1', offset: 101 } }],
    });
    expect(ran).toEqual(['0:1', '0:2', '0:3', '1:4']);
  });

  it('hands records back: under any other policy the invocation fails before any record runs', async () => {
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: json<Trade>(),
      onError: 'log',
      use: [
        { name: 'hold', before: (batch) => batch.handBack(0, 1, new KafkaLambdaError('held elsewhere')) },
      ],
      logger: silentLogger,
      process(record) {
        ran.push(record.value.id);
      },
    });
    await expect(handler(mskEvent(trades([1, 2, 3])), context())).rejects.toThrow('held elsewhere');
    expect(ran).toEqual([]);
  });

  it('a before that rejects fails the invocation, naming the middleware, before any record runs; afters still run', async () => {
    const ran: number[] = [];
    const afters: string[] = [];
    const handler = createKafkaHandler({
      value: json<Trade>(),
      use: [
        {
          name: 'first',
          before: () => 'state',
          after: (_batch, state) => void afters.push(`first:${state}`),
        },
        {
          name: 'broken',
          before: async () => {
            throw new Error('the table is gone');
          },
          after: (_batch, state) => void afters.push(`broken:${state}`),
        },
        { name: 'never', before: () => afters.push('never-before') },
      ],
      logger: silentLogger,
      process(record) {
        ran.push(record.value.id);
      },
    });
    const failure = await handler(mskEvent(trades([1])), context()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(KafkaLambdaError);
    expect((failure as Error).message).toBe("middleware 'broken' failed before the batch: the table is gone");
    expect(ran).toEqual([]);
    // After runs in reverse order, with what each before returned (none for the one that threw).
    expect(afters).toEqual(['broken:undefined', 'first:state']);
  });

  it('an after that throws is logged and ignored: the invocation keeps its outcome', async () => {
    const logger = captureLogger();
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: json<Trade>(),
      producer,
      use: [
        {
          name: 'noisy',
          after: () => {
            throw new Error('metrics endpoint down');
          },
        },
      ],
      logger,
      process(record, { produce }) {
        produce({ topic: 'out', value: `out-${record.value.id}` });
      },
    });
    await expect(handler(mskEvent(trades([1, 2])), context())).resolves.toBeUndefined();
    expect(producer.delivered.filter((m) => m.topic === 'out')).toHaveLength(2);
    expect(logger.lines.find((l) => l.level === 'error')?.message).toBe(
      "middleware 'noisy' failed after the batch; ignored",
    );
  });

  it('after sees each fate: delivered, logged, and a failed invocation', async () => {
    const seen: Parameters<typeof skipper>[1] = {};
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: json<Trade>(),
      producer,
      onError: { policy: 'log', allFailedAlike: 'apply-policy' },
      use: [skipper(100, seen)],
      logger: silentLogger,
      process(record, { produce }) {
        if (record.value.fail) throw new Error('bad trade');
        if (record.value.id === 2) produce({ topic: 'out', value: 'two' });
      },
    });
    await handler(mskEvent(trades([1, 2, { id: 3, fail: true }])), context());
    expect(seen.fates).toEqual(['done', 'delivered', 'logged']);

    const failing = createKafkaHandler({
      value: json<Trade>(),
      onError: 'retry-batch',
      use: [skipper(100, seen)],
      logger: silentLogger,
      process(record) {
        if (record.value.fail) throw new Error('bad trade');
      },
    });
    await expect(failing(mskEvent(trades([1, { id: 2, fail: true }, 3])), context())).rejects.toThrow();
    expect(seen.fates).toEqual(['done', 'not-done', 'not-done']);
    expect(seen.error).toBeInstanceOf(Error);
  });

  it('runs beside idempotency: a record a middleware skips is not claimed as done', async () => {
    const store = memoryIdempotencyStore();
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: json<Trade>(),
      use: [skipper(2, {}), idempotency({ store })],
      logger: silentLogger,
      process(record) {
        ran.push(record.value.id);
      },
    });
    await handler(mskEvent(trades([1, 2])), context());
    expect(ran).toEqual([1]);
    const states = [...store.entries().values()].map((entry) => entry.state).sort();
    // The first record's key completed; the skipped one's claim was released (it did not run here).
    expect(states).toEqual(['completed']);
  });

  it('names a record that is not in the batch (a RangeError), whatever is wrong with its place', async () => {
    const errors: string[] = [];
    const handler = createKafkaHandler({
      value: json<Trade>(),
      use: [
        {
          name: 'probe',
          before(batch) {
            for (const [p, i] of [
              [0, 2],
              [0, -1],
              [0, 0.5],
              [1, 0],
            ] as const) {
              try {
                batch.decode(p, i);
              } catch (error) {
                errors.push((error as Error).message);
              }
            }
            batch.decode(0, 1); // the last record: in the batch
          },
        },
      ],
      logger: silentLogger,
      process() {},
    });
    await handler(mskEvent(trades([1, 2])), context());
    expect(errors).toEqual([
      'no record 2 in partition 0 of this batch',
      'no record -1 in partition 0 of this batch',
      'no record 0.5 in partition 0 of this batch',
      'no record 0 in partition 1 of this batch',
    ]);
  });

  it('two middleware share one decode; a decode or a veto after before() ended is not kept', async () => {
    let decodes = 0;
    const slow: Deserializer<Trade> = {
      async deserialize(bytes) {
        decodes++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return JSON.parse(bytes.toString()) as Trade;
      },
    };
    const seen: unknown[] = [];
    let kept: BeforeBatch<string, Trade> | undefined;
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: slow,
      use: [
        { name: 'first', before: (batch) => void seen.push(batch.decode(0, 0)) },
        {
          name: 'second',
          async before(batch) {
            seen.push(await batch.decode(0, 0));
            kept = batch;
            void batch.decode(0, 1); // never awaited: still decoding when before() ends
            batch.handBack(0, 2, new Error('held'));
            batch.skip(0, 2); // a skip does not undo a hand-back
          },
        },
      ],
      onError: 'report',
      logger: silentLogger,
      process(record) {
        ran.push(record.value.id);
        // Too late: the gate is closed, so this skip changes nothing.
        kept!.skip(0, 1);
        kept!.handBack(0, 1, new Error('too late'));
      },
    });
    const result = await handler(mskEvent(trades([1, 2, 3])), context());
    expect(await seen[0]).toBe(seen[1]);
    expect(ran).toEqual([1, 2]);
    // The first record once (shared); the second late, then again by its run; the third never.
    expect(decodes).toBe(3);
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'trades-0', offset: 102 } }],
    });
  });

  it('a before that fails with an SDK error fails the invocation with that very error; after gets the time left', async () => {
    const held = new KafkaLambdaError('the store is down');
    const budgets: number[] = [];
    const logger = captureLogger();
    const handler = createKafkaHandler({
      value: json<Trade>(),
      use: [
        { name: 'timer', after: (batch) => void budgets.push(batch.msLeft()) },
        {
          name: 'store',
          before: () => {
            throw held;
          },
          after: () => {
            throw new Error('and after too');
          },
        },
      ],
      logger,
      process() {},
    });
    await expect(handler(mskEvent(trades([1])), context(5_000))).rejects.toBe(held);
    expect(budgets).toHaveLength(1);
    expect(budgets[0]).toBeGreaterThan(3_000);
    expect(budgets[0]).toBeLessThanOrEqual(5_000);
    const logged = logger.lines.find(
      (line) => line.message === "middleware 'store' failed after the batch; ignored",
    );
    expect(logged?.fields.error).toMatchObject({ message: 'and after too' });
  });

  it('a before that throws a plain error names the middleware, the error as its cause', async () => {
    const cause = new TypeError('no table');
    const handler = createKafkaHandler({
      use: [
        { name: 'only-after', after: () => {} },
        {
          name: 'table',
          before: () => {
            throw cause;
          },
        },
      ],
      logger: silentLogger,
      process() {},
    });
    const failure = (await handler(mskEvent(trades([1])), context()).catch((e: unknown) => e)) as Error;
    expect(failure.message).toBe("middleware 'table' failed before the batch: no table");
    expect(failure.cause).toBe(cause);
  });

  it.each([
    [{ use: {} }, /^use must be an array of batch middleware/],
    [{ use: [{}] }, /^use\[0\] must be a batch middleware: an object with a `name`/],
    [
      { use: [{ name: 'x' }] },
      /^use\[0\] \('x'\) has none of before\(\), after\(\), startBatch\(\) or events/,
    ],
    [{ use: [{ name: 'x', before: 'soon' }] }, /^use\[0\] \('x'\): before must be a function/],
  ])('%j is refused at load', (options, message) => {
    expect(() => createKafkaHandler({ ...options, process() {} } as never)).toThrow(ConfigError);
    expect(() => createKafkaHandler({ ...options, process() {} } as never)).toThrow(message);
  });
});
