// The root entry: what both stores share, and no client library. The stores themselves live in
// `@kafka-lambda/idempotency/dynamodb` and `@kafka-lambda/idempotency/redis`, so that a function
// loads only the client of the store it uses.
export { StoreConfigError, type StoreName, type StoreOperation, StoreRequestError } from './errors.js';
