import type {
  ClaimOptions,
  ClaimState,
  CompleteOptions,
  IdempotencyStore,
  ReleaseOptions,
} from '@kafka-lambda/idempotency';

/** A store operation, as counted and faulted by {@link MemoryIdempotencyStore}. */
export type IdempotencyStoreOperation = 'claim' | 'complete' | 'release';

/** One stored key. */
export interface MemoryIdempotencyEntry {
  readonly state: 'in-progress' | 'completed';
  readonly owner: string;
  /** Epoch ms (by the store's clock) at which the entry expires and counts as absent. */
  readonly until: number;
}

/** Options of {@link memoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /** Where "now" comes from, in epoch ms, for expiries. Default `Date.now`; a `manualClock()` fits. */
  clock?: () => number;
  /** How long every call takes to answer (a network round trip), by `setTimeout`. Default 0: it answers at once. */
  latencyMs?: number;
}

type Fault =
  | {
      readonly kind: 'fail';
      readonly error: (operation: IdempotencyStoreOperation, keys: number) => Error;
      times: number;
    }
  | { readonly kind: 'stall' };

/**
 * An {@link IdempotencyStore} in memory, with the semantics of the real ones: entries expire by the
 * store's clock (an expired entry is absent), `complete` and `release` act only on keys the given
 * owner holds, and every call is one round trip, counted in `calls` (so a test can assert one claim
 * per batch). A call whose signal is already aborted rejects with the signal's reason. `fail()`
 * (with {@link dynamoDbThrottlingError} or {@link redisConnectionError}) and `stall()` simulate outages.
 *
 * @example
 * ```ts
 * import { createKafkaHandler } from '@kafka-lambda/core';
 * import { idempotency } from '@kafka-lambda/idempotency';
 * import { lambdaContext, mskEvent } from '@kafka-lambda/testing';
 * import { dynamoDbThrottlingError, memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
 *
 * const store = memoryIdempotencyStore();
 * const handler = createKafkaHandler({ use: [idempotency({ store })], process() {} });
 * const event = mskEvent([{ topic: 'orders', value: 'a' }, { topic: 'orders', value: 'b' }]);
 *
 * await handler(event, lambdaContext());
 * await handler(event, lambdaContext()); // both records already processed: not run again
 * console.log(store.calls.claim); // 2: one per batch
 *
 * store.fail('claim', dynamoDbThrottlingError);
 * await handler(event, lambdaContext()).catch((error) => console.log(error.name)); // IdempotencyStoreError
 * ```
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  /** Round trips per operation, faulted ones included. */
  readonly calls: Record<IdempotencyStoreOperation, number> = { claim: 0, complete: 0, release: 0 };
  /** The keys of every call, in order (a test reads e.g. what the last release carried). */
  readonly log: Array<{ readonly operation: IdempotencyStoreOperation; readonly keys: readonly string[] }> =
    [];
  readonly #entries = new Map<string, MemoryIdempotencyEntry>();
  readonly #faults = new Map<IdempotencyStoreOperation, Fault>();
  readonly #clock: () => number;
  readonly #latencyMs: number;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.#clock = options.clock ?? (() => Date.now());
    this.#latencyMs = options.latencyMs ?? 0;
  }

  async claim(keys: readonly string[], options: ClaimOptions): Promise<readonly ClaimState[]> {
    await this.#roundTrip('claim', keys, options.signal);
    const now = this.#clock();
    return keys.map((key): ClaimState => {
      const entry = this.#live(key, now);
      // A repeated claim of the same owner (a retried call) still holds the key, as the real stores answer.
      if (entry?.state === 'in-progress' && entry.owner === options.owner) return 'claimed';
      if (entry) return entry.state === 'completed' ? 'completed' : 'in-progress';
      this.#entries.set(key, { state: 'in-progress', owner: options.owner, until: options.inProgressUntil });
      return 'claimed';
    });
  }

  async complete(keys: readonly string[], options: CompleteOptions): Promise<void> {
    await this.#roundTrip('complete', keys, options.signal);
    const now = this.#clock();
    for (const key of keys) {
      const entry = this.#live(key, now);
      if (entry?.state !== 'in-progress' || entry.owner !== options.owner) continue;
      this.#entries.set(key, { state: 'completed', owner: options.owner, until: options.completedUntil });
    }
  }

  async release(keys: readonly string[], options: ReleaseOptions): Promise<void> {
    await this.#roundTrip('release', keys, options.signal);
    const now = this.#clock();
    for (const key of keys) {
      const entry = this.#live(key, now);
      if (entry?.state === 'in-progress' && entry.owner === options.owner) this.#entries.delete(key);
    }
  }

  /** The live entry of `key` (undefined when absent or expired). */
  entry(key: string): MemoryIdempotencyEntry | undefined {
    return this.#live(key, this.#clock());
  }

  /** Every live key and its entry. */
  entries(): Map<string, MemoryIdempotencyEntry> {
    const now = this.#clock();
    return new Map([...this.#entries].filter(([key]) => this.#live(key, now)));
  }

  /** Writes an entry as another invocation would have (e.g. a key completed or held elsewhere). */
  put(key: string, entry: MemoryIdempotencyEntry): this {
    this.#entries.set(key, entry);
    return this;
  }

  /**
   * Makes the next `times` calls of `operation` (default: every one until {@link heal}) reject with
   * a fresh `error(operation, keys)`, after counting the round trip, as a store that is down or
   * throttling does ({@link dynamoDbThrottlingError} and {@link redisConnectionError} give what the
   * real stores reject with).
   */
  fail(
    operation: IdempotencyStoreOperation,
    error: (operation: IdempotencyStoreOperation, keys: number) => Error,
    times = Number.POSITIVE_INFINITY,
  ): this {
    this.#faults.set(operation, { kind: 'fail', error, times });
    return this;
  }

  /** Calls of `operation` never answer, signal or not, until {@link heal}: a store that hangs. */
  stall(operation: IdempotencyStoreOperation): this {
    this.#faults.set(operation, { kind: 'stall' });
    return this;
  }

  /** Ends every fault (stalled calls stay unanswered). */
  heal(): this {
    this.#faults.clear();
    return this;
  }

  #live(key: string, now: number): MemoryIdempotencyEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.until <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async #roundTrip(
    operation: IdempotencyStoreOperation,
    keys: readonly string[],
    signal: AbortSignal,
  ): Promise<void> {
    this.calls[operation]++;
    this.log.push({ operation, keys: [...keys] });
    signal?.throwIfAborted();
    if (this.#latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#latencyMs));
    const fault = this.#faults.get(operation);
    if (fault?.kind === 'stall') await new Promise<never>(() => {});
    if (fault?.kind === 'fail') {
      if (--fault.times <= 0) this.#faults.delete(operation);
      throw fault.error(operation, keys.length);
    }
  }
}

/**
 * A {@link MemoryIdempotencyStore}.
 *
 * @example
 * ```ts
 * import { manualClock } from '@kafka-lambda/testing';
 * import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
 *
 * const clock = manualClock(0);
 * const store = memoryIdempotencyStore({ clock });
 * await store.claim(['fn#orders-0@1'], { owner: 'a', inProgressUntil: 1_000, signal: new AbortController().signal });
 * clock.advance(1_000); // the claim expired: another owner may claim it
 * ```
 */
export function memoryIdempotencyStore(options?: MemoryIdempotencyStoreOptions): MemoryIdempotencyStore {
  return new MemoryIdempotencyStore(options);
}
