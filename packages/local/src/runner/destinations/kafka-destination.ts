import type { FailedRecords, OnFailureDestination } from './destination.js';
import { kafkaDestinationValue } from './failure-record.js';
import { NativeProducer } from './native-producer.js';

/** Settings of {@link KafkaDestination}. */
export interface KafkaDestinationSettings {
  readonly topic: string;
  /** The source cluster: AWS requires the destination topic to be in it. */
  readonly brokers: string;
  readonly producerConfig: Record<string, string | number | boolean>;
  /** How long one write may wait for the broker's acknowledgements. Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * A `kafka://<topic>` on-failure destination: one message per failed record, keyed by the record's
 * own key, whose value is the failure metadata plus an ESM event of that record
 * ({@link kafkaDestinationValue}); produced with `acks=all` and awaited, as Lambda acts as a producer
 * in the source cluster. Replay it with `kafka-lambda-local --from-failures`.
 */
export class KafkaDestination implements OnFailureDestination {
  readonly uri: string;
  readonly #settings: KafkaDestinationSettings;
  #producer: NativeProducer | undefined;

  constructor(settings: KafkaDestinationSettings) {
    this.#settings = settings;
    this.uri = `kafka://${settings.topic}`;
  }

  async write({ records, context }: FailedRecords): Promise<void> {
    this.#producer ??= new NativeProducer(this.#settings.brokers, this.#settings.producerConfig);
    const messages = Object.values(records)
      .flat()
      .map((record) => ({
        topic: this.#settings.topic,
        key: record.key === undefined || record.key === null ? null : Buffer.from(record.key, 'base64'),
        value: Buffer.from(JSON.stringify(kafkaDestinationValue(record, context))),
      }));
    await this.#producer.sendAll(messages, this.#settings.timeoutMs ?? 30_000);
  }

  async close(): Promise<void> {
    await this.#producer?.close();
    this.#producer = undefined;
  }
}
