import { KafkaLambdaError } from '@kafka-lambda/core';
import type { StoreOperation } from './errors.js';

/**
 * A request of an idempotency store failed: the server was unreachable, refused or throttled the
 * request, a script failed, or the invocation's signal aborted the wait. The stores of
 * `@kafka-lambda/idempotency` reject with it, and so do the outage helpers of
 * `@kafka-lambda/testing`'s memory store. Core's seam turns any store rejection into a retryable
 * failure of the invocation (`IdempotencyStoreError`, with this error as its `cause`), so a store
 * outage never skips or dead-letters a record.
 *
 * `code` is the client's own name for the fault, as recorded from the real clients
 * (packages/idempotency/test/recordings): `ECONNREFUSED`, `ProvisionedThroughputExceededException`,
 * `ThrottlingException`, `ResourceNotFoundException`, `NOSCRIPT`, `ClientClosedError`, `aborted`, …
 * `cause` is the client's error itself.
 *
 * @example
 * ```ts
 * import { StoreRequestError } from '@kafka-lambda/idempotency';
 *
 * const error = new StoreRequestError('redis', 'claim', 500, 'ECONNREFUSED', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
 * console.log(error.message); // redis store: claim of 500 key(s) failed (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:6379
 * ```
 */
export class StoreRequestError extends KafkaLambdaError {
  override name = 'StoreRequestError';
  /** Always true: the same request may succeed later (the store's state is unchanged or expires). */
  readonly retryable = true;
  constructor(
    /** The store that failed: `dynamodb`, `redis`, or your own store's name. */
    readonly store: string,
    /** The contract's operation that failed. */
    readonly operation: StoreOperation,
    /** How many keys the operation carried. */
    readonly keys: number,
    /** The client's name for the fault (see the class description). */
    readonly code: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${store} store: ${operation} of ${keys} key(s) failed (${code}): ${reason}`, { cause });
  }
}
