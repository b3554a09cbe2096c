// `@kafka-lambda/idempotency/redis`: the only entry that imports `@redis/client`.
export type { RedisConnectionOptions, RedisEvalOptions, RedisScriptClient } from '../redis/client.js';
export type { RedisStoreOptions } from '../redis/redis-options.js';
export { RedisIdempotencyStore, redisStore } from '../redis/redis-store.js';
