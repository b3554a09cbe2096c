import { Backlog } from './backlog.js';
import type { ClientConnection } from './client-connection.js';
import { deliveryError, ERR } from './client-errors.js';
import type { NativeDeliveryReport } from './client-setup.js';
import type { DeliveryTracker, Entry } from './delivery-tracker.js';
import type { NativeError, NativeProducer } from './native-client.js';
import { ProducerQueueFullError } from './producer-errors.js';

/** While librdkafka's queue is full, how often to try again (deliveries also trigger a try). */
const QUEUE_FULL_RETRY_MS = 5;

/**
 * Hands messages to the client in order, holding them in a bounded {@link Backlog} while there is
 * no client or no room, and never handing over a message whose batch was aborted.
 *
 * @example
 * ```ts
 * const dispatcher = new Dispatcher(connection, tracker);
 * dispatcher.submit(entry); // produced now, or held until connected / room
 * ```
 */
export class Dispatcher {
  readonly backlog: Backlog;
  readonly #connection: ClientConnection;
  readonly #tracker: DeliveryTracker;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Batches whose messages a definitive connect failure settled, and that failure. */
  readonly #refusedBatches = new WeakMap<AbortSignal, Error>();
  /** Whether any batch was ever refused: until then no message pays the WeakMap lookup. */
  #anyRefused = false;
  #drainScheduled = false;
  /**
   * The message handed over alone whose report has not come yet: nothing is handed over meanwhile,
   * so it travels in a record batch of its own.
   */
  #alone: Entry | undefined;
  /** Held messages that go alone when their turn comes (rare: no field on every entry for them). */
  readonly #goAlone = new Set<Entry>();

  constructor(connection: ClientConnection, tracker: DeliveryTracker, maxBacklogBytes?: number) {
    this.#connection = connection;
    this.#tracker = tracker;
    this.backlog = new Backlog((dropped) => {
      const error = this.heldError(dropped.length);
      for (const entry of dropped) {
        this.#goAlone.delete(entry);
        tracker.settle(entry, error);
      }
      // What waited behind a dropped message sent alone may go now.
      this.#drainSoon();
    }, maxBacklogBytes);
  }

  /**
   * Produces the entry now if the client is there, nothing waits before it and librdkafka has room.
   * `alone`: in a record batch of its own (see `KafkaProducer.enqueueAlone`).
   */
  submit(entry: Entry, alone = false): void {
    this.#tracker.add(entry);
    const refused = this.#anyRefused && entry.signal && this.#refusedBatches.get(entry.signal);
    if (refused) {
      // This batch already heard why the client cannot be built: same answer, no new attempt (and no
      // second secret read) per message. The next batch tries again.
      this.#tracker.settle(entry, refused);
      return;
    }
    const client = this.#connection.client;
    // (The common case reads one field: no message is going alone.)
    const gated = alone || (this.#alone !== undefined && this.#aloneInFlight());
    if (client && this.backlog.size === 0 && !gated && this.#handOver(client, entry)) return;
    if (!this.backlog.push(entry)) {
      this.#tracker.settle(
        entry,
        new ProducerQueueFullError(
          `producer already holds ${this.backlog.bytes} bytes (maxBacklogBytes ${this.backlog.maxBytes}): ` +
            'await whenWritable() before producing more',
        ),
      );
      return;
    }
    if (alone) this.#goAlone.add(entry);
    // Asked again: the hand-over may have found the client dead. A message behind one sent alone
    // waits for that one's report, which drains.
    if (!this.#connection.client) this.#connection.ensure();
    else if (alone) this.drain();
    else if (!this.#aloneInFlight()) this.#retrySoon();
  }

  /** Hands over what is held, in order, until librdkafka is full again or there is no client. */
  drain(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    for (let entry = this.backlog.peek(); entry; entry = this.backlog.peek()) {
      if (this.#aloneInFlight()) return;
      const client = this.#connection.client;
      if (!client) {
        this.#connection.ensure();
        return;
      }
      if (entry.signal?.aborted) {
        this.backlog.shift();
        this.#goAlone.delete(entry);
        this.#tracker.settle(entry, entry.signal.reason);
        continue;
      }
      const alone = this.#goAlone.size > 0 && this.#goAlone.has(entry);
      // Alone: once every message handed over before it to its topic has its report (each report
      // drains again; the messages of a topic that stalls keep it until its batch gives up).
      if (alone && this.#tracker.inClient(entry.message.topic)) return;
      if (!this.#handOver(client, entry)) {
        this.#retrySoon();
        return;
      }
      this.backlog.shift();
      if (!alone) continue;
      this.#goAlone.delete(entry);
      if (!entry.settled) this.#holdFor(entry);
    }
  }

  /** A delivery report: settle its message, and use the room it made. */
  delivered(error: NativeError | null | undefined, report: NativeDeliveryReport): void {
    const entry = report.opaque as Entry | undefined;
    if (!entry || entry.settled) return;
    if (error) this.#tracker.settle(entry, deliveryError(entry.message.topic, error));
    else {
      this.#connection.delivered();
      this.#tracker.settle(entry, undefined, {
        topic: report.topic,
        partition: report.partition,
        offset: report.offset,
      });
    }
    this.#drainSoon();
  }

  /** Fails what is held: all of it, or only the messages no batch signal bounds. */
  fail(error: Error, all: boolean): void {
    for (const entry of this.backlog.take((e) => all || !e.signal)) {
      this.#goAlone.delete(entry);
      if (all && entry.signal) {
        this.#refusedBatches.set(entry.signal, error);
        this.#anyRefused = true;
      }
      this.#tracker.settle(entry, error);
    }
  }

  /** The error a held message gets when its batch gives up on it. */
  heldError(count: number): Error {
    if (!this.#connection.client) return this.#connection.notConnected();
    return new ProducerQueueFullError(
      `librdkafka's queue stayed full until the batch ended; ${count} message(s) were never handed to it ` +
        '(raise queue.buffering.max.messages / queue.buffering.max.kbytes, or produce less per batch)',
    );
  }

  /** True when the client took the message; false when its queue is full (the message must wait). */
  #handOver(client: NativeProducer, entry: Entry): boolean {
    const { topic, partition, key, value, headers, timestamp } = entry.message;
    try {
      client.produce(
        topic,
        partition ?? -1,
        value,
        key,
        timestamp ?? null,
        entry,
        // Most results carry no headers: undefined spares the addon an empty list per message.
        headers && headers.length > 0 ? headers.map(([name, bytes]) => ({ [name]: bytes })) : undefined,
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === ERR.QUEUE_FULL) return false;
      // The library refuses every call once its client is disconnected: replace it, the message waits.
      if ((error as { message?: unknown }).message === 'Producer not connected') {
        this.#connection.discard(client, 'the client says "Producer not connected"');
        return false;
      }
      // Thrown synchronously (recorded: a value over message.max.bytes throws code 10): this message
      // fails with its own error, permanent when its code says so.
      this.#tracker.settle(entry, deliveryError(topic, error));
      return true;
    }
    entry.client = client;
    this.#tracker.stats.sent++;
    return true;
  }

  /**
   * True while a message handed over alone awaits its report, however it is settled; or until its
   * batch gives up on it (a stalled broker must not hold every other batch's messages).
   */
  #aloneInFlight(): boolean {
    if (this.#alone?.settled || this.#alone?.signal?.aborted) this.#alone = undefined;
    return this.#alone !== undefined;
  }

  /** Holds every later message until `entry`'s report, or until its batch gives up. */
  #holdFor(entry: Entry): void {
    this.#alone = entry;
    entry.signal?.addEventListener('abort', () => this.#drainSoon(), { once: true });
  }

  /** Drains on the next turn, once however many reports ask in this one. */
  #drainSoon(): void {
    if (this.backlog.size === 0 || this.#drainScheduled) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      this.drain();
    });
  }

  #retrySoon(): void {
    this.#retryTimer ??= setTimeout(() => this.drain(), QUEUE_FULL_RETRY_MS);
  }
}
