/**
 * `@kafka-lambda/testing/idempotency`: the in-memory idempotency store and the store outages it can
 * play. It needs `@kafka-lambda/idempotency` (an optional peer: the store contract and its error
 * classes); the root entry does not import it, so a project without idempotency installs and loads
 * `@kafka-lambda/testing` without it.
 *
 * @example
 * ```ts
 * import { createKafkaHandler } from '@kafka-lambda/core';
 * import { idempotency } from '@kafka-lambda/idempotency';
 * import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
 *
 * const store = memoryIdempotencyStore();
 * export const handler = createKafkaHandler({ use: [idempotency({ store })], process() {} });
 * ```
 * @packageDocumentation
 */
export {
  type IdempotencyStoreOperation,
  type MemoryIdempotencyEntry,
  MemoryIdempotencyStore,
  type MemoryIdempotencyStoreOptions,
  memoryIdempotencyStore,
} from '../memory-idempotency-store.js';
export { dynamoDbThrottlingError, redisConnectionError } from '../store-errors.js';
