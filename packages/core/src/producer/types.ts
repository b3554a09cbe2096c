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

/** Called once per message with the broker's verdict: an error, or where the message was stored. */
export type DeliveryCallback = (
  error: Error | undefined,
  report: DeliveryReport | undefined,
  message: OutgoingMessage,
) => void;

/**
 * What the handler needs from a producer: enqueue without waiting, then one flush per batch.
 * `@kafka-lambda/core` implements it over librdkafka ({@link kafkaProducer}); `@kafka-lambda/testing`
 * has an in-memory one.
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
   */
  enqueue?(message: OutgoingMessage, onDelivery: DeliveryCallback): void;
  /** Waits until every enqueued message has a delivery report, or rejects after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>;
  /** Starts connecting ahead of the first send, without waiting. Optional. */
  warmUp?(): void;
  /** Flushes what is queued and releases the connection. */
  close(timeoutMs?: number): Promise<void>;
}
