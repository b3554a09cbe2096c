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
 * `onError` as an object: the policy with what it needs. `dead-letter` takes its `topic` (a name,
 * or a function choosing one per failed record); every policy may say what a batch whose records
 * all failed alike does.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 * import { kafkaProducer } from '@kafka-lambda/core/producer';
 *
 * export const handler = createKafkaHandler({
 *   value: json<{ id: string }>(),
 *   producer: kafkaProducer({ 'bootstrap.servers': process.env.KAFKA_BROKERS ?? 'localhost:9092' }),
 *   onError: { policy: 'dead-letter', topic: (record) => `${record.topic}.dlq` },
 *   process(record) {
 *     console.log(record.value.id);
 *   },
 * });
 * ```
 */
export type ErrorPolicyOptions<K = unknown, V = unknown> =
  | {
      policy: 'dead-letter';
      topic: string | ((record: KafkaRecord<K, V>, error: Error) => string);
      allFailedAlike?: AllFailedAlike;
    }
  | { policy: Exclude<ErrorPolicy, 'dead-letter'>; allFailedAlike?: AllFailedAlike };
