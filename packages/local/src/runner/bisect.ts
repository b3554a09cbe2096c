import type { Buffered, PartitionState } from './partition-state.js';

/**
 * Splits a failed batch in two, as `BisectBatchOnFunctionError` does: its records in batch order
 * (partition by partition, each in offset order), the first half the larger when the count is odd.
 * Returns how many records each half takes from the head of each partition's queue. Pure.
 *
 * @example
 * ```ts
 * const [first, second] = bisect(taken); // taken: 5 records of p0 → first { p0: 3 }, second { p0: 2 }
 * ```
 */
export function bisect(
  taken: ReadonlyMap<PartitionState, readonly Buffered[]>,
): [Map<PartitionState, number>, Map<PartitionState, number>] {
  let total = 0;
  for (const items of taken.values()) total += items.length;
  let left = Math.ceil(total / 2);
  const first = new Map<PartitionState, number>();
  const second = new Map<PartitionState, number>();
  for (const [state, items] of taken) {
    const inFirst = Math.min(left, items.length);
    left -= inFirst;
    if (inFirst > 0) first.set(state, inFirst);
    if (items.length > inFirst) second.set(state, items.length - inFirst);
  }
  return [first, second];
}
