import { ConfigError, messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BatchMiddleware } from './batch-middleware.js';
import type { ErrorPolicy } from './error-policy.js';

/**
 * Which records of a partition may run at the same time (see docs/ordering.md):
 * - `'partition'` (default): one at a time, in offset order, per partition.
 * - `'key'`: records with the same key one at a time, in offset order; records with different keys
 *   at the same time. The key's bytes are its identity; every record without a key (null or absent)
 *   shares one key of its partition, so they keep their order among themselves.
 *   `{ key: (rawKey) => identity }` names the identity yourself, from the key's bytes (e.g. without a
 *   schema id that may differ between records of one logical key); `null` is the keyless lane.
 * - `'none'`: any record at any time, each its own key.
 *
 * In every mode, `concurrency` bounds the records in flight of an invocation. When the code sets no
 * `ordering`, the environment variable `KAFKA_LAMBDA_ORDERING` may (what `kafka-lambda-local
 * --ordering` sets); the code's choice always wins.
 */
export type Ordering = 'partition' | 'key' | 'none' | { readonly key: OrderingKey };

/** The ordering identity of a record, from its key's bytes (`null`: no key). Called once per record, before it runs. */
export type OrderingKey = (rawKey: Buffer | null) => string | null;

/** The ordering after checks: `key` holds the identity function, `undefined` for the key's bytes. */
export type ResolvedOrdering =
  | { readonly mode: 'partition' }
  | { readonly mode: 'none' }
  | { readonly mode: 'key'; readonly key: OrderingKey | undefined };

const PARTITION: ResolvedOrdering = { mode: 'partition' };

/** The environment variable that gives `ordering` when the code sets none (a deploy-time choice; `kafka-lambda-local --ordering`). */
export const ORDERING_VARIABLE = 'KAFKA_LAMBDA_ORDERING';

export function resolveOrdering(
  option: unknown,
  fromEnvironment: string | undefined = process.env[ORDERING_VARIABLE],
): ResolvedOrdering {
  if (option === undefined && fromEnvironment !== undefined && fromEnvironment !== '') {
    if (fromEnvironment === 'partition' || fromEnvironment === 'key' || fromEnvironment === 'none')
      return resolveOrdering(fromEnvironment, undefined);
    throw new ConfigError(`${ORDERING_VARIABLE} must be 'partition', 'key' or 'none'`);
  }
  if (option === undefined || option === 'partition') return PARTITION;
  if (option === 'key') return { mode: 'key', key: undefined };
  if (option === 'none') return { mode: 'none' };
  const key = (option as { key?: unknown } | null)?.key;
  if (typeof option === 'object' && option !== null && typeof key === 'function')
    return { mode: 'key', key: key as OrderingKey };
  throw new ConfigError("ordering must be 'partition', 'key', 'none' or { key: (rawKey) => string | null }");
}

/** The user's identity of a key; a throw or a wrong answer fails the invocation (it would fail every batch alike). */
export function identityBy(identityOf: OrderingKey, key: string | null): string | null {
  let identity: unknown;
  try {
    identity = identityOf(key === null ? null : Buffer.from(key, 'base64'));
  } catch (error) {
    throw new ConfigError(`ordering's key function threw: ${messageOf(error)}`, { cause: error });
  }
  if (identity === null || typeof identity === 'string') return identity;
  throw new ConfigError(`ordering's key function must return a string or null, not ${typeof identity}`);
}

/**
 * Under `'key'` or `'none'` with `report` or `retry-batch`, the ESM's retry re-runs records of other
 * keys above the retried offset that had succeeded: without idempotency (the middleware named
 * `'idempotency'`, which skips them), say so once, at init.
 */
export function warnOfRerunsWithoutIdempotency(
  ordering: ResolvedOrdering,
  routes: readonly ErrorPolicy[],
  middleware: readonly BatchMiddleware[],
  logger: Logger,
): void {
  if (ordering.mode === 'partition') return;
  // The policy named, or the first a route may take that re-runs records.
  const policy = routes.find((route) => route === 'report' || route === 'retry-batch');
  if (!policy) return;
  if (middleware.some((m) => m.name === 'idempotency')) return;
  logger.warn(
    `ordering '${ordering.mode}' with onError '${policy}': a retry re-runs the records of other keys above the retried offset that had succeeded; use idempotency to skip them (docs/ordering.md)`,
    { ordering: ordering.mode, onError: policy },
  );
}
