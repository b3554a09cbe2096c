import type { Buffered, PartitionState } from './partition-state.js';
import type { BatchTrigger } from './types.js';

/** Fixed overhead of the event envelope, generously rounded. */
export const EVENT_OVERHEAD_BYTES = 512;

/** The limits a batch is cut by, as the ESM's `BatchSize`, payload cap and `MaximumBatchingWindowInSeconds`. */
export interface BatchLimits {
  readonly batchSize: number;
  readonly batchWindowMs: number;
  readonly maxPayloadBytes: number;
}

/**
 * Why a batch of the `eligible` partitions' records would be sent now, or undefined with the time at
 * which the window closes. Pure: the loop decides, this only judges.
 */
export function triggerFor(
  eligible: readonly PartitionState[],
  limits: BatchLimits,
  now: number,
): { trigger: BatchTrigger } | { trigger: undefined; windowClosesAt: number } {
  let count = 0;
  let bytes = EVENT_OVERHEAD_BYTES;
  let oldest = Number.POSITIVE_INFINITY;
  let retry = false;
  for (const state of eligible) {
    count += state.queue.length;
    for (const item of state.queue) bytes += item.bytes;
    oldest = Math.min(oldest, state.queue[0]!.arrivedAt);
    retry ||= state.attempts > 0;
  }
  if (retry) return { trigger: 'retry' };
  if (count >= limits.batchSize) return { trigger: 'size' };
  if (bytes >= limits.maxPayloadBytes) return { trigger: 'payload' };
  if (now - oldest >= limits.batchWindowMs) return { trigger: 'window' };
  return { trigger: undefined, windowClosesAt: oldest + limits.batchWindowMs };
}

/** One cut batch: the records taken per partition (a prefix of each queue), its size, whether the payload cap cut it. */
export interface CutBatch {
  readonly taken: Map<PartitionState, Buffered[]>;
  readonly bytes: number;
  readonly capped: boolean;
  /** A record alone above the cap, sent by itself (as the ESM does). */
  readonly oversized: Buffered | undefined;
}

/**
 * Fills a batch as the ESM does: oldest records first, partition by partition, up to `batchSize`
 * records and `maxPayloadBytes`. Takes nothing out of the queues: the caller does.
 */
export function cutBatch(eligible: readonly PartitionState[], limits: BatchLimits): CutBatch {
  const ordered = [...eligible].sort((a, b) => a.queue[0]!.arrivedAt - b.queue[0]!.arrivedAt);
  const taken = new Map<PartitionState, Buffered[]>();
  let count = 0;
  let bytes = EVENT_OVERHEAD_BYTES;
  let capped = false;
  let oversized: Buffered | undefined;
  fill: for (const state of ordered) {
    const groupBytes = state.key.length + 8;
    for (const item of state.queue) {
      if (count >= limits.batchSize) break fill;
      const over = bytes + groupBytes + item.bytes > limits.maxPayloadBytes;
      if (count > 0 && over) {
        capped = true;
        break fill;
      }
      if (count === 0 && over) oversized = item;
      let list = taken.get(state);
      if (!list) {
        list = [];
        taken.set(state, list);
        bytes += groupBytes;
      }
      list.push(item);
      bytes += item.bytes;
      count++;
    }
  }
  return { taken, bytes, capped, oversized };
}
