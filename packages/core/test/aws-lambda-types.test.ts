// The annotations a user writes with @types/aws-lambda: checked by `pnpm typecheck` (the
// expect-error lines fail it if a type becomes looser), run by vitest for the runtime half.

import {
  type BatchItemFailures,
  createKafkaHandler,
  type ErrorPolicyOptions,
  json,
  type KafkaHandler,
  RecordDecodeError,
} from '@kafka-lambda/core';
import type { RecordFailure } from '@kafka-lambda/core/errors';
import { lambdaContext, memoryProducer, mskEvent, selfManagedKafkaEvent } from '@kafka-lambda/testing';
import type {
  Handler,
  MSKEvent,
  MSKHandler,
  SelfManagedKafkaEvent,
  SelfManagedKafkaHandler,
} from 'aws-lambda';
import { describe, expect, expectTypeOf, it } from 'vitest';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('@types/aws-lambda annotations', () => {
  it('MSKHandler and SelfManagedKafkaHandler annotate a handler of the log, dead-letter and retry-batch policies', async () => {
    const handler: MSKHandler = createKafkaHandler({
      value: json<{ id: number }>(),
      logger: silent,
      process() {},
    });
    const selfManaged: SelfManagedKafkaHandler = createKafkaHandler({
      onError: 'retry-batch',
      logger: silent,
      process() {},
    });
    expectTypeOf(createKafkaHandler({ onError: 'log', process() {} })).toEqualTypeOf<
      KafkaHandler<undefined>
    >();
    const event: MSKEvent = mskEvent([{ key: 'k', value: { id: 1 } }]);
    expect(await handler(event, lambdaContext(), () => undefined)).toBeUndefined();
    const other: SelfManagedKafkaEvent = selfManagedKafkaEvent([{ key: 'k', value: 'v' }]);
    expect(await selfManaged(other, lambdaContext(), () => undefined)).toBeUndefined();
  });

  it("onError: 'report' resolves with batchItemFailures: Handler<MSKEvent, BatchItemFailures | undefined> fits, MSKHandler does not", async () => {
    const report = createKafkaHandler({
      onError: 'report',
      logger: silent,
      process() {
        throw new Error('no');
      },
    });
    const annotated: Handler<MSKEvent, BatchItemFailures | undefined> = report;
    // @ts-expect-error MSKHandler resolves with void: a report handler's failures would be dropped by the type
    const wrong: MSKHandler = report;
    void wrong;
    const result = await annotated(
      mskEvent([{ key: 'k', value: 'v', offset: 7 }], { topic: 't' }),
      lambdaContext(),
      () => undefined,
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 7 } }] });
    // A policy only known at run time keeps the full result type.
    const policy = { policy: 'report' } as ErrorPolicyOptions;
    expectTypeOf(createKafkaHandler({ onError: policy, process() {} })).toEqualTypeOf<KafkaHandler>();
    // As the docs say: MSKHandler does not fit it, Handler<MSKEvent, BatchItemFailures | undefined> does.
    // @ts-expect-error it may resolve with { batchItemFailures }
    const notMsk: MSKHandler = createKafkaHandler({ onError: policy, process() {} });
    const fits: Handler<MSKEvent, BatchItemFailures | undefined> = createKafkaHandler({
      onError: policy,
      process() {},
    });
    void notMsk;
    void fits;
  });

  it("a route's routes decide the result type: with 'report' it resolves with batchItemFailures, without it MSKHandler fits", async () => {
    const producer = memoryProducer();
    const reporting = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      logger: silent,
      onError: {
        policy: (failure) => (failure.error instanceof RecordDecodeError ? 'dead-letter' : 'report'),
        routes: ['dead-letter', 'report'],
        topic: 'orders.dlq',
      },
      process(record) {
        if (record.value.id === 2) throw new Error('no');
      },
    });
    expectTypeOf(reporting).toEqualTypeOf<KafkaHandler<BatchItemFailures | undefined>>();
    // @ts-expect-error a route that may report resolves with { batchItemFailures }: MSKHandler would drop them
    const wrong: MSKHandler = reporting;
    void wrong;
    const result = await reporting(
      mskEvent(
        [
          { value: 'not json', offset: 6 },
          { value: { id: 1 }, offset: 7 },
          { value: { id: 2 }, offset: 8 },
          { value: { id: 3 }, offset: 9 },
        ],
        { topic: 't' },
      ),
      lambdaContext(),
    );
    // 6 dead-lettered, 7 processed, 8 reported (the partition stops there: 9 comes again with it).
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 8 } }] });
    expect(producer.messages.filter((m) => m.topic === 'orders.dlq').map((m) => m.text())).toEqual([
      'not json',
    ]);

    const logging: MSKHandler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      logger: silent,
      tombstones: 'process',
      onError: {
        // A decode failure's record is untyped (it did not decode); the others are the handler's.
        policy: (failure) =>
          failure.stage === 'decode' ? 'dead-letter' : failure.record.value?.id === 1 ? 'log' : 'retry-batch',
        routes: ['log', 'dead-letter', 'retry-batch'],
        topic: (record) => `${record.topic}.dlq`,
      },
      process() {},
    });
    void logging;
    expectTypeOf(
      createKafkaHandler({ onError: { policy: () => 'log', routes: ['log'] }, process() {} }),
    ).toEqualTypeOf<KafkaHandler<undefined>>();
    const route = (failure: RecordFailure<string, { id: number }>) =>
      failure.stage === 'decode' ? ('log' as const) : ('report' as const);
    expectTypeOf(
      createKafkaHandler({
        value: json<{ id: number }>(),
        onError: { policy: route, routes: ['log', 'report'] },
        process() {},
      }),
    ).toEqualTypeOf<KafkaHandler<BatchItemFailures | undefined>>();

    // A route may return only what its routes list; one that may dead-letter needs its topic.
    const undeclared = () =>
      // @ts-expect-error 'log' is not one of its routes
      createKafkaHandler({ onError: { policy: () => 'log', routes: ['report'] }, process() {} });
    const dlq = ['dead-letter'] as const;
    const noTopic = () =>
      createKafkaHandler({
        producer,
        // @ts-expect-error a route that may dead-letter needs its topic
        onError: { policy: () => 'dead-letter', routes: dlq },
        process() {},
      });
    void undeclared;
    expect(noTopic).toThrow(/onError.topic must be a topic name/);
    // A route only known at run time (typed as ErrorPolicyOptions) keeps the full result type.
    const known: ErrorPolicyOptions = { policy: () => 'log', routes: ['log'] };
    expectTypeOf(createKafkaHandler({ onError: known, process() {} })).toEqualTypeOf<KafkaHandler>();
  });

  it('events with keyless records or tombstones are our MskEvent, not @types/aws-lambda MSKEvent (whose key and value are always strings)', () => {
    const tombstone = mskEvent([{ key: 'k', value: null }]);
    expect(Object.values(tombstone.records)[0]![0]!.value).toBeNull();
    // @ts-expect-error a tombstone's value is null, which MSKRecord does not allow
    const asAws: MSKEvent = tombstone;
    void asAws;
    // @ts-expect-error a record without a key has no `key` field
    const keyless: MSKEvent = mskEvent([{ value: 'v' }]);
    expect('key' in Object.values(keyless.records)[0]![0]!).toBe(false);
    expectTypeOf(
      mskEvent([{ key: 'k', value: 'v' }], { topic: 't' }).records['t-0']![0]!.timestampType,
    ).toEqualTypeOf<'CREATE_TIME' | 'LOG_APPEND_TIME'>();
  });
});
