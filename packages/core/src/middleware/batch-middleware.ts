import type { RecordFate } from '../contract/fates.js';
import type { LambdaContext } from '../contract/lambda.js';
import type { PartitionBatch } from '../event/event.js';
import type { ErrorPolicy } from '../policies/error-policy.js';
import type { KafkaRecord } from '../record/record.js';
import type { Logger } from '../shared/logger.js';
import type { EventAdapter } from './event-adapter.js';
import type { BatchObserver, BatchStart } from './instrumentation.js';

export type { RecordFate } from '../contract/fates.js';

/**
 * A piece of the batch loop a handler takes in `use: [...]`, in middy's shape: `before` runs once
 * the batch is parsed and before any record runs (and may decide that records do not run), `after`
 * once the invocation's outcome is decided (after the deliveries, and after the commit or abort of a
 * transactional producer), with what its `before` returned (the middleware is shared by every
 * invocation: per-batch state travels this way). Several run in the order given before the batch,
 * and in the reverse order after it. Between the two, `startBatch` may return an observer of this
 * invocation: around each record's run, on each record's final outcome, on each produced message,
 * the flush and the batch's end (tracing and metrics are such middleware). Idempotency is one
 * (`idempotency()` of `@kafka-lambda/idempotency`), tracing and metrics are others
 * (`kafkaTracing()`, `kafkaMetrics()` of `@kafka-lambda/observability`), `hooks()` a small one.
 *
 * A `before` that throws or rejects fails the invocation before any record ran (so the ESM retries
 * the whole batch). An `after` that throws or rejects is logged and ignored: the batch's outputs are
 * already delivered, and failing it would produce them again on the retry.
 *
 * @example
 * ```ts
 * import { type BatchMiddleware, createKafkaHandler, json } from '@kafka-lambda/core';
 *
 * // Records of a blocked account do not run; each one is logged when the batch ends.
 * const blocked = new Set(['acct-13']);
 * const skipBlocked: BatchMiddleware<string, { account: string }> = {
 *   name: 'skip-blocked-accounts',
 *   async before(batch) {
 *     for (const [p, partition] of batch.partitions.entries())
 *       for (let i = 0; i < partition.records.length; i++) {
 *         const record = await batch.decode(p, i);
 *         if (blocked.has(record.value.account)) batch.skip(p, i);
 *       }
 *   },
 * };
 *
 * export const handler = createKafkaHandler({
 *   value: json<{ account: string }>(),
 *   use: [skipBlocked],
 *   process(record) {
 *     console.log(record.value.account);
 *   },
 * });
 * ```
 */
export interface BatchMiddleware<K = unknown, V = unknown, S = unknown> {
  /** Names it in logs and errors. */
  readonly name: string;
  /** Before any record runs; what it returns is given to `after`. */
  before?(batch: BeforeBatch<K, V>): S | Promise<S>;
  /** `state`: what `before` returned; undefined when it did not run to its end (or there is none). */
  after?(batch: AfterBatch, state: S | undefined): void | Promise<void>;
  /**
   * An observer of this invocation (or none): called once the batch is parsed, synchronously. What
   * an observer throws is logged and ignored: it never changes a record's outcome.
   */
  startBatch?(batch: BatchStart): BatchObserver | undefined;
  /**
   * An event shape the handler takes besides the ESM's (e.g. `sinkConnector()` for Confluent's Lambda
   * Sink Connector): see {@link EventAdapter}.
   */
  readonly events?: EventAdapter;
}

/**
 * A middleware that observes every invocation (tracing, metrics): called as each invocation starts,
 * `startBatch` returns the observer of that invocation (or nothing to sit this one out).
 * Per-invocation state lives in the observer, so concurrent invocations never mix.
 *
 * @example
 * ```ts
 * import { createKafkaHandler } from '@kafka-lambda/core';
 * import type { Instrumentation } from '@kafka-lambda/core/middleware';
 *
 * const timing: Instrumentation = {
 *   name: 'timing',
 *   startBatch({ records }) {
 *     const started = Date.now();
 *     return { end: ({ summary }) => console.log(`${records} records, ${summary.failed} failed, ${Date.now() - started} ms`) };
 *   },
 * };
 * export const handler = createKafkaHandler({ use: [timing], process() {} });
 * ```
 */
export interface Instrumentation extends BatchMiddleware {
  startBatch(batch: BatchStart): BatchObserver | undefined;
}

/** What a middleware's `before` sees of the batch, and what it may decide. */
export interface BeforeBatch<K = unknown, V = unknown> {
  /** The batch as the event carried it: partitions in event order, records in offset order. */
  readonly partitions: readonly PartitionBatch[];
  /** The invocation's Lambda context. */
  readonly context: LambdaContext;
  /** The invocation's logger (every line carries the request id). */
  readonly logger: Logger;
  /** The handler's `onError` policy: its name, or `'route'` when a function chooses one per failed record. */
  readonly policy: ErrorPolicy | 'route';
  /**
   * Whether a record handed back is reported in `batchItemFailures` (under `report`, or a route whose
   * `routes` have it); otherwise a hand-back fails the invocation.
   */
  readonly reports: boolean;
  /** Tombstones (null values) are skipped without running (`tombstones: 'skip'`, the default). */
  readonly skipsTombstones: boolean;
  /** Epoch ms of the invocation's deadline (Lambda's timeout less the handler's reserve). */
  readonly endsAt: number;
  /** How long `before` may take: until no record could start any more. */
  msUntilStop(): number;
  /**
   * The record, decoded by the handler's deserializers; the record's own run reuses it (it is not
   * decoded twice). Rejects (or throws) with the decode error, a `RecordDecodeError` naming it.
   */
  decode(partition: number, index: number): KafkaRecord<K, V> | Promise<KafkaRecord<K, V>>;
  /** The record does not run: it was processed already (its outcome is `already-processed`). */
  skip(partition: number, index: number): void;
  /**
   * The record, and every later one of its partition (under `ordering: 'key'`, of its key; under
   * `'none'`, none), does not run and comes again: reported when the policy {@link BeforeBatch.reports}
   * (the partition's lowest record not done), otherwise the invocation fails with `reason`.
   */
  handBack(partition: number, index: number, reason: Error): void;
}

/** What a middleware's `after` sees of the batch's end. */
export interface AfterBatch {
  /** The batch as the event carried it (as `before` saw it). */
  readonly partitions: readonly PartitionBatch[];
  /** The invocation's Lambda context. */
  readonly context: LambdaContext;
  /** The invocation's logger. */
  readonly logger: Logger;
  /** What the invocation fails with, if it does. */
  readonly error: Error | undefined;
  /** Whether the batch's outputs stand: false when a transaction was aborted (they are invisible). */
  readonly kept: boolean;
  /** How long `after` may take: until the deadline's end, and never less than a round trip's worth. */
  msLeft(): number;
  /** How the record at `index` of `partition` ended. */
  fateOf(partition: number, index: number): RecordFate;
}
