import { ConfigError } from '@kafka-lambda/core';

/** Which store answered (or did not). */
export type StoreName = 'dynamodb' | 'redis';

/** The store operation of the IdempotencyStore contract that failed. */
export type StoreOperation = 'claim' | 'complete' | 'release';

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
