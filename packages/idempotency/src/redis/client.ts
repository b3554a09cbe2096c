import { createClient } from '@redis/client';
import { raceSignal } from '../abort.js';

/** The arguments of an EVAL/EVALSHA, as node-redis takes them. */
export interface RedisEvalOptions {
  /** The script's KEYS (the batch's prefixed keys). */
  keys: string[];
  /** The script's ARGV (the owner, and an expiry in epoch ms). */
  arguments: string[];
}

/**
 * What the store needs of a Redis client: node-redis' (`@redis/client` / `redis` 6, as tested)
 * `createClient()`, `createCluster()` and `createSentinel()` all fit (a cluster routes a script by
 * its first key). The store never connects, closes or configures a client it was given.
 */
export interface RedisScriptClient {
  /** EVALSHA: runs a script the server's cache holds (rejects with NOSCRIPT otherwise). */
  evalSha(sha1: string, options: RedisEvalOptions): Promise<unknown>;
  /** EVAL: runs (and caches) the script's source. */
  eval(script: string, options: RedisEvalOptions): Promise<unknown>;
}

/** How the store creates its own client (when given no `client`). */
export interface RedisConnectionOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. */
  readonly url: string;
  /** TCP (and TLS) connect timeout; default 2000 ms. */
  readonly connectTimeoutMs?: number;
}

/** What the store uses of the client it creates. */
interface OwnClient extends RedisScriptClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
}

/**
 * The store's own connection: created on first use, connected within the caller's signal, never
 * reconnecting in the background (a frozen Lambda container has no use for a reconnect loop). A
 * connection that failed or closed is replaced by a new one on the next operation.
 */
export class OwnedRedisConnection {
  #client: OwnClient | undefined;
  #connecting: Promise<OwnClient> | undefined;
  /** Private, not a property: the URL may hold a password, and inspecting the store must not print it. */
  readonly #options: RedisConnectionOptions;

  constructor(options: RedisConnectionOptions) {
    this.#options = options;
  }

  /** A connected client. */
  async client(signal: AbortSignal): Promise<RedisScriptClient> {
    const current = this.#client;
    if (current?.isReady) return current;
    this.#connecting ??= this.#connect();
    return raceSignal(this.#connecting, signal);
  }

  async #connect(): Promise<OwnClient> {
    const stale = this.#client;
    this.#client = undefined;
    if (stale?.isOpen) stale.destroy();
    const client: OwnClient = createClient({
      url: this.#options.url,
      // Fail at once while disconnected, instead of queueing commands until some later reconnect.
      // Socket errors are also emitted as 'error' events (unhandled, they would crash the process);
      // the failing command or connect() rejects with the same error, which is what the store reports.
      disableOfflineQueue: true,
      socket: { connectTimeout: this.#options.connectTimeoutMs ?? 2000, reconnectStrategy: false },
    }).on('error', () => {});
    try {
      await client.connect();
      this.#client = client;
      return client;
    } catch (error) {
      if (client.isOpen) client.destroy();
      throw error;
    } finally {
      this.#connecting = undefined;
    }
  }

  /** Closes the connection, if any (tests; a Lambda function never needs to). */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client?.isOpen) await client.close();
  }
}
