import type { Entry } from './delivery-tracker.js';

/** Default bound on what the producer holds in JavaScript memory: 64 MiB of keys, values and headers. */
export const DEFAULT_MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

/**
 * Messages the producer holds because they cannot be handed to librdkafka yet (no connection, or its
 * queue is full), first in first out so that a partition's order is kept. Bounded in bytes; a batch's
 * messages leave it the moment that batch's signal aborts, so nothing it held is produced afterwards.
 *
 * @example
 * ```ts
 * const backlog = new Backlog((dropped, signal) => dropped.forEach((e) => fail(e, signal.reason)));
 * if (!backlog.push(entry)) fail(entry, new ProducerQueueFullError('producer backlog full'));
 * await backlog.whenEmpty(batchSignal);
 * ```
 */
export class Backlog {
  #entries: Entry[] = [];
  #bytes = 0;
  readonly #listeners = new Map<AbortSignal, { count: number; listener: () => void }>();
  readonly #emptyWaiters = new Set<() => void>();

  constructor(
    private readonly onAbort: (dropped: Entry[], signal: AbortSignal) => void,
    readonly maxBytes = DEFAULT_MAX_BACKLOG_BYTES,
  ) {}

  get size(): number {
    return this.#entries.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Holds an entry at the end; false (not held) when that would exceed `maxBytes`. */
  push(entry: Entry): boolean {
    if (this.#entries.length > 0 && this.#bytes + entry.bytes > this.maxBytes) return false;
    this.#entries.push(entry);
    this.#bytes += entry.bytes;
    if (entry.signal) this.#watch(entry.signal);
    return true;
  }

  peek(): Entry | undefined {
    return this.#entries[0];
  }

  shift(): Entry | undefined {
    const entry = this.#entries.shift();
    if (entry) this.#released([entry]);
    return entry;
  }

  /** Removes and returns the entries `select` picks (all by default). */
  take(select: (entry: Entry) => boolean = () => true): Entry[] {
    const taken: Entry[] = [];
    const kept: Entry[] = [];
    for (const entry of this.#entries) (select(entry) ? taken : kept).push(entry);
    this.#entries = kept;
    this.#released(taken);
    return taken;
  }

  /** Resolves once nothing is held; rejects with `signal.reason` once `signal` aborts. */
  whenEmpty(signal: AbortSignal): Promise<void> {
    if (this.#entries.length === 0) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const finish = (error?: unknown) => {
        this.#emptyWaiters.delete(waiter);
        signal.removeEventListener('abort', aborted);
        error === undefined ? resolve() : reject(error);
      };
      // The batch's own abort empties the backlog too: it still rejects.
      const waiter = () => finish(signal.aborted ? signal.reason : undefined);
      const aborted = () => finish(signal.reason);
      this.#emptyWaiters.add(waiter);
      signal.addEventListener('abort', aborted, { once: true });
    });
  }

  // One abort listener per signal, not per message: a batch may hold thousands of messages.
  #watch(signal: AbortSignal): void {
    const watched = this.#listeners.get(signal);
    if (watched) {
      watched.count++;
      return;
    }
    const listener = () => {
      const dropped = this.take((entry) => entry.signal === signal);
      if (dropped.length > 0) this.onAbort(dropped, signal);
    };
    this.#listeners.set(signal, { count: 1, listener });
    signal.addEventListener('abort', listener, { once: true });
  }

  #released(entries: Entry[]): void {
    for (const entry of entries) {
      this.#bytes -= entry.bytes;
      const signal = entry.signal;
      const watched = signal && this.#listeners.get(signal);
      if (watched && --watched.count === 0) {
        signal.removeEventListener('abort', watched.listener);
        this.#listeners.delete(signal);
      }
    }
    if (this.#entries.length === 0) for (const waiter of [...this.#emptyWaiters]) waiter();
  }
}
