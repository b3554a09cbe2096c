import type { SinkConnectorEvent, SinkConnectorRecord } from '@kafka-lambda/core/events';
import { InvalidTestInputError } from './errors.js';

/**
 * One record for {@link sinkConnectorEvent}: `key` and `value` are what the connector's converters
 * made of the record (a JSON object for a schema'd record, a string for a string record, null for a
 * tombstone). Topic, partition, offset and timestamp are filled in when omitted.
 */
export interface SinkRecordInput {
  /** Default: the options' `topic`, else `test-topic`. */
  topic?: string;
  /** Default 0. */
  partition?: number;
  /** Default: one above the partition's previous record (the first is `startOffset`). */
  offset?: number;
  /** Epoch ms or a Date. */
  timestamp?: number | Date;
  /** The converted key; omitted: the `key` field is absent. */
  key?: unknown;
  /** The converted value; null for a tombstone. */
  value: unknown;
}

/** Options of {@link sinkConnectorEvent}. */
export interface SinkConnectorEventOptions {
  /** Default `test-topic`. */
  topic?: string;
  /** Offset of the first record of each partition that names none. Default 100. */
  startOffset?: number;
  /** Timestamp of the first record; later records are 1 ms apart. Default: now minus the count. */
  timestamp?: number | Date;
}

/**
 * Builds what Confluent's AWS Lambda Sink Connector sends in sync mode: an array of
 * `{ payload: { timestamp, topic, partition, offset, key, value } }`, records of one partition in
 * offset order (https://docs.confluent.io/cloud/current/connectors/cc-aws-lambda-sink.html; the
 * payload fields as Confluent's example function in confluentinc/kafka-docker-playground reads them).
 *
 * @example
 * ```ts
 * import { lambdaContext, sinkConnectorEvent } from '@kafka-lambda/testing';
 *
 * const event = sinkConnectorEvent([{ key: 'AAPL', value: { SYMBOL: 'AAPL', QUANTITY: 10 } }], { topic: 'user_trades' });
 * await handler(event, lambdaContext());
 * ```
 */
export function sinkConnectorEvent(
  records: ReadonlyArray<SinkRecordInput>,
  options: SinkConnectorEventOptions = {},
): SinkConnectorEvent {
  const start = options.startOffset ?? 100;
  const first =
    options.timestamp === undefined
      ? Date.now() - records.length
      : options.timestamp instanceof Date
        ? options.timestamp.getTime()
        : options.timestamp;
  const next = new Map<string, number>();
  return records.map((input, i): SinkConnectorRecord => {
    const topic = input.topic ?? options.topic ?? 'test-topic';
    const partition = input.partition ?? 0;
    if (!Number.isInteger(partition) || partition < 0)
      throw new InvalidTestInputError(`records[${i}].partition`, 'a non-negative integer');
    const group = `${topic}-${partition}`;
    const expected = next.get(group) ?? start;
    const offset = input.offset ?? expected;
    if (!Number.isInteger(offset) || offset < expected)
      throw new InvalidTestInputError(
        `records[${i}].offset`,
        `an integer of at least ${expected} for ${group}`,
      );
    next.set(group, offset + 1);
    const ts = input.timestamp instanceof Date ? input.timestamp.getTime() : (input.timestamp ?? first + i);
    const payload: SinkConnectorRecord['payload'] = {
      timestamp: ts,
      topic,
      partition,
      offset,
      value: input.value,
    };
    if ('key' in input) payload.key = input.key;
    return { payload };
  });
}
