// BatchVerdict: how an invocation ends, from the errors gathered while it ran and the records'
// outcomes. Its last line of defence (issue 23): success is never returned while a record has no
// final outcome, nor with a record handed back that the policy does not report. Written against the
// mutation run's survivors in batch-verdict.ts.
import { describe, expect, it } from 'vitest';
import type { PartitionBatch } from '../src/event/event.js';
import { BatchVerdict } from '../src/outcomes/batch-verdict.js';
import { RecordOutcomes } from '../src/outcomes/outcomes.js';
import { POLICIES } from '../src/policies/index.js';
import { DeadlineExceededError, DeliveryError, OutcomeInvariantError } from '../src/shared/errors.js';
import { eventRecord } from './fixtures.js';

function outcomesOf(...sizes: number[]): RecordOutcomes {
  const partitions: PartitionBatch[] = sizes.map((size, partition) => ({
    topic: 't',
    partition,
    records: Array.from({ length: size }, (_, i) => eventRecord('t', partition, 100 + i, 'v')),
  }));
  return new RecordOutcomes(partitions);
}

function allDone(outcomes: RecordOutcomes): RecordOutcomes {
  for (let slot = 0; slot < outcomes.size; slot++) {
    outcomes.start(slot);
    outcomes.succeed(slot, 0);
  }
  return outcomes;
}

const delivery = (offset: number) =>
  new DeliveryError([
    { topic: 'out', source: { topic: 't', partition: 0, offset }, error: new Error('timed out') },
  ]);

describe('success only when the outcomes allow it', () => {
  it('every record done: success, nothing reported', () => {
    for (const policy of Object.values(POLICIES)) {
      expect(new BatchVerdict().conclude(policy, allDone(outcomesOf(2, 1)))).toEqual({
        result: policy.result([]),
      });
    }
    expect(new BatchVerdict().conclude(POLICIES.report, allDone(outcomesOf(1)))).toEqual({
      result: { batchItemFailures: [] },
    });
  });

  it('a record with no final outcome fails the invocation with an OutcomeInvariantError naming it', () => {
    const outcomes = outcomesOf(1, 2);
    outcomes.start(0);
    outcomes.succeed(0, 0);
    outcomes.start(1);
    outcomes.succeed(1, 0);
    outcomes.start(2);
    outcomes.succeed(2, 1); // its output never acknowledged
    const { error, result } = new BatchVerdict().conclude(POLICIES.report, outcomes);
    expect(result).toBeUndefined();
    expect(error).toEqual(new OutcomeInvariantError('record t-1@101 has no final outcome'));
  });

  it('a handed-back record under a policy that does not report fails the invocation, naming it', () => {
    const outcomes = outcomesOf(2);
    outcomes.start(0);
    outcomes.succeed(0, 0);
    outcomes.handBack(1);
    for (const name of ['log', 'dead-letter', 'retry-batch'] as const) {
      const { error } = new BatchVerdict().conclude(POLICIES[name], outcomes);
      expect(error).toEqual(new OutcomeInvariantError('record t-0@101 was handed back but not reported'));
    }
    expect(new BatchVerdict().conclude(POLICIES.report, outcomes)).toEqual({
      result: { batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 101 } }] },
    });
  });
});

describe('the errors that fail it, in the order they outrank each other', () => {
  it('fatal, then incomplete, then delivery failures, then the first record error', () => {
    const outcomes = allDone(outcomesOf(1));
    const fatal = new Error('config');
    const incomplete = new Error('flush timed out');
    const record = new Error('retry-batch');
    const verdict = new BatchVerdict();
    verdict.failWith(record);
    verdict.failWith(new Error('a later record error'));
    expect(verdict.conclude(POLICIES.log, outcomes).error).toBe(record);
    verdict.failWith(delivery(100));
    verdict.failWith(delivery(101));
    const combined = verdict.conclude(POLICIES.log, outcomes).error as DeliveryError;
    expect(combined).toBeInstanceOf(DeliveryError);
    expect(combined.failures.map((f) => f.source?.offset)).toEqual([100, 101]);
    verdict.incomplete(incomplete);
    verdict.incomplete(new Error('a later one'));
    expect(verdict.conclude(POLICIES.log, outcomes).error).toBe(incomplete);
    verdict.fatal(fatal);
    verdict.fatal(new Error('a later one'));
    expect(verdict.conclude(POLICIES.log, outcomes).error).toBe(fatal);
  });

  it('stops the partitions on a fatal error, a record error or a delivery failure, not on an incomplete wait alone', () => {
    const stoppedBy = (act: (verdict: BatchVerdict) => void) => {
      const verdict = new BatchVerdict();
      act(verdict);
      return verdict.stopped;
    };
    expect(stoppedBy(() => {})).toBe(false);
    expect(stoppedBy((v) => v.fatal(new Error('config')))).toBe(true);
    expect(stoppedBy((v) => v.failWith(new Error('retry-batch')))).toBe(true);
    expect(stoppedBy((v) => v.failWith(delivery(100)))).toBe(true);
    expect(stoppedBy((v) => v.incomplete(new Error('timed out')))).toBe(false);
  });

  it('the deadline error counts the records left undone when the batch ended, not when it first stopped', () => {
    const outcomes = outcomesOf(4);
    outcomes.start(0);
    outcomes.succeed(0, 0);
    outcomes.handBackFrom(0, 1);
    const verdict = new BatchVerdict();
    verdict.failWith(new DeadlineExceededError(1));
    const { error } = verdict.conclude(POLICIES.log, outcomes);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as DeadlineExceededError).unprocessed).toBe(3);
  });
});
