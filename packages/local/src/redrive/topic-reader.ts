import { randomUUID } from 'node:crypto';
import {
  loadConsumerClass,
  type NativeConsumer,
  type NativeError,
  toSourceMessage,
} from '../runner/kafka-source.js';
import type { SourceMessage } from '../runner/types.js';

// The consumer calls the reader needs beyond the runner's, as @confluentinc/kafka-javascript has them.
interface MetadataConsumer extends NativeConsumer {
  getMetadata(
    options: { topic: string; timeout: number },
    callback: (
      error: NativeError | null,
      metadata: { topics: Array<{ name: string; partitions: Array<{ id: number }> }> },
    ) => void,
  ): void;
  queryWatermarkOffsets(
    topic: string,
    partition: number,
    timeout: number,
    callback: (error: NativeError | null, offsets: { lowOffset: number; highOffset: number }) => void,
  ): void;
  assign(partitions: Array<{ topic: string; partition: number; offset?: number }>): void;
}

const TIMEOUT_MS = 10_000;

/**
 * Reads one topic from its first offset to the end it had when opened (each partition's high
 * watermark then), without a consumer group's commits: what a redrive of a dead-letter topic reads.
 *
 * @example
 * ```ts
 * const reader = await TopicReader.open('b:9092', 'orders.dlq', {});
 * for await (const batch of reader.batches()) console.log(batch.length);
 * await reader.close();
 * ```
 */
export class TopicReader {
  readonly #consumer: MetadataConsumer;
  /** Per partition, the offset after which it is read to its end. */
  readonly #ends: Map<number, number>;

  private constructor(consumer: MetadataConsumer, ends: Map<number, number>) {
    this.#consumer = consumer;
    this.#ends = ends;
  }

  static async open(
    brokers: string,
    topic: string,
    config: Readonly<Record<string, string | number | boolean>>,
  ): Promise<TopicReader> {
    const KafkaConsumer = await loadConsumerClass('the redrive');
    const consumer = new KafkaConsumer(
      {
        'bootstrap.servers': brokers,
        'group.id': `kafka-lambda-redrive-${randomUUID()}`,
        'client.id': 'kafka-lambda-redrive',
        'enable.auto.commit': false,
        'enable.partition.eof': false,
        ...config,
      },
      {},
    ) as MetadataConsumer;
    await call<void>(
      (done) => consumer.connect({ timeout: TIMEOUT_MS }, (error) => done(error)),
      `connect to ${brokers}`,
    );
    const metadata = await call<{ topics: Array<{ name: string; partitions: Array<{ id: number }> }> }>(
      (done) => consumer.getMetadata({ topic, timeout: TIMEOUT_MS }, done),
      `read the metadata of ${topic}`,
    );
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? [];
    if (partitions.length === 0) {
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      throw new Error(`topic ${topic} does not exist (or has no partitions) on ${brokers}`);
    }
    const ends = new Map<number, number>();
    const assignment: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const { id } of partitions) {
      const { lowOffset, highOffset } = await call<{ lowOffset: number; highOffset: number }>(
        (done) => consumer.queryWatermarkOffsets(topic, id, TIMEOUT_MS, done),
        `read the offsets of ${topic}-${id}`,
      );
      if (highOffset > lowOffset) {
        ends.set(id, highOffset - 1);
        assignment.push({ topic, partition: id, offset: lowOffset });
      }
    }
    consumer.setDefaultConsumeTimeout(500);
    if (assignment.length > 0) consumer.assign(assignment);
    return new TopicReader(consumer, ends);
  }

  /** The topic's messages in batches, until every partition is read to its end. */
  async *batches(size = 500): AsyncGenerator<SourceMessage[]> {
    const left = new Map(this.#ends);
    while (left.size > 0) {
      const messages = await call<Parameters<typeof toSourceMessage>[0][]>(
        (done) => this.#consumer.consume(size, done),
        'consume',
      );
      const batch: SourceMessage[] = [];
      for (const native of messages) {
        const end = left.get(native.partition);
        if (end === undefined || native.offset > end) continue; // produced after the redrive started
        batch.push(toSourceMessage(native));
        if (native.offset >= end) left.delete(native.partition);
      }
      if (batch.length > 0) yield batch;
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()));
  }
}

function call<T>(
  run: (done: (error: NativeError | null, value?: T) => void) => void,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    run((error, value) =>
      error ? reject(new Error(`could not ${what}: ${error.message}`)) : resolve(value as T),
    ),
  );
}
