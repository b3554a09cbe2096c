// The root entry: the idempotency middleware, the store contract, and no client library. The stores
// themselves live in `@kafka-lambda/idempotency/dynamodb` and `@kafka-lambda/idempotency/redis`, so
// that a function loads only the client of the store it uses.
export { IdempotencyStoreError, RecordInProgressError } from './claim-errors.js';
export { StoreConfigError, type StoreName, type StoreOperation } from './errors.js';
export { idempotency } from './middleware/idempotency.js';
export { DEFAULT_COMPLETED_TTL_SECONDS, type IdempotencyOptions } from './middleware/options.js';
export type { ClaimOptions, ClaimState, CompleteOptions, IdempotencyStore, ReleaseOptions } from './store.js';
export { StoreRequestError } from './store-request-error.js';
