import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import type { DecodedFields } from './schema/esm-record-decoder.js';
import type { SchemaFailure } from './schema/schema-failure.js';
import type { RecordRef } from './types.js';

/** A record held by the runner until it is committed. */
export interface Buffered {
  readonly ref: RecordRef;
  readonly record: KafkaEventRecord;
  /** Its share of the event's JSON, bytes. */
  readonly bytes: number;
  /** When the consumer delivered it (epoch ms): the batching window counts from the oldest. */
  readonly arrivedAt: number;
  /** What the schema registry integration decoded, for the filters. */
  readonly decoded?: DecodedFields;
  /** Set when the schema registry integration could not decode it: it goes to the destination. */
  readonly schemaFailure?: SchemaFailure;
}

/** What the runner knows of one assigned partition. */
export interface PartitionState {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  /** Records not yet invoked (or handed back for a retry), in offset order. */
  queue: Buffered[];
  inFlight: boolean;
  /** The last offset of the batch in flight (meaningful while `inFlight`). */
  inFlightUpTo: number;
  /** The highest offset held (queued or in flight): the consumer's re-deliveries below it are dropped. */
  highest: number;
  /** Consecutive failed attempts at the head of the queue. */
  attempts: number;
  /** No batch for this partition before this time (epoch ms). */
  retryAt: number;
  paused: boolean;
  /** Taken away by a rebalance while its batch was in flight: nothing of it is committed or retried. */
  revoked: boolean;
}

/** A fresh state for a partition just assigned. */
export function partitionState(topic: string, partition: number): PartitionState {
  return {
    key: `${topic}-${partition}`,
    topic,
    partition,
    queue: [],
    inFlight: false,
    inFlightUpTo: -1,
    highest: -1,
    attempts: 0,
    retryAt: 0,
    paused: false,
    revoked: false,
  };
}
