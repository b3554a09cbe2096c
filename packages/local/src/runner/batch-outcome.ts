import type { Buffered, PartitionState } from './partition-state.js';
import type { RetriesExhaustedAction } from './types.js';

/** What becomes of one partition's records after an invocation. */
export interface PartitionOutcome {
  readonly state: PartitionState;
  /** Records before the resume point: done. */
  readonly succeeded: readonly Buffered[];
  /** Records from the resume point on: retried, skipped, or left uncommitted. */
  readonly failed: readonly Buffered[];
  /** Consecutive failed attempts at the head after this one (0 once it moved past its failures). */
  readonly attempts: number;
  /** Failed attempts made at the head, this one included (for the log when retries ran out). */
  readonly attemptsMade: number;
  /**
   * - `done`: nothing failed;
   * - `retry`: the failed records go back to the head of the queue, after a backoff;
   * - `skip`: retries are exhausted and `onRetriesExhausted: 'skip'`: committed past them;
   * - `exhausted`: retries are exhausted and `onRetriesExhausted: 'stop'`: the runner stops;
   * - `destination`: retries are exhausted and there is an on-failure destination: the failed records
   *   are written there, then committed past.
   */
  readonly action: 'done' | 'retry' | 'skip' | 'exhausted' | 'destination';
  /** Next offset to commit, or undefined when nothing moved. */
  readonly commitAt: number | undefined;
}

/**
 * Turns an invocation's result into each partition's outcome, as the ESM would: a partition absent
 * from `resumeAt` fully succeeded; one present resumes at that offset; progress resets the retry
 * count (the retry concerns a new head record). Pure: reads the states, changes nothing.
 */
export function batchOutcome(
  taken: ReadonlyMap<PartitionState, readonly Buffered[]>,
  resumeAt: ReadonlyMap<PartitionState, number>,
  limits: {
    readonly maxRetries: number;
    readonly onRetriesExhausted: RetriesExhaustedAction | 'destination';
  },
): PartitionOutcome[] {
  const outcomes: PartitionOutcome[] = [];
  for (const [state, items] of taken) {
    const resume = resumeAt.get(state);
    const succeeded = resume === undefined ? items : items.filter((item) => item.ref.offset < resume);
    const failed = resume === undefined ? [] : items.filter((item) => item.ref.offset >= resume);
    const attempts = failed.length === 0 ? 0 : succeeded.length > 0 ? 1 : state.attempts + 1;
    const last = (list: readonly Buffered[]) => list[list.length - 1]!.ref.offset + 1;
    let action: PartitionOutcome['action'] = 'done';
    let commitAt = succeeded.length > 0 ? last(succeeded) : undefined;
    if (failed.length > 0 && attempts > limits.maxRetries) {
      action = limits.onRetriesExhausted === 'stop' ? 'exhausted' : limits.onRetriesExhausted;
      if (action !== 'exhausted') commitAt = last(failed);
    } else if (failed.length > 0) {
      action = 'retry';
    }
    outcomes.push({
      state,
      succeeded,
      failed,
      attempts: action === 'skip' || action === 'destination' ? 0 : attempts,
      attemptsMade: attempts,
      action,
      commitAt,
    });
  }
  return outcomes;
}
