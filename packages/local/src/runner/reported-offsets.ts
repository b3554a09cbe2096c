import { InvalidBatchResponseError } from './errors.js';
import type { Buffered, PartitionState } from './partition-state.js';

/**
 * The offset each partition resumes at, from a `{ batchItemFailures }` response; a partition absent
 * from the map fully succeeded. A failure naming a record that is not in the batch makes the whole
 * batch count as failed ({@link InvalidBatchResponseError}), as on AWS.
 */
export function reportedOffsets(
  result: unknown,
  taken: ReadonlyMap<PartitionState, readonly Buffered[]>,
): Map<PartitionState, number> {
  const out = new Map<PartitionState, number>();
  if (result === undefined || result === null) return out;
  if (typeof result !== 'object' || !('batchItemFailures' in result)) return out;
  const failures = (result as { batchItemFailures: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return out;
  if (!Array.isArray(failures)) throw new InvalidBatchResponseError('batchItemFailures is not an array');
  const byKey = new Map([...taken].map(([state, items]) => [state.key, { state, items }]));
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: { partition?: unknown; offset?: unknown } } | null)
      ?.itemIdentifier;
    const group = typeof id?.partition === 'string' ? byKey.get(id.partition) : undefined;
    const offset = id?.offset;
    if (!group || typeof offset !== 'number' || !group.items.some((item) => item.ref.offset === offset)) {
      throw new InvalidBatchResponseError(
        `batchItemFailures names ${JSON.stringify(failure)}, which is not a record of this batch: the whole batch counts as failed`,
      );
    }
    const current = out.get(group.state);
    if (current === undefined || offset < current) out.set(group.state, offset);
  }
  return out;
}
