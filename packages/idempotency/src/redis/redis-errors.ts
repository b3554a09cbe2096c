import { StoreConfigError, type StoreOperation } from '../errors.js';
import { StoreRequestError } from '../store-request-error.js';

/**
 * The code of what node-redis rejected with, as recorded (test/recordings/redis-errors.json): a
 * server's error reply starts with its code word (`NOSCRIPT`, `ERR`, `CROSSSLOT`, `WRONGTYPE`,
 * `BUSY`, `OOM`…); socket errors carry a Node `code` (`ECONNREFUSED`); node-redis' own errors are
 * told by their class name (`ClientClosedError`, `ClientOfflineError`, `SocketClosedUnexpectedlyError`,
 * `ConnectionTimeoutError`).
 */
export function redisErrorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (['ErrorReply', 'SimpleError', 'BlobError'].includes(error.constructor.name))
    return /^[A-Z]+/.exec(error.message)?.[0] ?? 'ERR';
  return error.constructor.name === 'Error' ? error.name : error.constructor.name;
}

/** Whether the server answered NOSCRIPT (its script cache does not hold the script: EVAL it). */
export const isNoScript = (error: unknown): boolean => redisErrorCode(error) === 'NOSCRIPT';

/** The store's error for what a Redis call rejected with. */
export function redisStoreError(
  operation: StoreOperation,
  keys: number,
  error: unknown,
  aborted = false,
): Error {
  const code = aborted ? 'aborted' : redisErrorCode(error);
  if (code === 'CROSSSLOT')
    return new StoreConfigError(
      `redis store: the keys of one ${operation} hash to several Redis Cluster slots; give keyPrefix a hash tag (e.g. '{idempotency}:') so that they share one slot`,
      { cause: error },
    );
  return new StoreRequestError('redis', operation, keys, code, error);
}
