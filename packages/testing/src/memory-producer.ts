import { KafkaHeaders, KafkaLambdaError, type KafkaProducer } from '@kafka-lambda/core';
import { FlushTimeoutError } from '@kafka-lambda/core/errors';
import {
  type DeliveryEngine,
  type DeliveryReport,
  deliveryEngine,
  type OutgoingMessage,
  ProducerDeliveryError,
} from '@kafka-lambda/core/producer';
import { InvalidTestInputError, ProducerAssertionError } from './errors.js';
import { type MemoryTransaction, MemoryTransactions, type TransactionState } from './memory-transactions.js';

/** Where a sent message stands: queued until a flush, then delivered or failed. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A message the handler sent, with conveniences to read it. */
export interface ProducedMessage {
  readonly topic: string;
  /** The partition it went to (the requested one, else derived from the key). */
  readonly partition: number;
  /** The offset the "broker" gave it; -1 until delivered. */
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: KafkaHeaders;
  readonly timestamp: number | undefined;
  readonly status: DeliveryStatus;
  /** Why delivery failed, when it did. */
  readonly error: Error | undefined;
  /** Index of the `flush()` call that settled it (1-based); 0 while pending. */
  readonly flushedBy: number;
  /** With a transactional producer: the state of the transaction it was sent in. */
  readonly transaction: TransactionState | undefined;
  /** The key as UTF-8 text, or null. */
  keyText(): string | null;
  /** The value as UTF-8 text, or null for a tombstone. */
  text(): string | null;
  /** The value parsed as JSON (null for a tombstone). */
  json<T = unknown>(): T;
  /** The message exactly as the producer received it. */
  readonly original: OutgoingMessage;
}

/** Options of {@link memoryProducer}. */
export interface MemoryProducerOptions {
  /** Partitions per topic, for messages that name none (chosen from the key's hash). Default 1. */
  partitions?: number | Readonly<Record<string, number>>;
  /**
   * A transactional producer, like `kafkaProducer(config, { transactional })`: a handler using it makes
   * each invocation one transaction; a message sent outside one is refused (as librdkafka does, code
   * -172). `committed` is what a read_committed consumer sees, `messages` a read_uncommitted one.
   */
  transactional?: boolean;
}

type Predicate = (message: OutgoingMessage) => boolean;

interface FailRule {
  readonly matches: Predicate;
  readonly error: () => Error;
  remaining: number;
}

class MemoryMessage implements ProducedMessage {
  status: DeliveryStatus = 'pending';
  offset = -1;
  error: Error | undefined;
  flushedBy = 0;
  readonly headers: KafkaHeaders;

  constructor(
    readonly original: OutgoingMessage,
    readonly partition: number,
    readonly settle: { resolve: (report: DeliveryReport) => void; reject: (error: Error) => void },
    readonly txn: MemoryTransaction | undefined,
  ) {
    this.headers = KafkaHeaders.from(original.headers ?? []);
  }
  get transaction(): TransactionState | undefined {
    return this.txn?.state;
  }
  get topic(): string {
    return this.original.topic;
  }
  get key(): Buffer | null {
    return this.original.key;
  }
  get value(): Buffer | null {
    return this.original.value;
  }
  get timestamp(): number | undefined {
    return this.original.timestamp;
  }
  keyText(): string | null {
    return this.key?.toString('utf8') ?? null;
  }
  text(): string | null {
    return this.value?.toString('utf8') ?? null;
  }
  json<T = unknown>(): T {
    return (this.value === null ? null : JSON.parse(this.value.toString('utf8'))) as T;
  }
  toJSON(): Record<string, unknown> {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      status: this.status,
      key: this.keyText(),
      value: this.text(),
      headers: this.headers.toJSON(),
    };
  }
}

/**
 * The error a delivery fails with when a test asked for it (like librdkafka's `_MSG_TIMED_OUT`).
 *
 * @example
 * ```ts
 * const producer = memoryProducer().failNext();
 * const delivery = producer.send({ topic: 'out', key: null, value: Buffer.from('x') });
 * await producer.flush(1_000);
 * await delivery.catch((error) => console.log(error instanceof SimulatedDeliveryError)); // true
 * ```
 */
export class SimulatedDeliveryError extends KafkaLambdaError {
  override name = 'SimulatedDeliveryError';
}

/**
 * A {@link KafkaProducer} that keeps everything in memory, for unit tests of handlers. Like a real
 * broker it confirms messages only when flushed: each `send()` promise stays pending until the next
 * `flush()`, so a test proves the handler awaited its flush by checking `messages` after it returned.
 *
 * @example
 * ```ts
 * import { createKafkaHandler } from '@kafka-lambda/core';
 * import { lambdaContext, memoryProducer, mskEvent } from '@kafka-lambda/testing';
 *
 * const producer = memoryProducer();
 * const handler = createKafkaHandler({
 *   producer,
 *   process(record, { produce }) {
 *     produce({ topic: 'out', key: record.key, value: record.value });
 *   },
 * });
 * await handler(mskEvent([{ key: 'a', value: 'hello' }]), lambdaContext());
 * producer.expectFlushedOnce();
 * console.log(producer.messagesFor('out').map((m) => m.text())); // ['hello']
 * ```
 */
export function memoryProducer(
  options: MemoryProducerOptions & { transactional: true },
): MemoryProducer & { readonly transactions: MemoryTransactions };
export function memoryProducer(options?: MemoryProducerOptions): MemoryProducer;
export function memoryProducer(options: MemoryProducerOptions = {}): MemoryProducer {
  return new MemoryProducer(options);
}

/**
 * See {@link memoryProducer}.
 *
 * @example
 * ```ts
 * const producer = new MemoryProducer({ partitions: { orders: 3 } }).failTopic('orders.dlq');
 * ```
 */
export class MemoryProducer implements KafkaProducer {
  /** The handler's delivery engine, as every producer carries it (see `deliveryEngine`). */
  readonly deliveryEngine: DeliveryEngine = deliveryEngine;
  /** Number of `flush()` calls, empty ones included. */
  flushCount = 0;
  /** Number of `warmUp()` calls. */
  warmUpCount = 0;
  /** Number of `close()` calls. */
  closeCount = 0;
  /** Timeouts passed to `flush()`, in order. */
  readonly flushTimeouts: number[] = [];
  /** With `transactional: true`: begin / commit / abort, and failures to script. */
  readonly transactions: MemoryTransactions | undefined;

  readonly #options: MemoryProducerOptions;
  #all: MemoryMessage[] = [];
  #failRules: FailRule[] = [];
  #flushTimeouts = 0;
  readonly #nextOffset = new Map<string, number>();

  constructor(options: MemoryProducerOptions = {}) {
    this.#options = options;
    this.transactions = options.transactional
      ? new MemoryTransactions({
          settle: (txn) => {
            for (const message of this.#all) if (message.txn === txn) this.#settle(message);
          },
          purge: (txn) => {
            for (const message of this.#all)
              if (message.txn === txn && message.status === 'pending')
                this.#fail(
                  message,
                  new SimulatedDeliveryError('Local: Purged in queue (transaction aborted)'),
                );
          },
          failedIn: (txn) => this.#all.some((message) => message.txn === txn && message.status === 'failed'),
        })
      : undefined;
  }

  send(message: OutgoingMessage): Promise<DeliveryReport> {
    if (typeof message?.topic !== 'string' || message.topic === '') {
      return Promise.reject(new InvalidTestInputError('message.topic', 'a non-empty string'));
    }
    const txn = this.transactions?.current;
    if (this.transactions && !txn) {
      // As the real client (recorded): a transactional producer refuses a message outside a transaction.
      return Promise.reject(new ProducerDeliveryError(message.topic, -172, false, 'Local: Erroneous state'));
    }
    return new Promise<DeliveryReport>((resolve, reject) => {
      this.#all.push(new MemoryMessage(message, this.#partitionOf(message), { resolve, reject }, txn));
    });
  }

  /**
   * Settles every pending message: delivered (with increasing offsets per partition) unless a failure
   * rule matches it. Resolves even when deliveries fail, as librdkafka does: failures reach the `send()`
   * promises. Rejects with core's `FlushTimeoutError`, leaving messages pending, when told to time out.
   */
  async flush(timeoutMs: number): Promise<void> {
    this.flushCount++;
    this.flushTimeouts.push(timeoutMs);
    const pending = this.#all.filter((message) => message.status === 'pending');
    if (this.#flushTimeouts > 0) {
      this.#flushTimeouts--;
      throw new FlushTimeoutError(timeoutMs, pending.length);
    }
    for (const message of pending) {
      message.flushedBy = this.flushCount;
      this.#settle(message);
    }
  }

  #settle(message: MemoryMessage): void {
    if (message.status !== 'pending') return;
    const error = this.#failureFor(message.original);
    if (error) {
      this.#fail(message, error);
      return;
    }
    const partitionKey = `${message.topic}-${message.partition}`;
    const offset = this.#nextOffset.get(partitionKey) ?? 0;
    this.#nextOffset.set(partitionKey, offset + 1);
    message.status = 'delivered';
    message.offset = offset;
    message.settle.resolve({ topic: message.topic, partition: message.partition, offset });
  }

  #fail(message: MemoryMessage, error: Error): void {
    message.status = 'failed';
    message.error = error;
    message.settle.reject(error);
  }

  warmUp(): void {
    this.warmUpCount++;
  }

  async close(timeoutMs = 5_000): Promise<void> {
    this.closeCount++;
    await this.flush(timeoutMs);
  }

  /**
   * Delivered messages, in send order: what a consumer of the topics would see (with a transactional
   * producer, a read_uncommitted one: aborted and open transactions included).
   */
  get messages(): ProducedMessage[] {
    return this.#all.filter((message) => message.status === 'delivered');
  }

  /** What a read_committed consumer sees: delivered messages outside transactions or in committed ones. */
  get committed(): ProducedMessage[] {
    return this.messages.filter(
      (message) => message.transaction === undefined || message.transaction === 'committed',
    );
  }

  /** {@link committed} messages of one topic, in send order. */
  committedFor(topic: string): ProducedMessage[] {
    return this.committed.filter((message) => message.topic === topic);
  }

  /** Every message sent, whatever its status, in send order. */
  get sent(): ProducedMessage[] {
    return this.#all.slice();
  }

  /** Messages sent but not yet flushed. */
  get pending(): ProducedMessage[] {
    return this.#all.filter((message) => message.status === 'pending');
  }

  /** Messages whose delivery failed. */
  get failed(): ProducedMessage[] {
    return this.#all.filter((message) => message.status === 'failed');
  }

  /** Delivered messages of one topic, in send order. */
  messagesFor(topic: string): ProducedMessage[] {
    return this.messages.filter((message) => message.topic === topic);
  }

  /** Delivered values of one topic as UTF-8 text. */
  textsFor(topic: string): Array<string | null> {
    return this.messagesFor(topic).map((message) => message.text());
  }

  /** Delivered values of one topic parsed as JSON. */
  jsonFor<T = unknown>(topic: string): T[] {
    return this.messagesFor(topic).map((message) => message.json<T>());
  }

  /** The next `count` messages settled by a flush fail. */
  failNext(count = 1, error?: Error | string): this {
    return this.#addRule(() => true, count, error);
  }

  /** Every message matching `predicate` fails (at most `times` of them, default unlimited). */
  failWhen(
    predicate: (message: OutgoingMessage) => boolean,
    options: { times?: number; error?: Error | string } = {},
  ): this {
    if (typeof predicate !== 'function') throw new InvalidTestInputError('failWhen(predicate)', 'a function');
    return this.#addRule(predicate, options.times ?? Number.POSITIVE_INFINITY, options.error);
  }

  /** Every message to `topic` fails (at most `times` of them, default unlimited). */
  failTopic(topic: string, options: { times?: number; error?: Error | string } = {}): this {
    return this.failWhen((message) => message.topic === topic, options);
  }

  /** The next `count` flushes reject with `FlushTimeoutError` and settle nothing. */
  timeoutNextFlush(count = 1): this {
    if (!Number.isInteger(count) || count < 0)
      throw new InvalidTestInputError('timeoutNextFlush(count)', 'a non-negative integer');
    this.#flushTimeouts += count;
    return this;
  }

  /** Forgets messages, counters and failure rules. Pending `send()` promises are rejected. */
  reset(): void {
    for (const message of this.#all) {
      if (message.status === 'pending') message.settle.reject(new SimulatedDeliveryError('producer reset'));
    }
    this.#all = [];
    this.#failRules = [];
    this.#flushTimeouts = 0;
    this.#nextOffset.clear();
    this.flushCount = 0;
    this.warmUpCount = 0;
    this.closeCount = 0;
    this.flushTimeouts.length = 0;
  }

  /** Throws unless `flush()` was called exactly once since creation (or `reset()`). */
  expectFlushedOnce(): void {
    this.expectFlushCount(1);
  }

  /** Throws unless `flush()` was called exactly `count` times. */
  expectFlushCount(count: number): void {
    if (this.flushCount !== count) {
      throw assertion(`expected ${count} flush(es), got ${this.flushCount}`, this.flushCount, count);
    }
  }

  /** Throws if any sent message is still waiting for a flush: the handler returned before flushing. */
  expectNothingPending(): void {
    const pending = this.pending.length;
    if (pending > 0) throw assertion(`${pending} message(s) were sent but never flushed`, pending, 0);
  }

  #addRule(matches: Predicate, count: number, error: Error | string | undefined): this {
    if (!(count >= 0)) throw new InvalidTestInputError('count', 'a non-negative number');
    const make = () =>
      error instanceof Error
        ? error
        : new SimulatedDeliveryError(error ?? 'Local: Message timed out (simulated)');
    this.#failRules.push({ matches, error: make, remaining: count });
    return this;
  }

  #failureFor(message: OutgoingMessage): Error | undefined {
    for (const rule of this.#failRules) {
      if (rule.remaining > 0 && rule.matches(message)) {
        rule.remaining--;
        return rule.error();
      }
    }
    return undefined;
  }

  #partitionOf(message: OutgoingMessage): number {
    if (message.partition !== undefined && message.partition >= 0) return message.partition;
    const setting = this.#options.partitions;
    const count = typeof setting === 'number' ? setting : (setting?.[message.topic] ?? 1);
    if (count <= 1 || message.key === null) return 0;
    // Any stable hash will do: tests only need "same key, same partition".
    let hash = 0;
    for (const byte of message.key) hash = (Math.imul(hash, 31) + byte) | 0;
    return Math.abs(hash) % count;
  }
}

function assertion(message: string, actual: number, expected: number): ProducerAssertionError {
  return new ProducerAssertionError(message, actual, expected);
}
