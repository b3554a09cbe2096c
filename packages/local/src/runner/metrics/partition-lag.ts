import type { NativeConsumer, NativeTopicPartition } from '../kafka-source.js';

/** How far a group is behind on one partition: its last offset minus the group's committed one. */
export interface PartitionLag extends NativeTopicPartition {
  readonly lag: number;
}

const LOOKUP_TIMEOUT_MS = 5_000;

/**
 * The offset lag of the consumer's assigned partitions, as Lambda's `OffsetLag` measures it: the
 * partition's high watermark minus the group's committed offset (the low watermark when the group
 * has committed none).
 *
 * @example
 * ```ts
 * const lag = await partitionLag(consumer); // [{ topic: 'trades', partition: 0, lag: 12 }]
 * ```
 */
export async function partitionLag(
  consumer: Pick<NativeConsumer, 'assignments' | 'committed' | 'queryWatermarkOffsets'>,
): Promise<PartitionLag[]> {
  const assigned = consumer.assignments().map(({ topic, partition }) => ({ topic, partition }));
  if (assigned.length === 0) return [];
  const committed = await new Promise<Array<NativeTopicPartition & { offset?: number }>>((resolve, reject) =>
    consumer.committed(assigned, LOOKUP_TIMEOUT_MS, (error, offsets) =>
      error ? reject(new Error(`committed offsets not read: ${error.message}`)) : resolve(offsets),
    ),
  );
  return Promise.all(
    assigned.map(
      (tp) =>
        new Promise<PartitionLag>((resolve, reject) =>
          consumer.queryWatermarkOffsets(tp.topic, tp.partition, LOOKUP_TIMEOUT_MS, (error, offsets) => {
            if (error)
              return reject(
                new Error(`watermarks of ${tp.topic}-${tp.partition} not read: ${error.message}`),
              );
            const at = committed.find((c) => c.topic === tp.topic && c.partition === tp.partition)?.offset;
            const from = at !== undefined && at >= 0 ? at : offsets.lowOffset;
            resolve({ ...tp, lag: Math.max(0, offsets.highOffset - from) });
          }),
        ),
    ),
  );
}
