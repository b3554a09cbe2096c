import type { DeliveryCallback, DeliveryReport, OutgoingMessage } from '../contract/producer.js';
import { asError } from '../shared/errors.js';
import type { NativeProducer } from './native-client.js';

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
  /** The tracker's list links (set by the tracker only): O(1) add and remove, no hashing. */
  prev: Entry | undefined;
  next: Entry | undefined;
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
  /**
   * The owned entries as an intrusive doubly linked list: a Set of 10,000 in-flight entries cost a
   * hash insert and delete per message, and a rehash each time a batch's worth drained.
   */
  #head: Entry | undefined;
  #size = 0;
  readonly #idleWaiters = new Set<() => void>();

  constructor(readonly stats: ProducerStats) {}

  get size(): number {
    return this.#size;
  }

  add(entry: Entry): void {
    entry.prev = undefined;
    entry.next = this.#head;
    if (this.#head) this.#head.prev = entry;
    this.#head = entry;
    this.#size++;
  }

  /** Runs the entry's callback once; later calls (a late report of a failed message) do nothing. */
  settle(entry: Entry, error: unknown, report?: DeliveryReport): void {
    if (entry.settled) return;
    entry.settled = true;
    this.#remove(entry);
    if (report) {
      this.stats.delivered++;
      entry.done(undefined, report, entry.message);
    } else {
      this.stats.failed++;
      entry.done(asError(error), undefined, entry.message);
    }
    if (this.#size === 0 && this.#idleWaiters.size > 0) for (const waiter of [...this.#idleWaiters]) waiter();
  }

  /** The entries handed to `client`, e.g. to fail them when that client is discarded. */
  onClient(client: NativeProducer): Entry[] {
    return this.#owned().filter((entry) => entry.client === client);
  }

  /** Whether a message to `topic` was handed to a client and has no report yet (a walk: use rarely). */
  inClient(topic: string): boolean {
    for (let entry = this.#head; entry; entry = entry.next)
      if (entry.client !== undefined && entry.message.topic === topic) return true;
    return false;
  }

  /** Where the unsettled messages go, for a flush timeout that says which topics are stuck. */
  topics(): string[] {
    return [...new Set(this.#owned().map((entry) => entry.message.topic))].sort();
  }

  /** Oldest first, as the Set iterated them. */
  #owned(): Entry[] {
    const entries: Entry[] = [];
    for (let entry = this.#head; entry; entry = entry.next) entries.push(entry);
    return entries.reverse();
  }

  #remove(entry: Entry): void {
    const { prev, next } = entry;
    // Only owned entries are unlinked: an entry settled before it was added has no place in the list.
    if (!prev && this.#head !== entry) return;
    if (prev) prev.next = next;
    else this.#head = next;
    if (next) next.prev = prev;
    entry.prev = undefined;
    entry.next = undefined;
    this.#size--;
  }

  /** True once every owned message is settled; false when `timeoutMs` passed first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#size === 0) return Promise.resolve(true);
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
