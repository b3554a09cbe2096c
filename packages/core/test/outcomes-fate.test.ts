// RecordOutcomes, the one owner of each record's fate (issue 23), on its own: the moves it allows and
// refuses, and what is derived from the states (the summary's counts, where each partition resumes,
// how an idempotency key ends, whether every record failed alike). Written against the mutation run's
// survivors: each test pins a rule the handler relies on.
import { describe, expect, it } from 'vitest';
import type { PartitionBatch } from '../src/event/event.js';
import { type FailureNote, Fate, RecordOutcomes } from '../src/outcomes/outcomes.js';
import { OutcomeInvariantError, RecordValidationError } from '../src/shared/errors.js';
import { eventRecord } from './fixtures.js';

/** Partitions of `sizes[i]` records each, topic `t`, offsets from 100. */
function batchOf(...sizes: number[]): PartitionBatch[] {
  return sizes.map((size, partition) => ({
    topic: 't',
    partition,
    records: Array.from({ length: size }, (_, i) => eventRecord('t', partition, 100 + i, 'v')),
  }));
}

const boom = (message = 'boom', stage: FailureNote['stage'] = 'process'): FailureNote => ({
  error: new Error(message),
  stage,
});

/** Runs `slot` and fails it, its policy having only logged it. */
function failLogged(outcomes: RecordOutcomes, slot: number, note: FailureNote = boom()): void {
  outcomes.start(slot);
  outcomes.fail(slot, note);
  outcomes.failedAndLogged(slot);
}

describe('the moves a record may make', () => {
  it('numbers records by partition: the second partition starts after the first', () => {
    const outcomes = new RecordOutcomes(batchOf(2, 3, 1));
    expect(outcomes.size).toBe(6);
    expect([0, 1, 2].map((p) => outcomes.baseOf(p))).toEqual([0, 2, 5]);
    expect([0, 1, 2, 4, 5].map((slot) => outcomes.locationOf(slot))).toEqual([
      { topic: 't', partition: 0, offset: 100 },
      { topic: 't', partition: 0, offset: 101 },
      { topic: 't', partition: 1, offset: 100 },
      { topic: 't', partition: 1, offset: 102 },
      { topic: 't', partition: 2, offset: 100 },
    ]);
  });

  it('pending → running → done, or sending → delivered once every output is acknowledged', () => {
    const outcomes = new RecordOutcomes(batchOf(2));
    outcomes.start(0);
    expect(outcomes.fateOf(0)).toBe(Fate.running);
    outcomes.succeed(0, 0);
    expect(outcomes.fateOf(0)).toBe(Fate.done);
    outcomes.start(1);
    outcomes.succeed(1, 2);
    expect(outcomes.fateOf(1)).toBe(Fate.sending);
    expect(outcomes.acknowledged(1)).toBe(false);
    expect(outcomes.fateOf(1)).toBe(Fate.sending);
    expect(outcomes.acknowledged(1)).toBe(true);
    expect(outcomes.fateOf(1)).toBe(Fate.delivered);
    // A report after the record is final changes nothing and makes nothing delivered twice.
    expect(outcomes.acknowledged(1)).toBe(false);
    expect(outcomes.fateOf(1)).toBe(Fate.delivered);
  });

  it('each illegal move is an OutcomeInvariantError naming the record, the move and where it stood', () => {
    const outcomes = new RecordOutcomes(batchOf(1, 2));
    expect(() => outcomes.succeed(1, 0)).toThrow(
      new OutcomeInvariantError('record t-1@100 cannot go to done from pending'),
    );
    expect(() => outcomes.succeed(1, 3)).toThrow(/record t-1@100 cannot go to sending from pending/);
    outcomes.start(1);
    expect(() => outcomes.start(1)).toThrow(/record t-1@100 cannot go to running from running/);
    expect(() => outcomes.alreadyProcessed(1)).toThrow(/cannot go to alreadyProcessed from running/);
    expect(() => outcomes.deadLettered(1)).toThrow(/cannot go to deadLettered from running/);
    expect(() => outcomes.fail(2, boom())).toThrow(/record t-1@101 cannot go to fail from pending/);
    expect(() => outcomes.deadLettering(2)).toThrow(/cannot go to deadLettering from pending/);
    expect(() => outcomes.abandon(2)).toThrow(/cannot go to abandoned from pending/);
    outcomes.succeed(1, 0);
    expect(() => outcomes.skip(1)).toThrow(/cannot go to skipped from done/);
    expect(() => outcomes.handBack(1)).toThrow(/record t-1@100 cannot go to hand back from done/);
    expect(() => outcomes.fail(1, boom())).toThrow(/cannot go to fail from done/);
    outcomes.start(0);
    outcomes.abandon(0);
    expect(outcomes.fateOf(0)).toBe(Fate.abandoned);
    expect(() => outcomes.start(0)).toThrow(/record t-0@100 cannot go to running from abandoned/);
  });

  it('skips a tombstone before or while it runs; an already-processed record never ran', () => {
    const outcomes = new RecordOutcomes(batchOf(3));
    outcomes.skip(0);
    outcomes.start(1);
    outcomes.skip(1);
    outcomes.alreadyProcessed(2);
    expect([0, 1, 2].map((slot) => outcomes.fateOf(slot))).toEqual([
      Fate.skipped,
      Fate.skipped,
      Fate.alreadyProcessed,
    ]);
    expect(outcomes.allDone).toBe(true);
  });

  it('a failed record is dead-lettered only through deadLettering, from running or sending', () => {
    const outcomes = new RecordOutcomes(batchOf(2));
    outcomes.start(0);
    outcomes.fail(0, boom());
    outcomes.deadLettering(0);
    expect(outcomes.fateOf(0)).toBe(Fate.deadLettering);
    outcomes.deadLettered(0);
    expect(outcomes.fateOf(0)).toBe(Fate.deadLettered);
    outcomes.start(1);
    outcomes.succeed(1, 1);
    outcomes.fail(1, boom('refused', 'deliver'));
    outcomes.deadLettering(1);
    expect(outcomes.fateOf(1)).toBe(Fate.deadLettering);
  });

  it('failedAndLogged moves only a running or sending record', () => {
    const outcomes = new RecordOutcomes(batchOf(3));
    failLogged(outcomes, 0);
    expect(outcomes.fateOf(0)).toBe(Fate.logged);
    outcomes.start(1);
    outcomes.succeed(1, 1);
    outcomes.fail(1, boom());
    outcomes.failedAndLogged(1);
    expect(outcomes.fateOf(1)).toBe(Fate.logged);
    // Handed back while the policy decided (report): logging it after that leaves it handed back.
    outcomes.start(2);
    outcomes.fail(2, boom());
    outcomes.handBack(2);
    outcomes.failedAndLogged(2);
    expect(outcomes.fateOf(2)).toBe(Fate.handedBack);
  });

  it('hands back a pending, running or sending record; handing back twice, or an abandoned one, is no move', () => {
    const outcomes = new RecordOutcomes(batchOf(4));
    outcomes.handBack(0);
    outcomes.start(1);
    outcomes.handBack(1);
    outcomes.start(2);
    outcomes.succeed(2, 1);
    outcomes.handBack(2);
    outcomes.handBack(2);
    outcomes.start(3);
    outcomes.abandon(3);
    outcomes.handBack(3);
    expect([0, 1, 2, 3].map((slot) => outcomes.fateOf(slot))).toEqual([
      Fate.handedBack,
      Fate.handedBack,
      Fate.handedBack,
      Fate.abandoned,
    ]);
    // A handed-back record's late acknowledgement does not make it delivered.
    expect(outcomes.acknowledged(2)).toBe(false);
    expect(outcomes.fateOf(2)).toBe(Fate.handedBack);
  });

  it('handBackFrom hands back the not-started and running records of that partition from that index only', () => {
    const outcomes = new RecordOutcomes(batchOf(2, 5, 2));
    const base = outcomes.baseOf(1);
    outcomes.start(base);
    outcomes.succeed(base, 0); // done, before the index
    outcomes.start(base + 1);
    outcomes.succeed(base + 1, 0); // done, at the index: stays done
    outcomes.start(base + 2); // running: handed back
    outcomes.skip(base + 3); // final: stays
    outcomes.handBackFrom(1, 1);
    expect([0, 1, 2, 3, 4].map((i) => outcomes.fateOf(base + i))).toEqual([
      Fate.done,
      Fate.done,
      Fate.handedBack,
      Fate.skipped,
      Fate.handedBack,
    ]);
    // The partitions around it are untouched.
    expect([0, 1, 7, 8].map((slot) => outcomes.fateOf(slot))).toEqual([
      Fate.pending,
      Fate.pending,
      Fate.pending,
      Fate.pending,
    ]);
  });
});

describe('outputs refused', () => {
  it('a record with a refused output is not delivered when the rest are acknowledged; the first refusal is kept', () => {
    const outcomes = new RecordOutcomes(batchOf(1));
    outcomes.start(0);
    outcomes.succeed(0, 3);
    const first = new Error('first refusal');
    outcomes.refused(0, first);
    outcomes.refused(0, new Error('second refusal'));
    expect(outcomes.acknowledged(0)).toBe(false);
    expect(outcomes.fateOf(0)).toBe(Fate.sending);
    expect(outcomes.takeRefused()).toEqual([[0, first]]);
    // Taken once: the delivery phase fails the record once.
    expect(outcomes.takeRefused()).toEqual([]);
  });

  it('refusals of a record that is no longer sending change nothing', () => {
    const outcomes = new RecordOutcomes(batchOf(2));
    outcomes.start(0);
    outcomes.succeed(0, 1);
    outcomes.handBack(0);
    outcomes.refused(0, new Error('late refusal'));
    expect(outcomes.takeRefused()).toEqual([]);
    expect(outcomes.fateOf(0)).toBe(Fate.handedBack);
    // A record that sent nothing has no outputs to count: a stray report leaves it done.
    outcomes.start(1);
    outcomes.succeed(1, 0);
    outcomes.refused(1, new Error('stray'));
    expect(outcomes.acknowledged(1)).toBe(false);
    expect(outcomes.fateOf(1)).toBe(Fate.done);
    expect(outcomes.takeRefused()).toEqual([]);
  });
});

describe('what is derived from the states', () => {
  it('counts each record once; failed records by their failure, whatever became of them', () => {
    const outcomes = new RecordOutcomes(batchOf(4, 4));
    outcomes.start(0);
    outcomes.succeed(0, 0); // succeeded (done)
    outcomes.start(1);
    outcomes.succeed(1, 1);
    outcomes.acknowledged(1); // succeeded (delivered)
    outcomes.start(2);
    outcomes.succeed(2, 1); // succeeded (still sending)
    outcomes.skip(3); // skipped
    outcomes.alreadyProcessed(4); // already processed
    failLogged(outcomes, 5); // failed
    outcomes.start(6);
    outcomes.fail(6, boom());
    outcomes.deadLettering(6);
    outcomes.deadLettered(6); // failed and dead-lettered
    outcomes.handBack(7); // unprocessed
    expect(outcomes.counts()).toEqual({
      succeeded: 3,
      failed: 2,
      skipped: 1,
      unprocessed: 1,
      alreadyProcessed: 1,
      deadLettered: 1,
    });
  });

  it('a record that failed and was handed back counts as failed, not unprocessed', () => {
    const outcomes = new RecordOutcomes(batchOf(2));
    outcomes.start(0);
    outcomes.fail(0, boom());
    outcomes.handBack(0);
    expect(outcomes.counts()).toMatchObject({ failed: 1, unprocessed: 1, succeeded: 0 });
  });

  it('resumes each partition at its lowest record that is not done for good', () => {
    const outcomes = new RecordOutcomes(batchOf(3, 3, 2));
    // Partition 0: done, logged, then handed back → resumes at 102.
    outcomes.start(0);
    outcomes.succeed(0, 0);
    failLogged(outcomes, 1);
    outcomes.handBack(2);
    // Partition 1: handed back at its first record, the later ones too → 100, once.
    outcomes.handBackFrom(1, 0);
    // Partition 2: every record done for good → not reported.
    outcomes.skip(6);
    outcomes.alreadyProcessed(7);
    expect(outcomes.resumeOffsets()).toEqual([
      { topic: 't', partition: 0, offset: 102 },
      { topic: 't', partition: 1, offset: 100 },
    ]);
    expect(outcomes.allDone).toBe(false);
  });

  it('a record still sending, dead-lettering or abandoned is not done: its partition resumes there', () => {
    const outcomes = new RecordOutcomes(batchOf(2, 2, 2));
    outcomes.start(0);
    outcomes.succeed(0, 0);
    outcomes.start(1);
    outcomes.succeed(1, 1); // sending
    outcomes.start(2);
    outcomes.fail(2, boom());
    outcomes.deadLettering(2);
    outcomes.start(4);
    outcomes.abandon(4);
    expect(outcomes.resumeOffsets().map((l) => [l.partition, l.offset])).toEqual([
      [0, 101],
      [1, 100],
      [2, 100],
    ]);
  });

  it('allDone only when every record is final and done for good', () => {
    const outcomes = new RecordOutcomes(batchOf(2));
    expect(outcomes.allDone).toBe(false);
    outcomes.start(0);
    outcomes.succeed(0, 0);
    expect(outcomes.allDone).toBe(false);
    failLogged(outcomes, 1);
    expect(outcomes.allDone).toBe(true);
    expect(outcomes.resumeOffsets()).toEqual([]);
  });

  it('firstUnsettled: the first record neither done for good nor handed back nor abandoned', () => {
    const outcomes = new RecordOutcomes(batchOf(5));
    outcomes.start(0);
    outcomes.succeed(0, 0);
    outcomes.handBack(1);
    outcomes.start(2);
    outcomes.abandon(2);
    expect(outcomes.firstUnsettled()).toBe(3);
    outcomes.skip(3);
    expect(outcomes.firstUnsettled()).toBe(4);
    outcomes.start(4);
    outcomes.succeed(4, 1);
    expect(outcomes.firstUnsettled()).toBe(4); // sending: not settled
    outcomes.acknowledged(4);
    expect(outcomes.firstUnsettled()).toBeUndefined();
  });

  it("each final state is the record's fate as a middleware's after() sees it (idempotency completes done, logged; delivered, dead-lettered if kept; leaves abandoned; releases the rest)", () => {
    const outcomes = new RecordOutcomes(batchOf(9));
    outcomes.start(0);
    outcomes.succeed(0, 0); // done
    failLogged(outcomes, 1); // logged
    outcomes.start(2);
    outcomes.succeed(2, 1);
    outcomes.acknowledged(2); // delivered
    outcomes.start(3);
    outcomes.fail(3, boom());
    outcomes.deadLettering(3);
    outcomes.deadLettered(3); // dead-lettered
    outcomes.start(4);
    outcomes.abandon(4); // abandoned
    outcomes.handBack(5); // handed back
    outcomes.start(6);
    outcomes.succeed(6, 1); // sending: not delivered
    outcomes.start(7);
    outcomes.fail(7, boom());
    outcomes.deadLettering(7); // its dead letter not acknowledged
    outcomes.skip(8); // skipped: never claimed, released if it were
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((slot) => outcomes.fateFor(slot))).toEqual([
      'done',
      'logged',
      'delivered',
      'dead-lettered',
      'abandoned',
      'not-done',
      'not-done',
      'not-done',
      'not-done',
    ]);
  });

  it('a batch without failures has none to tell, none to retract, and is never alike', () => {
    const outcomes = new RecordOutcomes(batchOf(2));
    outcomes.start(0);
    outcomes.succeed(0, 0);
    outcomes.handBack(1);
    outcomes.retractFailures();
    expect(outcomes.failureOf(0)).toBeUndefined();
    expect(outcomes.firstFailure()).toBeUndefined();
    expect(outcomes.failedAlike()).toBe(false);
    expect([outcomes.fateOf(0), outcomes.fateOf(1)]).toEqual([Fate.done, Fate.handedBack]);
  });

  it('firstFailure is the first failure noted, in the order they happened', () => {
    const outcomes = new RecordOutcomes(batchOf(3));
    expect(outcomes.firstFailure()).toBeUndefined();
    const second = boom('second');
    const first = boom('first');
    outcomes.start(2);
    outcomes.fail(2, first);
    outcomes.start(0);
    outcomes.fail(0, second);
    expect(outcomes.firstFailure()).toEqual([2, first]);
    expect(outcomes.failureOf(0)).toBe(second);
    expect(outcomes.failureOf(1)).toBeUndefined();
  });

  it('retractFailures hands back the logged and the not-yet-dead-lettered failures only', () => {
    const outcomes = new RecordOutcomes(batchOf(4));
    failLogged(outcomes, 0);
    outcomes.start(1);
    outcomes.fail(1, boom());
    outcomes.deadLettering(1);
    outcomes.start(2);
    outcomes.fail(2, boom());
    outcomes.deadLettering(2);
    outcomes.deadLettered(2); // its dead letter left already: stays
    outcomes.start(3);
    outcomes.succeed(3, 0);
    outcomes.retractFailures();
    expect([0, 1, 2, 3].map((slot) => outcomes.fateOf(slot))).toEqual([
      Fate.handedBack,
      Fate.handedBack,
      Fate.deadLettered,
      Fate.done,
    ]);
  });
});

describe('failedAlike: every record that ran failed the same way', () => {
  function allFailing(size: number, note: (slot: number) => FailureNote): RecordOutcomes {
    const outcomes = new RecordOutcomes(batchOf(size));
    for (let slot = 0; slot < size; slot++) failLogged(outcomes, slot, note(slot));
    return outcomes;
  }

  it('two or more records, same stage, same error class, same root cause', () => {
    const missing = () => new Error('wrap', { cause: new Error("ENOENT: '/var/task/trade.proto'") });
    const outcomes = allFailing(3, () => ({ error: missing(), stage: 'decode' }));
    expect(outcomes.failedAlike()).toBe(true);
  });

  it('one failure is a poison record, not the environment', () => {
    expect(allFailing(1, () => boom()).failedAlike()).toBe(false);
  });

  it('a different message, stage, error class or root cause class makes them unalike', () => {
    expect(allFailing(2, (slot) => boom(`bad ${slot}`)).failedAlike()).toBe(false);
    expect(allFailing(2, (slot) => boom('bad', slot === 0 ? 'decode' : 'process')).failedAlike()).toBe(false);
    expect(
      allFailing(2, (slot) => ({
        error: slot === 0 ? new Error('bad') : new TypeError('bad'),
        stage: 'process',
      })).failedAlike(),
    ).toBe(false);
    expect(
      allFailing(2, (slot) => ({
        error: new Error('wrap', { cause: slot === 0 ? new Error('root') : new RangeError('root') }),
        stage: 'process',
      })).failedAlike(),
    ).toBe(false);
    expect(
      allFailing(2, (slot) => ({
        error: new Error('wrap', { cause: new Error(`root ${slot}`) }),
        stage: 'process',
      })).failedAlike(),
    ).toBe(false);
  });

  it('a root cause that is no Error compares by its type and text', () => {
    const thrown = (value: unknown) => () => ({
      error: new Error('wrap', { cause: value }),
      stage: 'process' as const,
    });
    expect(allFailing(2, thrown('down')).failedAlike()).toBe(true);
    const outcomes = new RecordOutcomes(batchOf(2));
    failLogged(outcomes, 0, thrown('down')());
    failLogged(outcomes, 1, thrown('up')());
    expect(outcomes.failedAlike()).toBe(false);
    const typed = new RecordOutcomes(batchOf(2));
    failLogged(typed, 0, thrown(42)());
    failLogged(typed, 1, thrown('42')());
    expect(typed.failedAlike()).toBe(false);
  });

  it('a cause of null ends the chain: the errors themselves are compared', () => {
    const outcomes = allFailing(2, (slot) => ({
      error: new Error(`bad ${slot}`, { cause: null }),
      stage: 'process',
    }));
    expect(outcomes.failedAlike()).toBe(false);
  });

  it('a cause chain deeper than eight is compared at the eighth link', () => {
    const chain = (root: string) => {
      let error = new Error(root);
      for (let i = 0; i < 12; i++) error = new Error(`link ${11 - i}`, { cause: error });
      return { error, stage: 'process' as const };
    };
    // Alike at the depth compared, different below it: alike.
    expect(allFailing(2, (slot) => chain(`root ${slot}`)).failedAlike()).toBe(true);
  });

  it('a validation failure is about the data, never the environment, wherever it is in the chain', () => {
    const invalid = () =>
      new RecordValidationError({ topic: 't', partition: 0, offset: 100 }, 'value', [], 'zod');
    expect(allFailing(2, () => ({ error: invalid(), stage: 'decode' })).failedAlike()).toBe(false);
    expect(
      allFailing(2, () => ({
        error: new Error('wrap', { cause: invalid() }),
        stage: 'decode',
      })).failedAlike(),
    ).toBe(false);
  });

  it('a record that succeeded means the records are not the problem', () => {
    const outcomes = new RecordOutcomes(batchOf(3));
    failLogged(outcomes, 0);
    failLogged(outcomes, 1);
    outcomes.start(2);
    outcomes.succeed(2, 0);
    expect(outcomes.failedAlike()).toBe(false);
  });

  it('records not started, handed back, skipped or already processed do not count against it', () => {
    const outcomes = new RecordOutcomes(batchOf(6));
    failLogged(outcomes, 0);
    failLogged(outcomes, 1);
    outcomes.handBack(2);
    outcomes.skip(3);
    outcomes.alreadyProcessed(4);
    // slot 5 never started
    expect(outcomes.failedAlike()).toBe(true);
  });

  it('only failures about to be final matter: if every one was handed back, the records come again anyway', () => {
    const outcomes = new RecordOutcomes(batchOf(2));
    for (const slot of [0, 1]) {
      outcomes.start(slot);
      outcomes.fail(slot, boom());
      outcomes.handBack(slot);
    }
    expect(outcomes.failedAlike()).toBe(false);
    const dead = new RecordOutcomes(batchOf(2));
    for (const slot of [0, 1]) {
      dead.start(slot);
      dead.fail(slot, boom());
      dead.deadLettering(slot);
    }
    expect(dead.failedAlike()).toBe(true);
    dead.deadLettered(0);
    dead.deadLettered(1);
    expect(dead.failedAlike()).toBe(false);
  });
});
