import type { NativeConsumer, NativeTopicPartition } from './kafka-source.js';

/** librdkafka's offset for "no committed offset". */
const OFFSET_INVALID = -1001;
/** librdkafka's logical end offset: offsetsForTimes answers it when no record is that recent. */
const OFFSET_END = -1;
const LOOKUP_TIMEOUT_MS = 10_000;

/**
 * `StartingPosition: AT_TIMESTAMP` for a group's assignment: a partition with a committed offset
 * resumes there (the starting position only applies to a group that has none, as for TRIM_HORIZON and
 * LATEST); the others start at the first record whose timestamp is at or after `timestampMs`
 * (`offsetsForTimes`), or at the end when there is none. Resolves with the partitions and offsets to
 * assign; the caller assigns them.
 *
 * @example
 * ```ts
 * const partitions = await offsetsAtTimestamp(consumer, [{ topic: 'trades', partition: 0 }], Date.parse('2026-01-01'));
 * consumer.assign(partitions); // [{ topic: 'trades', partition: 0, offset: 42 }]
 * ```
 */
export async function offsetsAtTimestamp(
  consumer: Pick<NativeConsumer, 'committed' | 'offsetsForTimes'>,
  assignment: readonly NativeTopicPartition[],
  timestampMs: number,
): Promise<Array<NativeTopicPartition & { offset?: number }>> {
  const toppars = assignment.map(({ topic, partition }) => ({ topic, partition }));
  const committed = await new Promise<Array<NativeTopicPartition & { offset?: number }>>((resolve, reject) =>
    consumer.committed(toppars, LOOKUP_TIMEOUT_MS, (error, result) =>
      error ? reject(new Error(`committed offsets not read: ${error.message}`)) : resolve(result),
    ),
  );
  const isNew = (tp: NativeTopicPartition) => {
    const offset = committed.find((c) => c.topic === tp.topic && c.partition === tp.partition)?.offset;
    return offset === undefined || offset === OFFSET_INVALID || offset < 0;
  };
  const fresh = toppars.filter(isNew);
  const found =
    fresh.length === 0
      ? []
      : await new Promise<Array<NativeTopicPartition & { offset: number }>>((resolve, reject) =>
          consumer.offsetsForTimes(
            fresh.map((tp) => ({ ...tp, offset: timestampMs })),
            LOOKUP_TIMEOUT_MS,
            (error, result) =>
              error
                ? reject(
                    new Error(
                      `offsets for ${new Date(timestampMs).toISOString()} not read: ${error.message}`,
                    ),
                  )
                : resolve(result),
          ),
        );
  return toppars.map((tp) => {
    if (!isNew(tp)) return tp;
    const offset = found.find((f) => f.topic === tp.topic && f.partition === tp.partition)?.offset;
    return { ...tp, offset: offset === undefined || offset < 0 ? OFFSET_END : offset };
  });
}
