import type { StoreOperation } from '../errors.js';
import { StoreRequestError } from '../store-request-error.js';

/**
 * The code of what the AWS SDK rejected with, as recorded (test/recordings/dynamodb-errors.json):
 * a service error's `name` (`ProvisionedThroughputExceededException`, `ThrottlingException`,
 * `RequestLimitExceeded`, `ResourceNotFoundException`, `ValidationException`…), or a socket error's
 * Node `code` (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`).
 */
export function dynamoDbErrorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error.name;
}

/** A conditional write found the condition false (someone else holds the key). */
export const isConditionFailed = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** The store's error for what a DynamoDB call rejected with. */
export function dynamoDbStoreError(
  operation: StoreOperation,
  keys: number,
  error: unknown,
  aborted = false,
): StoreRequestError {
  if (error instanceof StoreRequestError) return error;
  return new StoreRequestError(
    'dynamodb',
    operation,
    keys,
    aborted ? 'aborted' : dynamoDbErrorCode(error),
    error,
  );
}
