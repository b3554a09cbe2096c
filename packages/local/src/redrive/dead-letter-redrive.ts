import { DEAD_LETTER_HEADERS } from '@kafka-lambda/core';
import type { OutgoingMessage } from '@kafka-lambda/core/producer';
import type { SourceMessage } from '../runner/types.js';

/** Added to a redriven record: how many times it was sent back (a record that fails again carries it into its next dead letter). */
export const REDRIVE_COUNT_HEADER = 'kafka-lambda.redrive.count';

/** Which dead letters to send back. Every given filter must match. */
export interface RedriveFilter {
  /** Only dead letters of records that failed at or after this time (epoch ms). */
  readonly since?: number | undefined;
  /** Only dead letters of records that failed before this time (epoch ms). */
  readonly until?: number | undefined;
  /** Only records of this partition of their source topic. */
  readonly sourcePartition?: number | undefined;
  /** Only records that failed with this error class (`kafka-lambda.dlq.error.class`, e.g. `RangeError`). */
  readonly errorClass?: string | undefined;
}

/** Why a dead letter is not sent back. */
export type SkipReason =
  /** It lacks the headers the SDK writes: not a kafka-lambda dead letter. */
  | 'not-a-dead-letter'
  /** Its value or key was cut, or its headers left out, to fit message.max.bytes: it is not the record any more. */
  | 'truncated'
  /** A filter left it out. */
  | 'filtered';

/** What to do with one message of the dead-letter topic. */
export type RedrivePlan =
  | {
      readonly action: 'redrive';
      /** The original record: key, value and its own headers, to its source topic (and partition) or `to`. */
      readonly message: OutgoingMessage;
      readonly source: { readonly topic: string; readonly partition: number; readonly offset: number };
      readonly errorClass: string | undefined;
    }
  | { readonly action: 'skip'; readonly reason: SkipReason; readonly detail: string };

const DLQ_PREFIX = 'kafka-lambda.dlq.';
const TRUNCATION = [
  DEAD_LETTER_HEADERS.valueTruncated,
  DEAD_LETTER_HEADERS.keyTruncated,
  DEAD_LETTER_HEADERS.headersOmitted,
] as const;

/**
 * Reads a dead letter the SDK wrote (its original key, value and headers, plus the `kafka-lambda.dlq.*`
 * headers) back into the record it carries: the dead-letter headers are removed, the redrive count
 * added. To its source topic and partition, or to `to` (partitioned by key there). A dead letter
 * whose value or key was truncated, or whose headers were left out, to fit the limit is never sent
 * back as if it were whole.
 *
 * @example
 * ```ts
 * const plan = redrivePlan(message, { to: undefined, filter: { errorClass: 'RangeError' } });
 * if (plan.action === 'redrive') producer.send(plan.message);
 * ```
 */
export function redrivePlan(
  letter: SourceMessage,
  { to, filter = {} }: { to?: string | undefined; filter?: RedriveFilter },
): RedrivePlan {
  const dlq = new Map<string, string>();
  const own: Array<[string, Buffer]> = [];
  let count = 0;
  for (const [name, value] of letter.headers) {
    if (name.startsWith(DLQ_PREFIX)) dlq.set(name, value.toString('utf8'));
    else if (name === REDRIVE_COUNT_HEADER) count = Number(value.toString('utf8')) || 0;
    else own.push([name, value]);
  }
  const where = `${letter.topic}-${letter.partition}@${letter.offset}`;
  const topic = dlq.get(DEAD_LETTER_HEADERS.sourceTopic);
  const partition = Number(dlq.get(DEAD_LETTER_HEADERS.sourcePartition));
  const offset = Number(dlq.get(DEAD_LETTER_HEADERS.sourceOffset));
  if (!topic || !Number.isInteger(partition) || !Number.isInteger(offset)) {
    return {
      action: 'skip',
      reason: 'not-a-dead-letter',
      detail: `${where} has no kafka-lambda.dlq.source.* headers`,
    };
  }
  const cut = TRUNCATION.find((name) => dlq.has(name));
  if (cut) {
    return {
      action: 'skip',
      reason: 'truncated',
      detail: `${where} (${topic}-${partition}@${offset}) was fitted to message.max.bytes (${cut}=${dlq.get(cut)}): not the whole record`,
    };
  }
  const errorClass = dlq.get(DEAD_LETTER_HEADERS.errorClass);
  const failedAt = Date.parse(dlq.get(DEAD_LETTER_HEADERS.failedAt) ?? '') || letter.timestamp;
  const misses =
    (filter.since !== undefined && failedAt < filter.since) ||
    (filter.until !== undefined && failedAt >= filter.until) ||
    (filter.sourcePartition !== undefined && partition !== filter.sourcePartition) ||
    (filter.errorClass !== undefined && errorClass !== filter.errorClass);
  if (misses) return { action: 'skip', reason: 'filtered', detail: where };
  own.push([REDRIVE_COUNT_HEADER, Buffer.from(String(count + 1), 'utf8')]);
  const message: OutgoingMessage = {
    topic: to ?? topic,
    // Back where it was (its partition's order); another topic partitions it by key.
    partition: to === undefined ? partition : undefined,
    key: letter.key,
    value: letter.value,
    headers: own,
    timestamp: undefined,
  };
  return { action: 'redrive', message, source: { topic, partition, offset }, errorClass };
}
