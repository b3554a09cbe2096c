import type { BatchItemFailures, LambdaContext } from '../contract/lambda.js';
import type { ProcessContext } from '../contract/process-context.js';
import type { KafkaProducer } from '../contract/producer.js';
import type { BatchMiddleware } from '../middleware/batch-middleware.js';
import type { KafkaRecord } from '../record/record.js';
import type { Deserializer } from '../serde/serde.js';
import type { Logger } from '../shared/logger.js';

export type { BatchItemFailures, BatchSummary, LambdaContext } from '../contract/lambda.js';

import type { Ordering } from '../ordering/ordering.js';
import type { ErrorPolicy, ErrorPolicyOptions } from '../policies/error-policy.js';

export type {
  ProcessContext,
  ProduceHeaders,
  ProduceRequestBase,
  RawProduceRequest,
  SerializedProduceRequest,
} from '../contract/process-context.js';
export type { Ordering, OrderingKey } from '../ordering/ordering.js';
export type { AllFailedAlike, ErrorPolicy, ErrorPolicyOptions } from '../policies/error-policy.js';

/** Options shared by both tombstone modes; `R` is the type `process` sees as `record.value`. */
export interface KafkaHandlerOptionsBase<K, V, R> {
  /** Key deserializer; default `string()`. */
  key?: Deserializer<K>;
  /** Value deserializer; default `bytes()`. */
  value?: Deserializer<V>;
  /** Your work for one record. Throw (or reject) to fail the record; `context.produce` queues results. */
  process(record: KafkaRecord<K, R>, context: ProcessContext): void | Promise<void>;
  /**
   * What a failed record does: a policy's name (default `'log'`), or the policy with what it needs,
   * `{ policy: 'dead-letter', topic }` (a topic, or a function choosing one per failed record),
   * a route choosing the policy per failure (`{ policy: (failure) => …, routes: [...] }`), and for
   * every policy what a batch whose records all failed alike does (`allFailedAlike`). See
   * {@link ErrorPolicy} and {@link ErrorPolicyOptions}.
   */
  onError?: Exclude<ErrorPolicy, 'dead-letter'> | ErrorPolicyOptions<K, R>;
  /**
   * Where `produce` and dead letters go: `kafkaProducer(config)` from `@kafka-lambda/core/producer`
   * (created once at module scope: one warm producer per container), or `memoryProducer()` in tests.
   * A transactional producer (`kafkaProducer(config, { transactional: true })`) makes each
   * invocation's outputs (results and dead letters) ONE Kafka transaction, committed only when the
   * invocation succeeds: see docs/effectively-once.md.
   */
  producer?: KafkaProducer;
  /**
   * Which records may run at the same time: `'partition'` (default: a partition's records one at a
   * time, in offset order), `'key'` (a key's records one at a time, in offset order; different keys
   * at once) or `'none'`. See {@link Ordering} and docs/ordering.md.
   */
  ordering?: Ordering;
  /**
   * The most records in flight at once in an invocation, across partitions (under `'partition'`,
   * the partitions in flight). Default 16. Replaces `partitionConcurrency`.
   */
  concurrency?: number;
  /**
   * Time kept free at the end of the invocation to flush: no record starts later than
   * `remaining - reserve`. Default 10% of the remaining time at start, between 500 ms and 10 s.
   * At least 500 ms (a `ConfigError` below): what the end of a batch needs.
   */
  deadlineReserveMs?: number;
  /** Where the handler logs (a Powertools `Logger` fits). Default {@link jsonLogger}. */
  logger?: Logger;
  /** Log the batch summary at info level. Default true. */
  logSummary?: boolean;
  /**
   * Batch middleware, in middy's shape: each may act before any record runs (skip records, hand them
   * back, decode them ahead), observe the invocation (around each record, its final outcome, the
   * flush: tracing, metrics, `hooks()`), and act after its outcome is decided (idempotency's
   * complete). See {@link BatchMiddleware}.
   */
  use?: ReadonlyArray<BatchMiddleware<NoInfer<K>, NoInfer<R>>>;
}

/** Options of {@link createKafkaHandler} when tombstones are skipped (the default): `record.value` is `V`. */
export interface KafkaHandlerOptions<K, V> extends KafkaHandlerOptionsBase<K, V, V> {
  /** `skip` (default) counts tombstones in the summary without calling `process`. */
  tombstones?: 'skip';
}

/** Options of {@link createKafkaHandler} with `tombstones: 'process'`: `record.value` is `V | null`. */
export interface KafkaHandlerOptionsWithTombstones<K, V> extends KafkaHandlerOptionsBase<K, V, V | null> {
  tombstones: 'process';
}

/**
 * The Lambda handler {@link createKafkaHandler} returns. `producer` is the container's producer it
 * uses (absent without the `producer` option), exposed for tests and for closing it yourself.
 *
 * `R` is what an invocation resolves with: `undefined` for the `log`, `dead-letter` and `retry-batch`
 * policies and for a route whose `routes` lack `'report'` (so `@types/aws-lambda`'s `MSKHandler` and
 * `SelfManagedKafkaHandler` fit), and `BatchItemFailures | undefined` with `onError: 'report'`, a
 * route that may report, or an `onError` typed as the union `ErrorPolicy` (annotate those with
 * `Handler<MSKEvent, BatchItemFailures | undefined>`).
 *
 * @example
 * ```ts
 * import type { MSKHandler } from 'aws-lambda';
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 *
 * export const handler: MSKHandler = createKafkaHandler({ value: json<{ id: string }>(), process(record) {} });
 * ```
 */
export interface KafkaHandler<R = BatchItemFailures | undefined> {
  (event: unknown, context: LambdaContext): Promise<R>;
  readonly producer: KafkaProducer | undefined;
}
