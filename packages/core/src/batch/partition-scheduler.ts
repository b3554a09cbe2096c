import type { Deadline } from '../deadline/deadline.js';
import type { PartitionBatch } from '../event/event.js';
import type { BatchGate } from '../middleware/batch-gate.js';
import { Lanes } from '../ordering/lanes.js';
import type { ResolvedOrdering } from '../ordering/ordering.js';
import { DeadlineExceededError } from '../shared/errors.js';
import { type PartitionHost, PartitionRunner } from './partition-runner.js';

/**
 * The runners of a batch, in the order they start: one per partition under `'partition'`; under
 * `'key'` and `'none'` as many per partition as it has lanes, up to `concurrency`, sharing the
 * partition's {@link Lanes}. The partitions' runners alternate, so that no partition waits for
 * another's keys.
 */
export function runnersOf(
  partitions: readonly PartitionBatch[],
  ordering: ResolvedOrdering,
  concurrency: number,
  host: PartitionHost,
  gate: BatchGate | undefined,
): PartitionRunner[] {
  if (ordering.mode === 'partition') return partitions.map((p, i) => new PartitionRunner(p, i, host, gate));
  const lanes = partitions.map((p) => Lanes.of(p, ordering));
  const runners: PartitionRunner[] = [];
  for (let round = 0, left = true; round < concurrency && left; round++) {
    left = false;
    for (let p = 0; p < partitions.length; p++) {
      if (round >= lanes[p]!.count) continue;
      left = true;
      runners.push(new PartitionRunner(partitions[p]!, p, host, gate, lanes[p]));
    }
  }
  return runners;
}

/**
 * Runs the runners (partitions, or lanes), at most `concurrency` at a time: as each runs one record
 * at a time, `concurrency` bounds the records in flight, under the deadline: at the stop time it calls
 * `stop` (records stop starting, signals abort); half the reserve later, partitions still running (a
 * `process` that ignores its signal) are abandoned, so the invocation ends with the SDK's error
 * instead of running into Lambda's timeout. One timer per batch.
 */
export async function runPartitions(
  runners: readonly PartitionRunner[],
  concurrency: number,
  deadline: Deadline,
  stop: (reason: Error) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < runners.length) await runners[next++]!.run();
  };
  // A plain loop: Array.from({ length }, worker) took the generic array-like path, ≈0.7 µs per
  // invocation (measured in the batch-of-1 profile, where per-invocation costs are what counts).
  const workers: Array<Promise<void>> = [];
  for (let i = Math.min(concurrency, runners.length); i > 0; i--) workers.push(worker());
  const all = Promise.all(workers).then(() => undefined);
  if (!deadline.bounded) return all;
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<'overrun'>((resolve) => {
    const untilStop = deadline.msUntilStop();
    const untilGiveUp = (untilStop + deadline.msUntilEnd()) / 2;
    timer = setTimeout(() => {
      stop(new DeadlineExceededError(0));
      timer = setTimeout(() => resolve('overrun'), Math.max(0, untilGiveUp - untilStop));
    }, untilStop);
  });
  try {
    if ((await Promise.race([all, giveUp])) === 'overrun') {
      for (const runner of runners) runner.abandon();
    }
  } finally {
    clearTimeout(timer);
  }
}
