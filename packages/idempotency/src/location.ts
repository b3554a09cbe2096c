import type { RecordLocation } from '@kafka-lambda/core';

/** Only where the record is: a log line or an error never carries its key or value. */
export function locationOf({ topic, partition, offset }: RecordLocation): RecordLocation {
  return { topic, partition, offset };
}

/** `topic-partition@offset`, as every message of the SDK names a record. */
export function describeLocation({ topic, partition, offset }: RecordLocation): string {
  return `${topic}-${partition}@${offset}`;
}
