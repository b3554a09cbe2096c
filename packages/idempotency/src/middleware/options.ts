import { ConfigError, type KafkaRecord } from '@kafka-lambda/core';
import type { IdempotencyStore } from '../store.js';

/**
 * How long a completed key keeps its record from running again, unless `completedTtlSeconds` says
 * otherwise: 24 hours.
 *
 * @example
 * ```ts
 * import { DEFAULT_COMPLETED_TTL_SECONDS } from '@kafka-lambda/idempotency';
 *
 * console.log(DEFAULT_COMPLETED_TTL_SECONDS); // 86400
 * ```
 */
export const DEFAULT_COMPLETED_TTL_SECONDS = 24 * 60 * 60;

/**
 * The options of {@link idempotency}: records whose key another invocation completed are not
 * processed again and their outputs are not produced again.
 *
 * The stored key is `<keyPrefix>#<record key>`, where the record key is `key(record)` or, by
 * default, `<topic>-<partition>@<offset>` (e.g. `settle#trades-3@1042`), and `keyPrefix` defaults to
 * the Lambda function's name. Offsets are unique only within one topic-partition of one cluster: a
 * function reading several clusters sets a `keyPrefix` (or a `key`) per cluster.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 * import { idempotency } from '@kafka-lambda/idempotency';
 * import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
 *
 * const store = dynamoDbStore({ tableName: 'settlements-idempotency' });
 * export const handler = createKafkaHandler({
 *   value: json<{ tradeId: string }>(),
 *   use: [idempotency({ store, key: (record) => record.value.tradeId, completedTtlSeconds: 7 * 24 * 3600 })],
 *   async process(record) {},
 * });
 * ```
 */
export interface IdempotencyOptions<K = unknown, R = unknown> {
  /** Where keys are claimed, completed and released (one call per batch each). */
  store: IdempotencyStore;
  /**
   * The record's key, e.g. a business id from the decoded value. Default `<topic>-<partition>@<offset>`.
   * Records are decoded before the batch's claim to compute it. A record whose decoding or key
   * function throws is keyed by its offset instead (the default key), so its outcome is remembered.
   */
  key?: (record: KafkaRecord<K, R>) => string;
  /** How long a completed key stops its record from running again. Default 86 400 (24 hours). */
  completedTtlSeconds?: number;
  /** Put before every key, with `#`. Default the Lambda function's name (`context.functionName`), else `kafka-lambda`. */
  keyPrefix?: string;
}

/** The options after their checks. */
export interface IdempotencySettings {
  readonly store: IdempotencyStore;
  readonly key: ((record: KafkaRecord<unknown, unknown>) => string) | undefined;
  readonly completedTtlMs: number;
  readonly keyPrefix: string | undefined;
}

const MAX_COMPLETED_TTL_SECONDS = 1_000 * 366 * 24 * 60 * 60;

const KNOWN: ReadonlySet<string> = new Set<keyof IdempotencyOptions>([
  'store',
  'key',
  'completedTtlSeconds',
  'keyPrefix',
]);

/** Checks the options once, when the middleware is created (at module scope): a mistake fails the init. */
export function resolveIdempotency(options: unknown): IdempotencySettings {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError(`idempotency() needs an options object with a \`store\`, not ${shapeOf(options)}`);
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) {
      throw new ConfigError(
        `idempotency() has no option \`${name}\` (it has ${[...KNOWN].map((k) => `\`${k}\``).join(', ')})`,
      );
    }
  }
  const { store, key, completedTtlSeconds, keyPrefix } = options as Partial<IdempotencyOptions>;
  const methods = ['claim', 'complete', 'release'] as const;
  // A store factory passed uncalled (`store: dynamoDbStore`) is named with the call it needs.
  if (typeof store === 'function' && methods.some((m) => typeof (store as never)[m] !== 'function')) {
    const name = (store as { name?: unknown }).name;
    const call = typeof name === 'string' && name !== '' ? ` (did you mean \`${name}(…)\`?)` : '';
    throw new ConfigError(`idempotency({ store }) takes a store, not the function that makes one${call}`);
  }
  if (
    (typeof store !== 'object' && typeof store !== 'function') ||
    store === null ||
    methods.some((m) => typeof store[m] !== 'function')
  )
    throw new ConfigError(
      'idempotency({ store }): the store must have claim(), complete() and release() methods',
    );
  if (key !== undefined && typeof key !== 'function')
    throw new ConfigError(
      `idempotency({ key }) must be a function of the record returning a string, not ${shapeOf(key)}`,
    );
  const ttl = completedTtlSeconds ?? DEFAULT_COMPLETED_TTL_SECONDS;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0)
    throw new ConfigError(
      `idempotency({ completedTtlSeconds }) must be a positive number of seconds, not ${typeof ttl === 'number' ? String(ttl) : shapeOf(ttl)}`,
    );
  // Stores write now + TTL as epoch ms: 1e300 s would be written as `1e+303`, not an integer a store
  // takes, and fail the `complete` of every batch; a TTL in milliseconds by mistake is caught too.
  if (ttl > MAX_COMPLETED_TTL_SECONDS)
    throw new ConfigError(
      `idempotency({ completedTtlSeconds }) (${ttl}) is over 1,000 years: it is in seconds (did you give milliseconds?)`,
    );
  if (keyPrefix !== undefined && (typeof keyPrefix !== 'string' || keyPrefix === ''))
    throw new ConfigError('idempotency({ keyPrefix }) must be a non-empty string');
  return {
    store,
    key: key as IdempotencySettings['key'],
    completedTtlMs: ttl * 1000,
    keyPrefix,
  };
}

/** `null`, `an array`, `a string`…: what a wrong option was, never its (possibly secret) value. */
function shapeOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}
