import type { BatchItemFailures } from '../contract/lambda.js';
import type { KafkaEventRecord, PartitionBatch } from '../event/event.js';
import { markUndecodable } from '../record/record.js';
import { InvalidEventError, KafkaLambdaError } from '../shared/errors.js';

/**
 * One record as Confluent's AWS Lambda Sink Connector sends it in sync mode: the Kafka record
 * converted to JSON. `key` and `value` are what the connector's converters made of the record's bytes
 * (a JSON object for a schema'd Avro/Protobuf/JSON Schema record, a string for a string record).
 *
 * Sources: https://docs.confluent.io/cloud/current/connectors/cc-aws-lambda-sink.html ("converts them
 * to JSON"), the Confluent example function in confluentinc/kafka-docker-playground
 * (connect/connect-aws-lambda-sink) which reads `payload.{timestamp, topic, partition, offset, value}`.
 */
export interface SinkConnectorRecord {
  payload: {
    /** Epoch ms; null (or absent) for a Kafka record without a timestamp. */
    timestamp: number | null;
    topic: string;
    partition: number;
    offset: number;
    key?: unknown;
    value: unknown;
  };
}

/** The event of a sync-mode Sink Connector invocation: an array of records. */
export type SinkConnectorEvent = SinkConnectorRecord[];

/** The `eventSource` the handler's instrumentation sees for a Sink Connector invocation. */
export const SINK_CONNECTOR_EVENT_SOURCE = 'confluent:lambda-sink-connector';

/**
 * Whether an event is a Sink Connector invocation: an array (an ESM event is an object, so the two
 * never overlap). Any array: one whose elements are not `{ payload }` objects is a malformed Sink
 * Connector event, refused by {@link parseSinkConnectorEvent} naming the element, not an ESM event
 * refused for not being an object.
 *
 * @example
 * ```ts
 * import { isSinkConnectorEvent } from '@kafka-lambda/core/events';
 *
 * isSinkConnectorEvent([{ payload: { topic: 't', partition: 0, offset: 1, timestamp: 0, value: {} } }]); // true
 * isSinkConnectorEvent({ eventSource: 'aws:kafka', records: {} }); // false
 * ```
 */
export function isSinkConnectorEvent(event: unknown): event is SinkConnectorEvent {
  return Array.isArray(event);
}

/**
 * The bytes a deserializer reads for a connector-converted key or value: a string is its UTF-8 bytes
 * (what `string()` read from the topic), `null`/absent is no bytes (a tombstone, no key), anything
 * else is its JSON text (what `json()` read from the topic). Returned as base64, as in an ESM record.
 *
 * @example
 * ```ts
 * import { sinkPayloadBytes } from '@kafka-lambda/core/events';
 *
 * Buffer.from(sinkPayloadBytes({ id: 1 })!, 'base64').toString(); // '{"id":1}'
 * Buffer.from(sinkPayloadBytes('AAPL')!, 'base64').toString();    // 'AAPL'
 * ```
 */
export function sinkPayloadBytes(converted: unknown): string | null {
  if (converted === null || converted === undefined) return null;
  const text = typeof converted === 'string' ? converted : JSON.stringify(converted);
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * Checks a Sink Connector event and turns it into the same per-partition batches as an ESM event, in
 * offset order, so the handler runs its deserializers and policies unchanged. Keys and values become
 * bytes as {@link sinkPayloadBytes} says; the connector sends no headers, so records have none.
 *
 * What cannot be placed is the envelope's fault and throws {@link InvalidEventError} naming the first
 * offending path: an element that is not `{ payload: {…} }`, a missing topic, a partition or offset
 * that is not a safe non-negative integer (a string, beyond 2^53), offsets out of order. A record
 * that can be placed but is unusable itself (no `value`, a `timestamp` that is not a number) fails
 * alone when decoded, with a `RecordDecodeError` naming it, under the handler's policy. A null or
 * absent timestamp (a Kafka record without one) is -1, `NO_TIMESTAMP_TYPE`. Other fields are ignored.
 *
 * @example
 * ```ts
 * import { parseSinkConnectorEvent } from '@kafka-lambda/core/events';
 *
 * const [partition] = parseSinkConnectorEvent([
 *   { payload: { topic: 'trades', partition: 0, offset: 7, timestamp: 1700000000000, key: 'AAPL', value: { qty: 5 } } },
 * ]);
 * console.log(partition!.topic, partition!.records[0]!.offset); // trades 7
 * ```
 */
export function parseSinkConnectorEvent(event: unknown): PartitionBatch[] {
  if (!Array.isArray(event)) throw new InvalidEventError('event', 'an array of { payload } records');
  const groups = new Map<string, { topic: string; partition: number; records: KafkaEventRecord[] }>();
  for (let i = 0; i < event.length; i++) {
    const path = `[${i}].payload`;
    const item = event[i] as { payload?: unknown } | null;
    const payload = typeof item === 'object' && item !== null ? item.payload : undefined;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw new InvalidEventError(path, 'an object { timestamp, topic, partition, offset, key, value }');
    const p = payload as Record<string, unknown>;
    if (typeof p.topic !== 'string' || p.topic === '')
      throw new InvalidEventError(`${path}.topic`, 'a topic name');
    if (!isNonNegativeInteger(p.partition))
      throw new InvalidEventError(`${path}.partition`, 'a non-negative integer');
    if (!isNonNegativeInteger(p.offset))
      throw new InvalidEventError(`${path}.offset`, 'a non-negative integer');
    const groupKey = `${p.topic}-${p.partition}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { topic: p.topic, partition: p.partition, records: [] };
      groups.set(groupKey, group);
    }
    const previous = group.records.at(-1)?.offset ?? -1;
    // Policies stop a partition at its first failure: order is load-bearing, as for the ESM.
    if (p.offset <= previous)
      throw new InvalidEventError(`${path}.offset`, `an offset above ${previous} for ${groupKey}, in order`);
    group.records.push(sinkRecord(p as SinkConnectorRecord['payload'] & Record<string, unknown>));
  }
  return [...groups.values()];
}

/** The ESM-shaped record of a placed payload; one that is unusable itself is marked to fail alone. */
function sinkRecord(p: SinkConnectorRecord['payload'] & Record<string, unknown>): KafkaEventRecord {
  const stamped = typeof p.timestamp === 'number' && Number.isFinite(p.timestamp);
  const defect = !Object.hasOwn(p, 'value')
    ? 'the Sink Connector payload has no `value` (null for a tombstone)'
    : stamped || p.timestamp === null || p.timestamp === undefined
      ? undefined
      : `the Sink Connector payload's timestamp is ${describe(p.timestamp)}, not epoch ms`;
  const raw: KafkaEventRecord = {
    topic: p.topic,
    partition: p.partition,
    offset: p.offset,
    timestamp: stamped ? (p.timestamp as number) : -1,
    timestampType: stamped ? 'CREATE_TIME' : 'NO_TIMESTAMP_TYPE',
    key: sinkPayloadBytes(p.key),
    // A defective record is never a tombstone (which `tombstones: 'skip'` passes over): it fails.
    value: defect ? '' : sinkPayloadBytes(p.value),
  };
  if (defect) markUndecodable(raw, 'value', defect);
  return raw;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * The `report` policy stopped partitions of a Sink Connector invocation. The connector has no partial
 * batch response, so the handler fails the invocation with this error: the connector then treats the
 * whole batch as failed (Confluent Cloud writes it to `error-<connector-id>` and goes on; on Confluent
 * Platform `behavior.on.error` decides). `unprocessed` names the first record not done per partition:
 * the records before it succeeded and their outputs are delivered.
 */
export class SinkConnectorReportError extends KafkaLambdaError {
  override name = 'SinkConnectorReportError';
  readonly unprocessed: ReadonlyArray<{ readonly partition: string; readonly offset: number }>;
  constructor(failures: BatchItemFailures) {
    const unprocessed = failures.batchItemFailures.map((f) => ({ ...f.itemIdentifier }));
    super(
      `records not processed (the Sink Connector has no partial batch response): ${unprocessed
        .map((u) => `${u.partition}@${u.offset}`)
        .join(', ')}`,
    );
    this.unprocessed = unprocessed;
  }
}

/**
 * What a Sink Connector invocation returns for the handler's result: nothing when every record was
 * done; a `report` result becomes a thrown {@link SinkConnectorReportError}.
 *
 * @example
 * ```ts
 * import { sinkConnectorResult } from '@kafka-lambda/core/events';
 *
 * sinkConnectorResult(undefined); // undefined
 * ```
 */
export function sinkConnectorResult(result: BatchItemFailures | undefined): undefined {
  if (result && result.batchItemFailures.length > 0) throw new SinkConnectorReportError(result);
  return undefined;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
