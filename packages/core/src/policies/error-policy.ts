import type { FailureStage } from '../contract/fates.js';
import type { KafkaRecord } from '../record/record.js';

/**
 * What happens when a record fails (bad bytes, a deserializer error, a throw in `process`):
 * - `log`: log it with topic/partition/offset and go on; the batch succeeds.
 * - `dead-letter`: write the original record plus error headers to a dead-letter topic; go on.
 * - `report`: stop that partition at the failed record and return it in `batchItemFailures`, so the
 *   ESM retries from there (needs `FunctionResponseTypes: [ReportBatchItemFailures]`).
 * - `retry-batch`: stop and fail the invocation, so the ESM retries the whole batch.
 */
export type ErrorPolicy = 'log' | 'dead-letter' | 'report' | 'retry-batch';

/**
 * When every record of a batch that ran (at least two) failed at the same stage with the same
 * error — a `.proto` file missing from the bundle, a wrong deserializer, a topic the function may
 * not write — that is the environment, not poison records: by default (`'fail-invocation'`) the
 * invocation fails with `EveryRecordFailedError` so the batch is retried, and nothing is logged-
 * and-dropped or dead-lettered for it. `'apply-policy'` treats each failure under the policy as usual.
 * Validation failures (`RecordValidationError`) are about the data and never count as alike.
 */
export type AllFailedAlike = 'fail-invocation' | 'apply-policy';

/**
 * A record that failed for good, as `onError`'s route sees it: the record, what it failed with, and
 * where (`stage`). A record that failed to `decode` has no trustworthy key or value (the
 * deserializer threw), so it is typed `KafkaRecord<unknown, unknown>` there: its raw bytes,
 * headers and place are all there is.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json, RecordDecodeError } from '@kafka-lambda/core';
 * import type { RecordFailure } from '@kafka-lambda/core/errors';
 *
 * interface Order { id: string }
 * // Poison (bad bytes) to the dead-letter topic; anything else comes again from its offset.
 * const route = (failure: RecordFailure<string, Order>) =>
 *   failure.error instanceof RecordDecodeError ? 'dead-letter' : 'report';
 *
 * export const handler = createKafkaHandler({
 *   value: json<Order>(),
 *   onError: { policy: route, routes: ['dead-letter', 'report'], topic: 'orders.dlq' },
 *   process(record) {
 *     console.log(record.value.id);
 *   },
 * });
 * ```
 */
export type RecordFailure<K = unknown, V = unknown> =
  | {
      readonly stage: 'decode';
      readonly record: KafkaRecord<unknown, unknown>;
      readonly error: Error;
    }
  | {
      readonly stage: Exclude<FailureStage, 'decode'>;
      readonly record: KafkaRecord<K, V>;
      readonly error: Error;
    };

/**
 * `onError` as an object: the policy with what it needs. `dead-letter` takes its `topic` (a name,
 * or a function choosing one per failed record); every policy may say what a batch whose records
 * all failed alike does.
 *
 * The policy may also be a function that routes each failure on its own to one of the four
 * (`routes` lists those it may return): poison records to the dead-letter topic, the rest
 * reported for a retry. `routes` decides what the handler is: with `'report'` in it the ESM must
 * have `ReportBatchItemFailures` on, the handler returns `{ batchItemFailures }`, and a record that
 * is not done for another reason (the deadline, a retryable error, a middleware's hand-back) is
 * reported; without it such a record fails the invocation. With `'dead-letter'` in it, `topic` and
 * a `producer` are required. The route runs synchronously, once per failed record; one that throws
 * or returns anything but one of its `routes` fails the invocation with `FailureRouteError`
 * (`@kafka-lambda/core/errors`), naming the record.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json, RecordDecodeError } from '@kafka-lambda/core';
 * import { kafkaProducer } from '@kafka-lambda/core/producer';
 *
 * export const handler = createKafkaHandler({
 *   value: json<{ id: string }>(),
 *   producer: kafkaProducer({ 'bootstrap.servers': process.env.KAFKA_BROKERS ?? 'localhost:9092' }),
 *   onError: {
 *     policy: (failure) => (failure.error instanceof RecordDecodeError ? 'dead-letter' : 'report'),
 *     routes: ['dead-letter', 'report'],
 *     topic: (record) => `${record.topic}.dlq`,
 *   },
 *   process(record) {
 *     console.log(record.value.id);
 *   },
 * });
 * ```
 */
export type ErrorPolicyOptions<K = unknown, V = unknown, R extends ErrorPolicy = ErrorPolicy> =
  | {
      policy: 'dead-letter';
      topic: string | ((record: KafkaRecord<K, V>, error: Error) => string);
      allFailedAlike?: AllFailedAlike;
    }
  | { policy: Exclude<ErrorPolicy, 'dead-letter'>; allFailedAlike?: AllFailedAlike }
  | ({
      /** Called once per record that failed for good (synchronously): the policy it goes to. */
      policy: (failure: RecordFailure<K, V>) => NoInfer<R>;
      /** Every policy `policy` may return: `'report'` in it says the ESM has `ReportBatchItemFailures` on. */
      routes: readonly R[];
      allFailedAlike?: AllFailedAlike;
    } & (ErrorPolicy extends R
      ? // Routes not known to the type (any of the four): the topic is checked at load.
        { topic?: string | ((record: KafkaRecord<K, V>, error: Error) => string) }
      : 'dead-letter' extends R
        ? { topic: string | ((record: KafkaRecord<K, V>, error: Error) => string) }
        : { topic?: undefined }));
