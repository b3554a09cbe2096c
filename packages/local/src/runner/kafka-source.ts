import { AddonLoadError } from '@kafka-lambda/core/producer';
import { type PartitionLag, partitionLag } from './metrics/partition-lag.js';
import { offsetsAtTimestamp } from './timestamp-assignment.js';
import type { RecordRef, RecordSource, SourceMessage, StartingPosition } from './types.js';

// The slice of @confluentinc/kafka-javascript's node-rdkafka-style consumer the runner uses, declared
// here so the public types never name the optional peer dependency.
export interface NativeError {
  code?: number;
  message: string;
}
export interface NativeTopicPartition {
  topic: string;
  partition: number;
}
export interface NativeMessage extends NativeTopicPartition {
  offset: number;
  timestamp?: number;
  key?: Buffer | string | null;
  value: Buffer | null;
  headers?: Array<Record<string, Buffer | string>>;
}
export interface NativeConsumer {
  connect(options: { timeout: number }, callback: (error: NativeError | null) => void): void;
  subscribe(topics: string[]): void;
  consume(count: number, callback: (error: NativeError | null, messages: NativeMessage[]) => void): void;
  setDefaultConsumeTimeout(ms: number): void;
  setDefaultIsTimeoutOnlyForFirstMessage?(enabled: boolean): void;
  commitSync(offsets: Array<NativeTopicPartition & { offset: number }>): void;
  assign(partitions: Array<NativeTopicPartition & { offset?: number }>): void;
  committed(
    partitions: NativeTopicPartition[],
    timeoutMs: number,
    callback: (error: NativeError | null, offsets: Array<NativeTopicPartition & { offset?: number }>) => void,
  ): void;
  assignments(): NativeTopicPartition[];
  queryWatermarkOffsets(
    topic: string,
    partition: number,
    timeoutMs: number,
    callback: (error: NativeError | null, offsets: { highOffset: number; lowOffset: number }) => void,
  ): void;
  offsetsForTimes(
    partitions: Array<NativeTopicPartition & { offset: number }>,
    timeoutMs: number,
    callback: (error: NativeError | null, offsets: Array<NativeTopicPartition & { offset: number }>) => void,
  ): void;
  unassign(): void;
  pause(partitions: NativeTopicPartition[]): void;
  resume(partitions: NativeTopicPartition[]): void;
  disconnect(callback: () => void): void;
  on(event: 'event.error', listener: (error: NativeError) => void): void;
}
export type NativeConsumerClass = new (
  config: Record<string, unknown>,
  topicConfig: Record<string, unknown>,
) => NativeConsumer;

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
/** Between two AT_TIMESTAMP offset look-ups that failed. */
const LOOKUP_RETRY_MS = 1_000;
/** Short, so that stop() is never kept waiting on an idle fetch. */
const POLL_TIMEOUT_MS = 100;

/** Settings of {@link KafkaSource}. */
export interface KafkaSourceSettings {
  readonly brokers: string;
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly startingPosition: StartingPosition;
  /** With `AT_TIMESTAMP`: where a partition without a committed offset starts (epoch ms). */
  readonly startingPositionTimestampMs?: number;
  readonly consumerConfig: Record<string, string | number | boolean>;
  readonly onError: (error: Error) => void;
}

/**
 * A consumer-group member over librdkafka, committing only the offsets it is given (auto-commit and
 * auto offset store off), as the ESM does after a successful invocation.
 */
export class KafkaSource implements RecordSource {
  readonly #settings: KafkaSourceSettings;
  #consumer: NativeConsumer | undefined;
  #closed = false;

  constructor(settings: KafkaSourceSettings) {
    this.#settings = settings;
  }

  async start(events: Parameters<RecordSource['start']>[0]): Promise<void> {
    const KafkaConsumer = await loadConsumerClass();
    const {
      brokers,
      groupId,
      startingPosition,
      startingPositionTimestampMs,
      consumerConfig,
      topics,
      onError,
    } = this.#settings;
    // Bumped by every revocation: an AT_TIMESTAMP assignment still looking up its offsets is then dropped.
    let generation = 0;
    const closed = () => this.#closed;
    const consumer = new KafkaConsumer(
      {
        'bootstrap.servers': brokers,
        'group.id': groupId,
        'client.id': 'kafka-lambda-local',
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'enable.partition.eof': false,
        ...consumerConfig,
        rebalance_cb(this: NativeConsumer, error: NativeError, assignment: NativeTopicPartition[]) {
          if (error?.code === ERR_ASSIGN_PARTITIONS) {
            if (startingPosition !== 'AT_TIMESTAMP') {
              this.assign(assignment);
              events.onAssigned();
              return;
            }
            // librdkafka waits for the assignment, so it may come once the offsets are looked up;
            // a failed look-up is reported and tried again until it answers or the partitions go.
            const at = generation;
            const lookUp = () => {
              if (at !== generation || closed()) return;
              offsetsAtTimestamp(this, assignment, startingPositionTimestampMs!).then(
                (partitions) => {
                  if (at !== generation || closed()) return;
                  this.assign(partitions);
                  events.onAssigned();
                },
                (lookup: Error) => {
                  onError(lookup);
                  setTimeout(lookUp, LOOKUP_RETRY_MS);
                },
              );
            };
            lookUp();
          } else if (error?.code === ERR_REVOKE_PARTITIONS) {
            generation++;
            events.onRevoked(assignment);
            this.unassign();
          }
        },
      },
      // A topic property: in the global config an empty topic config here would override it.
      // (AT_TIMESTAMP assigns explicit offsets; a partition deleted and recreated meanwhile reads from the start.)
      { 'auto.offset.reset': startingPosition === 'LATEST' ? 'latest' : 'earliest' },
    );
    consumer.on('event.error', (error) => onError(new Error(`consumer error: ${error.message}`)));
    await new Promise<void>((resolve, reject) => {
      consumer.connect({ timeout: 15_000 }, (error) =>
        error ? reject(new Error(`consumer could not connect to ${brokers}: ${error.message}`)) : resolve(),
      );
    });
    consumer.setDefaultConsumeTimeout(POLL_TIMEOUT_MS);
    consumer.setDefaultIsTimeoutOnlyForFirstMessage?.(true);
    consumer.subscribe([...topics]);
    this.#consumer = consumer;
  }

  poll(max: number): Promise<SourceMessage[]> {
    const consumer = this.#consumer;
    if (!consumer || this.#closed) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      consumer.consume(max, (error, messages) => {
        if (error) return reject(new Error(`consume failed: ${error.message}`));
        resolve(messages.map(toSourceMessage));
      });
    });
  }

  async commit(offsets: readonly RecordRef[]): Promise<void> {
    this.#consumer?.commitSync(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
  }

  /** `OffsetLag` of the partitions assigned now; empty before the consumer has any. */
  offsetLag(): Promise<PartitionLag[]> {
    return this.#consumer ? partitionLag(this.#consumer) : Promise.resolve([]);
  }

  pause(partitions: ReadonlyArray<NativeTopicPartition>): void {
    this.#consumer?.pause(partitions.map(({ topic, partition }) => ({ topic, partition })));
  }

  resume(partitions: ReadonlyArray<NativeTopicPartition>): void {
    this.#consumer?.resume(partitions.map(({ topic, partition }) => ({ topic, partition })));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (consumer) await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** A consumed message as the runner (and the redrive) reads it: headers as a list, key and value as bytes. */
export function toSourceMessage(message: NativeMessage): SourceMessage {
  const headers: Array<[string, Buffer]> = [];
  for (const header of message.headers ?? []) {
    for (const name in header) {
      const value = header[name]!;
      headers.push([name, typeof value === 'string' ? Buffer.from(value, 'utf8') : value]);
    }
  }
  const key = message.key;
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: message.timestamp ?? Date.now(),
    key: key === null || key === undefined ? null : typeof key === 'string' ? Buffer.from(key, 'utf8') : key,
    value: message.value ?? null,
    headers,
  };
}

/**
 * The native client's module (its named exports, whichever module system loaded it), imported on
 * first use; `neededBy` names who needs it in the error.
 */
export async function loadNativeClient(neededBy = 'runEventSource'): Promise<Record<string, unknown>> {
  let module: unknown;
  try {
    module = await import('@confluentinc/kafka-javascript');
  } catch (error) {
    throw new AddonLoadError(error, {
      neededBy,
      install: 'add it to your devDependencies (`npm install --save-dev @confluentinc/kafka-javascript`)',
    });
  }
  const named = module as Record<string, unknown> & { default?: Record<string, unknown> };
  return named.KafkaConsumer ? named : (named.default ?? named);
}

/** The native client's consumer class, loaded on first use; `neededBy` names who needs it in the error. */
export async function loadConsumerClass(neededBy = 'runEventSource'): Promise<NativeConsumerClass> {
  const named = (await loadNativeClient(neededBy)) as { KafkaConsumer?: NativeConsumerClass };
  const KafkaConsumer = named.KafkaConsumer;
  if (!KafkaConsumer) throw new Error('@confluentinc/kafka-javascript exports no KafkaConsumer');
  return KafkaConsumer;
}
