// onError with a route (`{ policy: (failure) => …, routes }`): what it is told, where each failure
// goes, what its routes decide (hand-backs, the result, the checks at load), and what a route's
// mistake does: the invocation fails with FailureRouteError naming the record, never a lost record.
// The model (outcomes.model.test.ts) generates routes against every invariant; these are the cases
// a user reads.
import {
  ConfigError,
  createKafkaHandler,
  json,
  type KafkaRecord,
  RecordDecodeError,
  RetryableError,
  string,
} from '@kafka-lambda/core';
import {
  DeadlineExceededError,
  EveryRecordFailedError,
  FailureRouteError,
  type RecordFailure,
  RecordProcessingError,
} from '@kafka-lambda/core/errors';
import type { BatchMiddleware } from '@kafka-lambda/core/middleware';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, partitions, settle, silentLogger, sleep } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';
import { ScriptedProducer } from './support/scripted-producer.js';

/** Poison is bad JSON; `{"fail":true}` throws in process; `{"retry":true}` throws a RetryableError. */
interface Order {
  fail?: boolean;
  retry?: boolean;
}
const ok = '{}';
const poison = 'not json';
const throws = '{"fail":true}';
const transient = '{"retry":true}';

function play(record: KafkaRecord<string, Order>): void {
  if (record.value.retry) throw new RetryableError('the ledger blinked');
  if (record.value.fail) throw new Error('no such account');
}

/** Poison to the dead-letter topic, every other failure reported. */
const poisonToDlq = (failure: RecordFailure) =>
  failure.error instanceof RecordDecodeError ? 'dead-letter' : 'report';

describe('each failure goes where its route says', () => {
  it('poison dead-lettered, the rest reported: the partition stops at the report, the other partition goes on', async () => {
    const producer = new ScriptedProducer();
    const seen: Array<[number, number, string, string]> = [];
    const handler = createKafkaHandler({
      value: json<Order>(),
      producer,
      logger: silentLogger,
      onError: {
        policy(failure) {
          seen.push([failure.record.partition, failure.record.offset, failure.stage, failure.error.name]);
          return poisonToDlq(failure);
        },
        routes: ['dead-letter', 'report'],
        topic: 'orders.dlq',
      },
      process: play,
    });
    const result = await handler(partitions([ok, poison, throws, ok], [poison, ok]), context());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 2 } }] });
    expect(producer.valuesOf('orders.dlq')).toEqual([poison, poison]);
    expect(seen.sort()).toEqual([
      [0, 1, 'decode', 'RecordDecodeError'],
      [0, 2, 'process', 'Error'],
      [1, 0, 'decode', 'RecordDecodeError'],
    ]);
  });

  it('the route sees the typed record after decode, and the stage of its failure', async () => {
    const stages: string[] = [];
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer: new ScriptedProducer(),
      logger: silentLogger,
      onError: {
        policy(failure) {
          stages.push(failure.stage);
          // The handler's types after decode: the value is { id }.
          if (failure.stage !== 'decode') return failure.record.value.id === 1 ? 'log' : 'retry-batch';
          return 'log';
        },
        routes: ['log', 'retry-batch'],
      },
      process(record, { produce }) {
        if (record.value.id === 1) throw new Error('one');
        produce({
          topic: 'out',
          value: record.value,
          serializer: {
            serialize() {
              throw new RangeError('cannot encode');
            },
          },
        });
      },
    });
    const { error } = await settle(handler(partitions(['{"id":1}', '{"id":2}']), context()));
    expect(stages).toEqual(['process', 'produce']);
    expect(error).toBeInstanceOf(RecordProcessingError);
  });

  it("'log' logs the record and goes on; the handler resolves with nothing when its routes cannot report", async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({
      value: json<Order>(),
      logger,
      onError: { policy: () => 'log', routes: ['log'] },
      process: play,
    });
    expect(await handler(partitions([throws, ok]), context())).toBeUndefined();
    expect(logger.at('error')[0]!.fields).toMatchObject({
      topic: 'in',
      partition: 0,
      offset: 0,
      stage: 'process',
    });
  });

  it("'report' in its routes: a batch with nothing reported resolves with an empty batchItemFailures", async () => {
    const handler = createKafkaHandler({
      logger: silentLogger,
      onError: { policy: () => 'log', routes: ['log', 'report'] },
      process() {},
    });
    expect(await handler(partitions([ok]), context())).toEqual({ batchItemFailures: [] });
  });
});

describe('records not done (hand-backs) follow the routes', () => {
  it("with 'report' in its routes: a retryable error is reported, never given to the route", async () => {
    let asked = 0;
    const handler = createKafkaHandler({
      value: json<Order>(),
      producer: new ScriptedProducer(),
      logger: silentLogger,
      onError: {
        policy: () => {
          asked++;
          return 'dead-letter';
        },
        routes: ['dead-letter', 'report'],
        topic: 'orders.dlq',
      },
      process: play,
    });
    const result = await handler(partitions([ok, transient, ok]), context());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 1 } }] });
    expect(asked).toBe(0);
  });

  it('without it: a retryable error fails the invocation', async () => {
    const handler = createKafkaHandler({
      value: json<Order>(),
      producer: new ScriptedProducer(),
      logger: silentLogger,
      onError: { policy: () => 'dead-letter', routes: ['dead-letter'], topic: 'orders.dlq' },
      process: play,
    });
    const { error } = await settle(handler(partitions([ok, transient]), context()));
    expect(error).toBeInstanceOf(RecordProcessingError);
    expect((error as RecordProcessingError).cause).toBeInstanceOf(RetryableError);
  });

  it('the deadline: reported with report in the routes, else DeadlineExceededError', async () => {
    const slow = (routes: Array<'log' | 'report'>) =>
      createKafkaHandler({
        logger: silentLogger,
        deadlineReserveMs: 500,
        onError: { policy: () => 'log', routes },
        async process() {
          await sleep(400);
        },
      });
    const reported = await slow(['log', 'report'])(partitions(['a', 'b', 'c']), context(1_300));
    expect(reported?.batchItemFailures).toHaveLength(1);
    const { error } = await settle(slow(['log'])(partitions(['a', 'b', 'c']), context(1_300)));
    expect(error).toBeInstanceOf(DeadlineExceededError);
  });

  it("a middleware's hand-back: reported with report in the routes (BeforeBatch says so), else the invocation fails", async () => {
    const seen: Array<{ policy: string; reports: boolean }> = [];
    const handsBackSecond: BatchMiddleware = {
      name: 'hands-back',
      before(batch) {
        seen.push({ policy: batch.policy, reports: batch.reports });
        batch.handBack(0, 1, new Error('in progress elsewhere'));
      },
    };
    const handler = (routes: Array<'log' | 'report'>) =>
      createKafkaHandler({
        logger: silentLogger,
        use: [handsBackSecond],
        onError: { policy: () => 'log', routes },
        process() {},
      });
    expect(await handler(['log', 'report'])(partitions(['a', 'b', 'c']), context())).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 1 } }],
    });
    const { error } = await settle(handler(['log'])(partitions(['a', 'b', 'c']), context()));
    expect(error?.message).toBe('in progress elsewhere');
    expect(seen.sort()).toEqual([
      { policy: 'route', reports: true },
      { policy: 'route', reports: false },
    ]);
  });
});

describe('under ordering by key', () => {
  it("a 'report' stops its key only; the partition is reported at its lowest record not done", async () => {
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: json<Order>(),
      logger: silentLogger,
      ordering: 'key',
      onError: { policy: () => 'report', routes: ['report'] },
      async process(record) {
        ran.push(record.offset);
        await sleep(1);
        play(record);
      },
    });
    // Keys: A B A B — A's first record fails: A's second never runs, B's both do.
    const event = mskEvent(
      [throws, ok, ok, ok].map((value, offset) =>
        eventRecord('in', 0, offset, value, { key: Buffer.from(offset % 2 ? 'B' : 'A').toString('base64') }),
      ),
    );
    expect(await handler(event, context())).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 0 } }],
    });
    expect(ran.sort()).toEqual([0, 1, 3]);
  });

  it('warns at init when a route may re-run records of other keys, without idempotency', () => {
    const logger = captureLogger();
    createKafkaHandler({
      logger,
      ordering: 'key',
      onError: { policy: () => 'log', routes: ['log', 'report'] },
      process() {},
    });
    expect(logger.at('warn').map((l) => l.fields)).toEqual([{ ordering: 'key', onError: 'report' }]);
    const quiet = captureLogger();
    createKafkaHandler({
      logger: quiet,
      ordering: 'key',
      onError: { policy: () => 'log', routes: ['log', 'dead-letter'], topic: 'x.dlq' },
      producer: new ScriptedProducer(),
      process() {},
    });
    expect(quiet.at('warn')).toEqual([]);
  });
});

describe('every record failing alike is the environment, under a route too', () => {
  const alike = (allFailedAlike: 'fail-invocation' | 'apply-policy') => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: json<Order>(),
      producer,
      logger: silentLogger,
      onError: {
        policy: poisonToDlq,
        routes: ['dead-letter', 'report'],
        topic: 'orders.dlq',
        allFailedAlike,
      },
      process: play,
    });
    return { producer, run: () => settle(handler(partitions([poison, poison], [poison]), context())) };
  };

  it('fail-invocation (the default): nothing is dead-lettered, the batch comes again', async () => {
    const { producer, run } = alike('fail-invocation');
    const { error } = await run();
    expect(error).toBeInstanceOf(EveryRecordFailedError);
    expect(producer.valuesOf('orders.dlq')).toEqual([]);
  });

  it('apply-policy: each goes where its route says', async () => {
    const { producer, run } = alike('apply-policy');
    expect((await run()).result).toEqual({ batchItemFailures: [] });
    expect(producer.valuesOf('orders.dlq')).toEqual([poison, poison, poison]);
  });
});

describe("a route's mistake fails the invocation, naming the record", () => {
  const routeAnswering = (answer: (failure: RecordFailure) => unknown) =>
    createKafkaHandler({
      value: json<Order>(),
      producer: new ScriptedProducer(),
      logger: silentLogger,
      onError: {
        policy: answer as () => 'report',
        routes: ['dead-letter', 'report'],
        topic: 'orders.dlq',
      },
      process: play,
    });

  it.each([
    [
      'it throws',
      () => {
        throw new TypeError('no route for this');
      },
      /^onError\.policy could not route in-1@0: it threw: no route for this$/,
    ],
    [
      'a typo',
      () => 'reprot',
      /^onError\.policy could not route in-1@0: it returned 'reprot', not one of its routes \('dead-letter', 'report'\) \(did you mean 'report'\?\)$/,
    ],
    [
      'a policy it did not declare',
      () => 'log',
      /^onError\.policy could not route in-1@0: it returned 'log', not one of its routes \('dead-letter', 'report'\): add 'log' to onError\.routes if it may$/,
    ],
    [
      'a promise',
      async () => 'report',
      /^onError\.policy could not route in-1@0: it returned a promise; a route decides synchronously, returning one of 'dead-letter', 'report'$/,
    ],
    ['nothing', () => undefined, /it returned undefined, not one of its routes/],
  ])('%s', async (_name, answer, message) => {
    const { error } = await settle(routeAnswering(answer)(partitions([ok, ok], [throws, ok]), context()));
    expect(error).toBeInstanceOf(FailureRouteError);
    expect(error!.message).toMatch(message);
    expect((error as FailureRouteError).record).toEqual({ topic: 'in', partition: 1, offset: 0 });
  });

  it("keeps what the route threw as the error's cause", async () => {
    const thrown = new TypeError('no route for this');
    const { error } = await settle(
      routeAnswering(() => {
        throw thrown;
      })(partitions([throws]), context()),
    );
    expect((error as FailureRouteError).cause).toBe(thrown);
  });
});

describe('checked at load', () => {
  const route = () => 'log' as const;

  /** The ConfigError createKafkaHandler throws for `onError` (fails the test when it throws none). */
  function configError(onError: unknown, extra: Record<string, unknown> = {}): string {
    try {
      createKafkaHandler({ process() {}, onError, ...extra } as never);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('createKafkaHandler accepted it');
  }

  it.each([
    [
      { policy: route },
      /^onError\.routes must list the policies onError\.policy may return \(some of 'log', 'dead-letter', 'report', 'retry-batch'; 'report' only if the ESM has ReportBatchItemFailures on\), not an undefined$/,
    ],
    [{ policy: route, routes: [] }, /^onError\.routes must list the policies/],
    [{ policy: route, routes: 'log' }, /^onError\.routes must list the policies .*, not a string$/],
    [
      { policy: route, routes: ['log', 'reprot'] },
      /^onError\.routes\[1\] must be one of 'log', 'dead-letter', 'report', 'retry-batch', not 'reprot' \(did you mean 'report'\?\)$/,
    ],
    [
      { policy: route, routes: ['dead-letter'] },
      /^onError\.topic must be a topic name or a function of \(record, error\) returning one, not an undefined$/,
    ],
    [
      { policy: route, routes: ['log'], topic: 'x.dlq' },
      /^onError\.topic is for policy 'dead-letter' only, not a route whose routes lack it \(add 'dead-letter' to onError\.routes if the route may return it\)$/,
    ],
    [
      { policy: 'log', routes: ['log'] },
      /^onError\.routes is for a route \(onError\.policy a function of the failure\), not for policy 'log'$/,
    ],
    [
      { policy: { route, routes: ['log'] } },
      /^onError\.policy must be 'log', 'dead-letter', 'report', 'retry-batch', or a function of the failure returning one of them \(with onError\.routes\), not an object$/,
    ],
    [
      route,
      /^onError must be .*, not a function: a route goes in onError: \{ policy: \(failure\) => …, routes: \[\.\.\.\] \}$/,
    ],
    [{ policy: route, routes: ['log'], route: 'x' }, /^onError has no `route` \(did you mean `routes`\?\)$/],
    [
      { policy: route, routes: ['log'], allFailedAlike: 'no' },
      /^onError\.allFailedAlike must be 'fail-invocation' or 'apply-policy'$/,
    ],
  ])('%o', (onError, message) => {
    expect(configError(onError)).toMatch(message);
  });

  it('a route that may dead-letter needs a producer', () => {
    expect(configError({ policy: route, routes: ['log', 'dead-letter'], topic: 'x.dlq' })).toBe(
      "onError: { routes: ['dead-letter', …] } needs a `producer` to write the dead letters",
    );
  });

  it('a route is not called at load, and a JavaScript caller may repeat a route', () => {
    let called = false;
    createKafkaHandler({
      value: string(),
      onError: {
        policy: () => {
          called = true;
          return 'log';
        },
        routes: ['log', 'log'] as Array<'log'>,
      },
      process() {},
    });
    expect(called).toBe(false);
  });
});
