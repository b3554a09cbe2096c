/**
 * Promise memoization with optional expiry. A pending entry is shared, so concurrent requests for the
 * same key collapse into one; a rejected entry is forgotten, so the next caller retries.
 *
 * @example
 * ```ts
 * const byId = new PromiseCache<number, string>();
 * await byId.get(1, async () => 'schema'); // fetched once, cached forever
 * ```
 */
export class PromiseCache<K, V> {
  readonly #entries = new Map<K, { promise: Promise<V>; expires: number }>();

  /** @param ttlMs lifetime of a resolved entry; `Infinity` for immutable data (schemas by id). */
  constructor(private readonly ttlMs = Number.POSITIVE_INFINITY) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && hit.expires > Date.now()) return hit.promise;
    const promise = load();
    // The entry must not expire while pending: its clock starts when it settles.
    const entry = { promise, expires: Number.POSITIVE_INFINITY };
    this.#entries.set(key, entry);
    promise.then(
      () => {
        entry.expires = Date.now() + this.ttlMs;
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return promise;
  }

  /** Stores a value that was learnt another way (e.g. the schema returned by a lookup). */
  set(key: K, value: V): void {
    this.#entries.set(key, { promise: Promise.resolve(value), expires: Date.now() + this.ttlMs });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
