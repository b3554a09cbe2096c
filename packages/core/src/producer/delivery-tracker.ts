import { asError } from '../errors.js';
import type { NativeProducer } from './native-client.js';
import type { DeliveryCallback, DeliveryReport, OutgoingMessage } from './types.js';

/** One enqueued message, from `enqueue` until its callback ran. */
export interface Entry {
  readonly message: OutgoingMessage;
  readonly done: DeliveryCallback;
  /** The enqueuing batch's signal: once aborted, a message still held is settled, never produced. */
  readonly signal: AbortSignal | undefined;
  /** Key + value + header bytes: what holding it costs in memory. */
  readonly bytes: number;
  /** The client it was handed to; undefined while the producer holds it. */
  client: NativeProducer | undefined;
  settled: boolean;
}

/** Counters a test or a benchmark can read. */
export interface ProducerStats {
  connects: number;
  flushes: number;
  sent: number;
  delivered: number;
  failed: number;
}

/**
 * Every message the producer owns (held or handed to a client) until its callback ran exactly once;
 * the one place that knows when the producer is idle.
 *
 * @example
 * ```ts
 * const tracker = new DeliveryTracker(stats);
 * tracker.add(entry);
 * tracker.settle(entry, undefined, { topic: 'out', partition: 0, offset: 7 });
 * await tracker.whenIdle(1_000);
 * ```
 */
export class DeliveryTracker {
  readonly #owned = new Set<Entry>();
  readonly #idleWaiters = new Set<() => void>();

  constructor(readonly stats: ProducerStats) {}

  get size(): number {
    return this.#owned.size;
  }

  add(entry: Entry): void {
    this.#owned.add(entry);
  }

  /** Runs the entry's callback once; later calls (a late report of a failed message) do nothing. */
  settle(entry: Entry, error: unknown, report?: DeliveryReport): void {
    if (entry.settled) return;
    entry.settled = true;
    this.#owned.delete(entry);
    if (report) {
      this.stats.delivered++;
      entry.done(undefined, report, entry.message);
    } else {
      this.stats.failed++;
      entry.done(asError(error), undefined, entry.message);
    }
    if (this.#owned.size === 0) for (const waiter of [...this.#idleWaiters]) waiter();
  }

  /** The entries handed to `client`, e.g. to fail them when that client is discarded. */
  onClient(client: NativeProducer): Entry[] {
    return [...this.#owned].filter((entry) => entry.client === client);
  }

  /** Where the unsettled messages go, for a flush timeout that says which topics are stuck. */
  topics(): string[] {
    return [...new Set([...this.#owned].map((entry) => entry.message.topic))].sort();
  }

  /** True once every owned message is settled; false when `timeoutMs` passed first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#owned.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters.delete(waiter);
        resolve(idle);
      };
      const waiter = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#idleWaiters.add(waiter);
    });
  }
}
