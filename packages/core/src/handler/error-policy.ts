/**
 * What happens when a record fails (bad bytes, a deserializer error, a throw in `process`):
 * - `log`: log it with topic/partition/offset and go on; the batch succeeds.
 * - `dead-letter`: write the original record plus error headers to `deadLetterTopic`; go on.
 * - `report`: stop that partition at the failed record and return it in `batchItemFailures`, so the
 *   ESM retries from there (needs `FunctionResponseTypes: [ReportBatchItemFailures]`).
 * - `retry-batch`: stop and fail the invocation, so the ESM retries the whole batch.
 */
export type ErrorPolicy = 'log' | 'dead-letter' | 'report' | 'retry-batch';
