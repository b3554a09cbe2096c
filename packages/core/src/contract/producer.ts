/** A message ready for the wire: topic chosen, key and value serialized. */
export interface OutgoingMessage {
  readonly topic: string;
  /** Omit to let the partitioner choose from the key. */
  readonly partition?: number | undefined;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: ReadonlyArray<readonly [string, Buffer]> | undefined;
  /** Epoch ms; omitted means the producer's clock. */
  readonly timestamp?: number | undefined;
}

/** Where the broker stored a message. */
export interface DeliveryReport {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Called once per message with the broker's verdict: an error, or where the message was stored.
 *
 * An error may carry `code` (librdkafka's error code, e.g. 10 for MSG_SIZE_TOO_LARGE) and
 * `permanent: true` when the message as it is can never be delivered (too large, invalid topic, not
 * authorised): the batch then fails the record that produced it under its error policy, instead of
 * failing the invocation on every retry. Any other error fails the invocation so the ESM retries.
 *
 * `message` is the very object that was given to `enqueue` (not a copy): the handler finds the
 * record a message came from through it.
 */
export type DeliveryCallback = (
  error: Error | undefined,
  report: DeliveryReport | undefined,
  message: OutgoingMessage,
) => void;

/**
 * What the handler needs from a producer: enqueue without waiting, then one wait per batch for that
 * batch's own delivery reports. `kafkaProducer()` from `@kafka-lambda/core/producer` implements it over librdkafka;
 * `@kafka-lambda/testing` has an in-memory one.
 *
 * A batch never waits on `flush()` for its verdict: it waits for the delivery callbacks of the
 * messages it enqueued, bounded by the invocation's deadline. It calls `flush()` once (without
 * depending on its result) so that a producer that delivers only when flushed, like the in-memory
 * one, delivers.
 *
 * @example
 * ```ts
 * const delivered = producer.send({ topic: 'out', key: null, value: Buffer.from('hi') });
 * await producer.flush(5_000);
 * console.log(await delivered); // { topic: 'out', partition: 0, offset: 42 }
 * ```
 */
export interface KafkaProducer {
  /** Enqueues a message. The promise settles with the broker's delivery report, not before. */
  send(message: OutgoingMessage): Promise<DeliveryReport>;
  /**
   * Like `send`, with a callback instead of a promise: the handler prefers it when present, since a batch
   * of 10,000 results would otherwise allocate 10,000 promises. Optional.
   *
   * `signal` belongs to the batch that enqueued the message: once it is aborted, a message the
   * producer still holds (waiting for a connection, or for room in a full queue) is settled with an
   * error and never handed to the client, so nothing a finished batch enqueued is produced after
   * its handler returned. Never throws: a message that cannot be taken is settled with its error.
   */
  enqueue?(message: OutgoingMessage, onDelivery: DeliveryCallback, signal?: AbortSignal): void;
  /**
   * Like `enqueue`, but the message travels in a record batch of its own: it is handed to the client
   * once every message handed over before it has its report, and nothing else is handed over until
   * it has its own. The handler uses it to send again a message the broker refused as too large
   * (`MSG_SIZE_TOO_LARGE` refuses the whole record batch), so that a healthy message refused beside
   * an oversized one, of this batch or of another batch on the same producer, is delivered on its
   * second send. Optional: without it such a message is sent again with `enqueue`.
   */
  enqueueAlone?(message: OutgoingMessage, onDelivery: DeliveryCallback, signal?: AbortSignal): void;
  /**
   * How many enqueued messages the producer holds in memory because the client's own queue is full.
   * The batch hands over no more while it is above zero (see `whenWritable`). Optional.
   */
  readonly backlog?: number;
  /**
   * Resolves when `backlog` is back to zero, or rejects with `signal`'s reason once it is aborted.
   * Optional; required when `backlog` can be above zero.
   */
  whenWritable?(signal: AbortSignal): Promise<void>;
  /**
   * The largest message (key + value + headers) the producer will send, e.g. librdkafka's
   * `message.max.bytes`; undefined while unknown (not connected yet). Dead letters are fitted to it.
   */
  readonly maxMessageBytes?: number | undefined;
  /** Waits until every enqueued message has a delivery report, or rejects after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>;
  /** Starts connecting ahead of the first send, without waiting. Optional. */
  warmUp?(): void;
  /** Flushes what is queued and releases the connection. */
  close(timeoutMs?: number): Promise<void>;
  /**
   * Present on a transactional producer: the handler then makes each batch's outputs one Kafka
   * transaction (begun before its first record, committed after the last delivery report, aborted
   * on any failure). Optional.
   */
  readonly transactions?: ProducerTransactions | undefined;
  /**
   * What the handler sends a batch's outputs and dead letters with: `deliveryEngine` from
   * `@kafka-lambda/core/producer`, which `kafkaProducer()` and `memoryProducer()` carry. A producer
   * of your own sets it (`{ deliveryEngine, send, flush, close }`); the handler refuses a producer
   * without it. Carried by the producer so that a function that never produces never loads it.
   */
  readonly deliveryEngine?: { readonly kind: 'kafka-lambda/delivery-engine' } | undefined;
}

/**
 * The transaction of the batch a transactional producer serves: one at a time. Each call is bounded
 * by `timeoutMs` (the handler passes what is left of the invocation's deadline) and rejects when the
 * step did not happen; `@kafka-lambda/core`'s rejects with a `TransactionError` saying what the
 * client can still do.
 *
 * @example
 * ```ts
 * await producer.transactions!.begin(5_000);
 * producer.enqueue!(message, (error) => console.log(error ?? 'in the transaction'));
 * await producer.flush(5_000);
 * await producer.transactions!.commit(5_000); // read_committed consumers see the message now
 * ```
 */
export interface ProducerTransactions {
  /** The producer's `transactional.id`, when it has one. */
  readonly transactionalId?: string | undefined;
  /** Begins a transaction: messages enqueued from now on belong to it. */
  begin(timeoutMs: number): Promise<void>;
  /** Commits it: its messages become visible to read_committed consumers, all at once. */
  commit(timeoutMs: number): Promise<void>;
  /** Aborts it (no transaction open: nothing to do): its messages are never visible to read_committed consumers. */
  abort(timeoutMs: number): Promise<void>;
}
