import { randomUUID } from 'node:crypto';

/**
 * An error shaped like the one `@aws-sdk/client-dynamodb` (v3) rejects with once DynamoDB throttled
 * every attempt: the SDK's `ProvisionedThroughputExceededException` (name, DynamoDB's message,
 * `$fault: 'client'`, `$metadata` with the HTTP status and the attempts its retry strategy made,
 * `__type`), field for field as recorded from the real client in
 * packages/idempotency/test/recordings/dynamodb-errors.json. For {@link MemoryIdempotencyStore.fail};
 * core treats any rejection of a store as retryable.
 *
 * @example
 * ```ts
 * import { dynamoDbThrottlingError, memoryIdempotencyStore } from '@kafka-lambda/testing';
 *
 * const store = memoryIdempotencyStore().fail('claim', dynamoDbThrottlingError, 1);
 * console.log(dynamoDbThrottlingError().name); // ProvisionedThroughputExceededException
 * ```
 */
export function dynamoDbThrottlingError(): Error {
  return Object.assign(
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
}

/**
 * An error shaped like the one a Redis client rejects with when the server cannot be reached: Node's
 * socket error (`connect ECONNREFUSED 127.0.0.1:6379`, `code`, `errno`, `syscall`, `address`, `port`),
 * as node-redis passes it on (recorded in packages/idempotency/test/recordings/redis-errors.json).
 * For {@link MemoryIdempotencyStore.fail}.
 *
 * @example
 * ```ts
 * import { memoryIdempotencyStore, redisConnectionError } from '@kafka-lambda/testing';
 *
 * const store = memoryIdempotencyStore().fail('complete', redisConnectionError);
 * console.log(redisConnectionError().message); // connect ECONNREFUSED 127.0.0.1:6379
 * ```
 */
export function redisConnectionError(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address: '127.0.0.1',
    port: 6379,
  });
}
