import { ConfigError, KafkaLambdaError } from '@kafka-lambda/core';

/** Which store answered (or did not). */
export type StoreName = 'dynamodb' | 'redis';

/** The store operation of the IdempotencyStore contract that failed. */
export type StoreOperation = 'claim' | 'complete' | 'release';

/**
 * A request of an idempotency store failed: the server was unreachable, refused or throttled the
 * request, a script failed, or the invocation's signal aborted the wait. Core's idempotency seam
 * turns any store rejection into a retryable failure of the invocation (`IdempotencyStoreError`, with
 * this error as its `cause`), so a store outage never skips or dead-letters a record.
 *
 * `code` is the client's own name for the fault, as it was recorded from the real clients
 * (test/recordings): `ECONNREFUSED`, `ProvisionedThroughputExceededException`, `ThrottlingException`,
 * `ResourceNotFoundException`, `NOSCRIPT`, `ClientClosedError`, `aborted`, … `cause` is the client's
 * error itself.
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
    /** The store that failed. */
    readonly store: StoreName,
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

/**
 * An option of `dynamoDbStore` or `redisStore` is invalid, or the store answered in a way only a
 * configuration can cause (a Redis Cluster refusing keys of several slots). Thrown when the store is
 * created (at module scope) where possible, so a mistake fails the init, not the first batch. Names
 * the option, never a value that could be secret.
 *
 * @example
 * ```ts
 * import { StoreConfigError } from '@kafka-lambda/idempotency';
 * import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
 *
 * try {
 *   dynamoDbStore({ tableName: '' });
 * } catch (error) {
 *   if (error instanceof StoreConfigError) console.error(error.message); // "tableName must be …"
 * }
 * ```
 */
export class StoreConfigError extends ConfigError {
  override name = 'StoreConfigError';
}
