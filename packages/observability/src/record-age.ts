import type { PartitionBatch } from '@kafka-lambda/core/events';

/** How old the records of a batch were when it started: the consumer's lag, in time. */
export interface RecordAge {
  /** Records with a usable timestamp (a positive epoch ms). */
  readonly count: number;
  /** Milliseconds; 0 when no record had a timestamp. */
  readonly maxMs: number;
  readonly meanMs: number;
}

/**
 * `now - record.timestamp` over every record of the batch, max and mean. A record stamped in the
 * future (clock skew between producer and Lambda) counts as age 0, not as a negative lag.
 *
 * @example
 * ```ts
 * const { maxMs, meanMs } = recordAge(partitions, Date.now());
 * ```
 */
export function recordAge(partitions: readonly PartitionBatch[], now: number): RecordAge {
  let count = 0;
  let max = 0;
  let sum = 0;
  for (const { records } of partitions) {
    for (const { timestamp } of records) {
      if (!(timestamp > 0)) continue;
      const age = now > timestamp ? now - timestamp : 0;
      count++;
      sum += age;
      if (age > max) max = age;
    }
  }
  return { count, maxMs: max, meanMs: count === 0 ? 0 : sum / count };
}

/** The distinct topics of a batch, sorted. */
export function topicsOf(partitions: readonly PartitionBatch[]): string[] {
  const topics = new Set<string>();
  for (const partition of partitions) topics.add(partition.topic);
  return [...topics].sort();
}
