import type { LambdaContext } from '@kafka-lambda/core';
import type { KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';

// Core's own tests build events by hand: @kafka-lambda/testing depends on core, not the other way round.

export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function eventRecord(
  topic: string,
  partition: number,
  offset: number,
  value: string | null,
  extra: Partial<KafkaEventRecord> = {},
): KafkaEventRecord {
  return {
    topic,
    partition,
    offset,
    timestamp: 1_700_000_000_000 + offset,
    timestampType: 'CREATE_TIME',
    key: b64(`key-${offset}`),
    value: value === null ? null : b64(value),
    headers: [],
    ...extra,
  };
}

export function mskEvent(records: KafkaEventRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) (grouped[`${record.topic}-${record.partition}`] ??= []).push(record);
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/abcd-1',
    bootstrapServers: 'b-1.demo:9092',
    records: grouped,
  };
}

export function context(remainingMs = 60_000): LambdaContext {
  const deadline = Date.now() + remainingMs;
  return {
    functionName: 'test-fn',
    awsRequestId: 'req-1',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Partition p of topic `in` holds the given values, offsets from 0. */
export function partitions(...values: string[][]): KafkaEvent {
  return mskEvent(values.flatMap((list, p) => list.map((value, i) => eventRecord('in', p, i, value))));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An invocation's outcome as a value: its result, or the error it rejected with. */
export const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (result) => ({ result, error: undefined }),
    (error: Error) => ({ result: undefined, error }),
  );
