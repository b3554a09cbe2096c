interface Entry<V> {
  readonly promise: Promise<V>;
  /** Until this time (ms since epoch) the entry answers; `Infinity` while pending and for immutable data. */
  expires: number;
  resolved: boolean;
  value: V | undefined;
}

/**
 * The one schema cache of this package: promise memoization with optional expiry, and synchronous
 * access to what has resolved. A pending entry is shared, so concurrent requests for the same key
 * collapse into one; a rejected entry is forgotten, so the next caller retries. The registry client
 * caches responses with it, the formats their compiled schemas, the deserializers their decoders and
 * the serializers their writer schemas.
 *
 * @example
 * ```ts
 * const byId = new PromiseCache<number, string>();
 * await byId.get(1, async () => 'schema'); // fetched once, cached forever
 * byId.peek(1); // 'schema', synchronously: no Promise on the hot path
 * ```
 */
export class PromiseCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();

  /** @param ttlMs lifetime of a resolved entry; `Infinity` for immutable data (schemas by id). */
  constructor(private readonly ttlMs = Number.POSITIVE_INFINITY) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && (hit.expires === Number.POSITIVE_INFINITY || hit.expires > Date.now())) return hit.promise;
    const promise = load();
    // The entry must not expire while pending: its clock starts when it settles.
    const entry: Entry<V> = { promise, expires: Number.POSITIVE_INFINITY, resolved: false, value: undefined };
    this.#entries.set(key, entry);
    promise.then(
      (value) => {
        entry.value = value;
        entry.resolved = true;
        entry.expires = Date.now() + this.ttlMs;
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return promise;
  }

  /**
   * The resolved, unexpired value of `key`, or `undefined` (absent, still pending, or expired).
   * Visible to the continuations of `get`'s promise: the entry is filled before they run.
   */
  peek(key: K): V | undefined {
    const hit = this.#entries.get(key);
    if (!hit?.resolved) return undefined;
    if (hit.expires !== Number.POSITIVE_INFINITY && hit.expires <= Date.now()) return undefined;
    return hit.value;
  }

  /** Stores a value that was learnt another way (e.g. the schema returned by a lookup). */
  set(key: K, value: V): void {
    this.#entries.set(key, {
      promise: Promise.resolve(value),
      expires: Date.now() + this.ttlMs,
      resolved: true,
      value,
    });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
