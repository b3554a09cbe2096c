import { raceSignal } from '../abort.js';
import { distinct } from '../concurrency.js';
import type { StoreOperation } from '../errors.js';
import type {
  ClaimOptions,
  ClaimState,
  CompleteOptions,
  IdempotencyStore,
  ReleaseOptions,
} from '../store.js';
import { StoreRequestError } from '../store-request-error.js';
import { OwnedRedisConnection, type RedisScriptClient } from './client.js';
import { isNoScript, redisStoreError } from './redis-errors.js';
import { type RedisStoreOptions, resolveRedisOptions } from './redis-options.js';
import { CLAIM, COMPLETE, RELEASE, type RedisScript } from './scripts.js';

const STATES: readonly ClaimState[] = ['claimed', 'completed', 'in-progress'];

/**
 * An {@link IdempotencyStore} on Redis: each operation is ONE round trip, a Lua script over all of
 * the batch's keys (EVALSHA; EVAL once if the server's script cache does not hold it yet). Entries
 * expire by Redis' own PXAT expiry.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 * import { idempotency } from '@kafka-lambda/idempotency';
 * import { redisStore } from '@kafka-lambda/idempotency/redis';
 *
 * const store = redisStore({ url: process.env.REDIS_URL! });
 * export const handler = createKafkaHandler({
 *   value: json<{ id: string }>(),
 *   use: [idempotency({ store })],
 *   async process(record) {
 *     console.log(record.value.id);
 *   },
 * });
 * ```
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly #client: RedisScriptClient | undefined;
  readonly #own: OwnedRedisConnection | undefined;
  readonly #prefix: string;

  constructor(options: RedisStoreOptions) {
    const resolved = resolveRedisOptions(options);
    this.#prefix = resolved.keyPrefix;
    this.#client = resolved.client;
    this.#own = resolved.connection && new OwnedRedisConnection(resolved.connection);
  }

  /** Claims the absent or expired keys for `options.owner`; one state per key, in order (see `IdempotencyStore`). */
  async claim(keys: readonly string[], options: ClaimOptions): Promise<readonly ClaimState[]> {
    if (keys.length === 0) return [];
    const { unique, indexOf } = distinct(keys);
    const args = [options.owner, String(Math.floor(options.inProgressUntil))];
    const reply = await this.#run('claim', CLAIM, unique, args, options.signal);
    if (!Array.isArray(reply) || reply.length !== unique.length)
      throw new StoreRequestError(
        'redis',
        'claim',
        keys.length,
        'unexpected-reply',
        new Error(`claim script answered ${String(reply)}`),
      );
    return indexOf.map((at) => STATES[Number(reply[at])] ?? 'in-progress');
  }

  /** Marks the keys `options.owner` holds as completed until `options.completedUntil`; others are left alone. */
  async complete(keys: readonly string[], options: CompleteOptions): Promise<void> {
    if (keys.length === 0) return;
    const args = [options.owner, String(Math.floor(options.completedUntil))];
    await this.#run('complete', COMPLETE, distinct(keys).unique, args, options.signal);
  }

  /** Drops the in-progress claims `options.owner` holds; others are left alone. */
  async release(keys: readonly string[], options: ReleaseOptions): Promise<void> {
    if (keys.length === 0) return;
    await this.#run('release', RELEASE, distinct(keys).unique, [options.owner], options.signal);
  }

  /** Closes the connection the store opened itself (none when it was given a client). */
  async close(): Promise<void> {
    await this.#own?.close();
  }

  async #run(
    operation: StoreOperation,
    script: RedisScript,
    keys: readonly string[],
    args: string[],
    signal: AbortSignal,
  ): Promise<unknown> {
    const call = { keys: keys.map((key) => this.#prefix + key), arguments: args };
    try {
      const client = this.#client ?? (await (this.#own as OwnedRedisConnection).client(signal));
      try {
        return await raceSignal(client.evalSha(script.sha1, call), signal);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await raceSignal(client.eval(script.source, call), signal); // loads it for the next EVALSHA
      }
    } catch (error) {
      throw redisStoreError(operation, keys.length, error, signal.aborted);
    }
  }
}

/**
 * Creates a {@link RedisIdempotencyStore}: from a `url` (the store opens its own connection on first
 * use), or around a node-redis `client` you created and connect yourself.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { redisStore } from '@kafka-lambda/idempotency/redis';
 *
 * const fromUrl = redisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'orders:' });
 * const client = createClient({ url: 'redis://127.0.0.1:6379' });
 * await client.connect();
 * const shared = redisStore({ client });
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisIdempotencyStore {
  return new RedisIdempotencyStore(options);
}
