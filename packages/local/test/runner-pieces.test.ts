// The runner's pure pieces, without a loop, a source or timers.
import { describe, expect, it } from 'vitest';
import { cutBatch, EVENT_OVERHEAD_BYTES, triggerFor } from '../src/runner/batch-cutter.js';
import { batchOutcome } from '../src/runner/batch-outcome.js';
import { type Buffered, type PartitionState, partitionState } from '../src/runner/partition-state.js';

function state(partition: number, offsets: number[], { bytes = 100, arrivedAt = 1_000, attempts = 0 } = {}) {
  const s = partitionState('t', partition);
  s.queue = offsets.map((offset) => item(partition, offset, bytes, arrivedAt));
  s.attempts = attempts;
  return s;
}

function item(partition: number, offset: number, bytes = 100, arrivedAt = 1_000): Buffered {
  return {
    ref: { topic: 't', partition, offset },
    record: { topic: 't', partition, offset, timestamp: 0, timestampType: 'CREATE_TIME', value: null },
    bytes,
    arrivedAt,
  };
}

const limits = { batchSize: 10, batchWindowMs: 500, maxPayloadBytes: 10_000 };

describe('triggerFor', () => {
  it('retry beats size beats payload beats window; before the window closes it says when', () => {
    expect(triggerFor([state(0, [0], { attempts: 1 })], limits, 1_000)).toEqual({ trigger: 'retry' });
    expect(triggerFor([state(0, [0, 1, 2, 3, 4]), state(1, [0, 1, 2, 3, 4])], limits, 1_000)).toEqual({
      trigger: 'size',
    });
    expect(triggerFor([state(0, [0], { bytes: 9_600 })], limits, 1_000)).toEqual({ trigger: 'payload' });
    expect(triggerFor([state(0, [0])], limits, 1_500)).toEqual({ trigger: 'window' });
    expect(triggerFor([state(0, [0])], limits, 1_200)).toEqual({ trigger: undefined, windowClosesAt: 1_500 });
  });
});

describe('cutBatch', () => {
  it('takes the oldest partition first, up to batchSize, and leaves the queues alone', () => {
    const young = state(0, [0, 1, 2, 3, 4, 5, 6, 7], { arrivedAt: 2_000 });
    const old = state(1, [0, 1, 2, 3, 4], { arrivedAt: 1_000 });
    const { taken, capped, bytes } = cutBatch([young, old], limits);
    expect([...taken].map(([s, items]) => [s.partition, items.map((i) => i.ref.offset)])).toEqual([
      [1, [0, 1, 2, 3, 4]],
      [0, [0, 1, 2, 3, 4]],
    ]);
    expect(capped).toBe(false);
    expect(bytes).toBe(EVENT_OVERHEAD_BYTES + 2 * ('t-0'.length + 8) + 10 * 100);
    expect(young.queue).toHaveLength(8);
  });

  it('stops before the payload cap; a single record above it goes alone and is named', () => {
    const cut = cutBatch([state(0, [0, 1, 2], { bytes: 4_000 })], limits);
    expect([...cut.taken.values()][0]!.map((i) => i.ref.offset)).toEqual([0, 1]);
    expect(cut.capped).toBe(true);
    const alone = cutBatch([state(0, [0, 1], { bytes: 20_000 })], limits);
    expect([...alone.taken.values()][0]!.map((i) => i.ref.offset)).toEqual([0]);
    expect(alone.oversized?.ref.offset).toBe(0);
  });
});

describe('batchOutcome', () => {
  const run = (s: PartitionState, offsets: number[], resume: number | undefined, opts = {}) =>
    batchOutcome(
      new Map([[s, offsets.map((o) => item(s.partition, o))]]),
      resume === undefined ? new Map() : new Map([[s, resume]]),
      { maxRetries: 2, onRetriesExhausted: 'stop', ...opts },
    )[0]!;

  it('success commits past the batch; a reported offset commits before it and retries from it', () => {
    expect(run(state(0, []), [5, 6, 7], undefined)).toMatchObject({
      action: 'done',
      commitAt: 8,
      attempts: 0,
    });
    const partial = run(state(0, []), [5, 6, 7], 6);
    expect(partial).toMatchObject({ action: 'retry', commitAt: 6, attempts: 1 });
    expect(partial.failed.map((i) => i.ref.offset)).toEqual([6, 7]);
  });

  it('no progress counts attempts up to maxRetries, then stops or skips past the failed records', () => {
    expect(run(state(0, [], { attempts: 1 }), [5, 6], 5)).toMatchObject({
      action: 'retry',
      attempts: 2,
      commitAt: undefined,
    });
    expect(run(state(0, [], { attempts: 2 }), [5, 6], 5)).toMatchObject({
      action: 'exhausted',
      attempts: 3,
      commitAt: undefined,
    });
    expect(run(state(0, [], { attempts: 2 }), [5, 6], 5, { onRetriesExhausted: 'skip' })).toMatchObject({
      action: 'skip',
      attempts: 0,
      attemptsMade: 3,
      commitAt: 7,
    });
  });
});
