// `@kafka-lambda/idempotency/dynamodb`: the only entry that imports `@aws-sdk/client-dynamodb`.
export type { DynamoDbAttributeNames, DynamoDbStoreOptions } from '../dynamodb/dynamodb-options.js';
export { DynamoDbIdempotencyStore, dynamoDbStore } from '../dynamodb/dynamodb-store.js';
