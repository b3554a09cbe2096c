import { randomUUID } from 'node:crypto';
import { type StoreOperation, StoreRequestError } from '@kafka-lambda/idempotency';

/**
 * What `@kafka-lambda/idempotency`'s DynamoDB store rejects with once DynamoDB throttled every
 * attempt: a `StoreRequestError` (store `dynamodb`, code `ProvisionedThroughputExceededException`)
 * whose `cause` is the AWS SDK's (v3) exception (name, DynamoDB's message, `$fault: 'client'`,
 * `$metadata` with the HTTP status and the attempts its retry strategy made, `__type`), field for
 * field as recorded from the real client in packages/idempotency/test/recordings/dynamodb-errors.json.
 * For {@link MemoryIdempotencyStore.fail}, which passes the operation and the number of keys.
 *
 * @example
 * ```ts
 * import { dynamoDbThrottlingError, memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
 *
 * const store = memoryIdempotencyStore().fail('claim', dynamoDbThrottlingError, 1);
 * console.log(dynamoDbThrottlingError('claim', 2).message);
 * // dynamodb store: claim of 2 key(s) failed (ProvisionedThroughputExceededException): The level of …
 * ```
 */
export function dynamoDbThrottlingError(operation: StoreOperation = 'claim', keys = 1): StoreRequestError {
  const sdkError = Object.assign(
    new Error(
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    ),
    {
      name: 'ProvisionedThroughputExceededException',
      $fault: 'client' as const,
      $metadata: {
        httpStatusCode: 400,
        requestId: randomUUID().replaceAll('-', '').toUpperCase().slice(0, 32),
        attempts: 3,
        totalRetryDelay: 180,
      },
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    },
  );
  return new StoreRequestError('dynamodb', operation, keys, sdkError.name, sdkError);
}

/**
 * What `@kafka-lambda/idempotency`'s Redis store rejects with when the server cannot be reached: a
 * `StoreRequestError` (store `redis`, code `ECONNREFUSED`) whose `cause` is Node's socket error
 * (`connect ECONNREFUSED 127.0.0.1:6379`, `code`, `errno`, `syscall`, `address`, `port`) as node-redis
 * passes it on (recorded in packages/idempotency/test/recordings/redis-errors.json). For
 * {@link MemoryIdempotencyStore.fail}, which passes the operation and the number of keys.
 *
 * @example
 * ```ts
 * import { memoryIdempotencyStore, redisConnectionError } from '@kafka-lambda/testing/idempotency';
 *
 * const store = memoryIdempotencyStore().fail('complete', redisConnectionError);
 * console.log(redisConnectionError('complete', 3).message);
 * // redis store: complete of 3 key(s) failed (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:6379
 * ```
 */
export function redisConnectionError(operation: StoreOperation = 'claim', keys = 1): StoreRequestError {
  const socketError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address: '127.0.0.1',
    port: 6379,
  });
  return new StoreRequestError('redis', operation, keys, socketError.code, socketError);
}
