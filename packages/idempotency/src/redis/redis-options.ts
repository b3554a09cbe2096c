import { StoreConfigError } from '../errors.js';
import type { RedisConnectionOptions, RedisScriptClient } from './client.js';

/** Options of `redisStore`: exactly one of `client` or `url`. */
export interface RedisStoreOptions {
  /** A node-redis client (or cluster) you create and connect; the store never closes it. */
  readonly client?: RedisScriptClient;
  /** Or a URL: the store creates, connects and (after a failure) replaces its own client. */
  readonly url?: string;
  /** With `url`: the connect timeout, default 2000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * Prepended to every key; default `'kafka-lambda:idempotency:'`. On a Redis Cluster, the keys of
   * one script must share a slot: use a hash tag, e.g. `'{orders-idempotency}:'` (all of this
   * store's keys then live on one shard).
   */
  readonly keyPrefix?: string;
}

export interface ResolvedRedisOptions {
  readonly client: RedisScriptClient | undefined;
  readonly connection: RedisConnectionOptions | undefined;
  readonly keyPrefix: string;
}

const KNOWN = new Set(['client', 'url', 'connectTimeoutMs', 'keyPrefix']);

/** Validates the options (unknown keys, exactly one of client/url), at store creation. */
export function resolveRedisOptions(options: RedisStoreOptions): ResolvedRedisOptions {
  if (typeof options !== 'object' || options === null)
    throw new StoreConfigError('redisStore options must be an object');
  for (const key of Object.keys(options))
    if (!KNOWN.has(key)) throw new StoreConfigError(`redisStore: unknown option "${key}"`);
  const { client, url, connectTimeoutMs, keyPrefix = 'kafka-lambda:idempotency:' } = options;
  if ((client === undefined) === (url === undefined))
    throw new StoreConfigError('redisStore needs exactly one of client or url');
  if (client !== undefined && (typeof client.evalSha !== 'function' || typeof client.eval !== 'function'))
    throw new StoreConfigError('redisStore: client must be a node-redis client (evalSha and eval)');
  if (url !== undefined) checkRedisUrl(url);
  if (connectTimeoutMs !== undefined && !(Number.isInteger(connectTimeoutMs) && connectTimeoutMs > 0))
    throw new StoreConfigError('redisStore: connectTimeoutMs must be a positive integer');
  if (typeof keyPrefix !== 'string') throw new StoreConfigError('redisStore: keyPrefix must be a string');
  return {
    client,
    connection: url === undefined ? undefined : { url, ...(connectTimeoutMs ? { connectTimeoutMs } : {}) },
    keyPrefix,
  };
}

/**
 * The URL must parse as node-redis will parse it (WHATWG URL, then its user info percent-decoded),
 * checked here so that the store's creation fails with a {@link StoreConfigError} that neither
 * quotes the URL nor keeps the parser's error as a cause: Node's `ERR_INVALID_URL` holds the whole
 * URL, password included, in its `input`, which `console.error(error)` prints.
 */
function checkRedisUrl(url: unknown): void {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url))
    throw new StoreConfigError('redisStore: url must start with redis:// or rediss://');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreConfigError(
      'redisStore: url is not a valid URL (redis[s]://[[user][:password]@]host[:port][/db]; not quoted here, as it may hold a password)',
    );
  }
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    throw new StoreConfigError(
      "redisStore: url's user or password has a malformed %-escape (percent-encode a literal % as %25)",
    );
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db))
    throw new StoreConfigError('redisStore: url path must be a database number (/0, /1, …)');
}
