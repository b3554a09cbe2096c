import { KafkaLambdaError, type RecordLocation } from '@kafka-lambda/core';
import { describeLocation, locationOf } from '@kafka-lambda/core/middleware';
import type { StoreOperation } from './errors.js';

/**
 * The idempotency store did not answer (down, throttled, too slow for the invocation's budget).
 * Retryable: when a claim fails the invocation fails before any record runs, so nothing is
 * processed, skipped or dead-lettered, and the event source mapping retries the batch. `cause` is
 * the store's own error (or the timeout).
 *
 * @example
 * ```ts
 * import { IdempotencyStoreError } from '@kafka-lambda/idempotency';
 *
 * const error = new IdempotencyStoreError('claim', 3, { topic: 'orders', partition: 0, offset: 42 }, new Error('throttled'));
 * console.log(error.message); // idempotency store failed to claim 3 key(s), first for orders-0@42: throttled
 * console.log(error.retryable); // true
 * ```
 */
export class IdempotencyStoreError extends KafkaLambdaError {
  override name = 'IdempotencyStoreError';
  readonly retryable = true;
  /** The first record whose key was in the call. */
  readonly record: RecordLocation;
  constructor(
    readonly operation: StoreOperation,
    /** How many keys the call carried. */
    readonly keys: number,
    first: RecordLocation,
    cause: unknown,
  ) {
    super(
      `idempotency store failed to ${operation} ${keys} key(s), first for ${describeLocation(first)}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.record = locationOf(first);
  }

  /** The same as `record`; a getter, so that loggers copying an error's fields keep their own `location`. */
  get location(): RecordLocation {
    return this.record;
  }
}

/**
 * A record's idempotency key is held by another invocation that has not finished (a concurrent or
 * timed-out attempt, until its claim expires at that invocation's deadline). The record was not
 * processed and is never skipped: under `report` it is reported (its partition resumes there),
 * under every other policy the invocation fails with this retryable error before any record runs.
 *
 * @example
 * ```ts
 * import { RecordInProgressError } from '@kafka-lambda/idempotency';
 *
 * const error = new RecordInProgressError({ topic: 'orders', partition: 1, offset: 7 }, 'settle#orders-1@7');
 * console.log(error.message); // orders-1@7 is in progress in another invocation (key settle#orders-1@7); retry later
 * ```
 */
export class RecordInProgressError extends KafkaLambdaError {
  override name = 'RecordInProgressError';
  readonly retryable = true;
  readonly record: RecordLocation;
  constructor(
    location: RecordLocation,
    /** The idempotency key another invocation holds. */
    readonly key: string,
  ) {
    super(`${describeLocation(location)} is in progress in another invocation (key ${key}); retry later`);
    this.record = locationOf(location);
  }

  /** The same as `record`; a getter, so that loggers copying an error's fields keep their own `location`. */
  get location(): RecordLocation {
    return this.record;
  }
}
