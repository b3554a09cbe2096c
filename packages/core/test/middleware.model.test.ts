// The seam's promise, proven by a model (issue 25): generated user middleware (skips, hand-backs,
// records decoded ahead, a `before` that throws, observers, `after`), generated records (some of
// whose `process` fails, after awaiting), under each policy; after every scenario the outcome is
// checked against what the seam's documentation says:
// - a record skipped or handed back never runs, nor does any later record of a handed-back one's partition;
// - under `report` each such partition is reported at its lowest record not done; under any other
//   policy a hand-back fails the invocation before any record runs;
// - a `before` that throws fails the invocation before any record runs;
// - a record decoded ahead is the very object `process` sees (decoded once);
// - every `after` runs once, in reverse order, with what its own `before` returned, and sees each
//   record's fate as it ended; an observer hears each record's end at most once, as it ended.
// MODEL_RUNS / MODEL_SEED size and replay it, as for the record-outcomes model.
import { createKafkaHandler, json, type KafkaRecord } from '@kafka-lambda/core';
import type { BatchMiddleware, RecordFate, RecordOutcome } from '@kafka-lambda/core/middleware';
import { lambdaContext, memoryProducer, mskEvent } from '@kafka-lambda/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const RUNS = Math.max(50, Math.round(Number(process.env.MODEL_RUNS ?? 10_000) / 20));
const SEED = process.env.MODEL_SEED === undefined ? undefined : Number(process.env.MODEL_SEED);
// The four by name, and two routes (onError: { policy: (failure) => …, routes }): one that logs
// every failure but declares 'report' (hand-backs are then reported), one that reports every failure.
const POLICIES = ['log', 'report', 'retry-batch', 'dead-letter', 'route:log|report', 'route:report'] as const;
type Policy = (typeof POLICIES)[number];
/** What a failure does under the policy (a route: what it answers). */
const effectiveOf = (policy: Policy) =>
  policy === 'route:log|report' ? 'log' : policy === 'route:report' ? 'report' : policy;
/** Whether a hand-back is reported (else it fails the invocation). */
const reportsUnder = (policy: Policy) => policy === 'report' || policy.startsWith('route:');
const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Trade {
  readonly id: string;
  readonly fail: boolean;
}

type Action = { kind: 'skip' | 'handBack' | 'decode'; partition: number; index: number };

interface MiddlewareSpec {
  readonly actions: readonly Action[];
  readonly throws: boolean;
  readonly hasAfter: boolean;
  readonly observes: boolean;
}

interface Scenario {
  readonly policy: Policy;
  /** Per partition, per record: whether its `process` fails. */
  readonly partitions: readonly (readonly boolean[])[];
  readonly middleware: readonly MiddlewareSpec[];
  /** `process` awaits this many macrotask turns before it answers. */
  readonly awaits: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    policy: fc.constantFrom(...POLICIES),
    partitions: fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: 3,
    }),
    awaits: fc.nat(2),
  })
  .chain(({ policy, partitions, awaits }) => {
    const action = fc.nat(partitions.length - 1).chain((partition) =>
      fc.record({
        kind: fc.constantFrom('skip', 'handBack', 'decode', 'decode') as fc.Arbitrary<Action['kind']>,
        partition: fc.constant(partition),
        index: fc.nat(partitions[partition]!.length - 1),
      }),
    );
    const middleware = fc.record({
      actions: fc.array(action, { maxLength: 4 }),
      // One middleware in ten fails before the batch.
      throws: fc.nat(9).map((n) => n === 0),
      hasAfter: fc.boolean(),
      observes: fc.boolean(),
    });
    return fc.record({
      policy: fc.constant(policy),
      partitions: fc.constant(partitions),
      middleware: fc.array(middleware, { minLength: 1, maxLength: 3 }),
      awaits: fc.constant(awaits),
    });
  });

interface Observed {
  rejected: Error | undefined;
  result: unknown;
  /** `topic-partition@offset` of each record `process` ran, in order. */
  ran: string[];
  /** Per middleware: the state its `after` got, or 'not called'. */
  afterStates: unknown[];
  afterOrder: number[];
  fates: Map<string, RecordFate>;
  /** `m<i>|topic-partition@offset`: what observer i heard of the record's end. */
  ends: Map<string, RecordOutcome[]>;
  /** Records decoded ahead whose run saw another object. */
  decodedTwice: string[];
  deadLetters: number;
}

const at = (p: number, offset: number) => `t-${p}@${offset}`;
const offsetOf = (index: number) => 100 + index;

async function run(scenario: Scenario): Promise<Observed> {
  const observed: Observed = {
    rejected: undefined,
    result: undefined,
    ran: [],
    afterStates: scenario.middleware.map(() => 'not called'),
    afterOrder: [],
    fates: new Map(),
    ends: new Map(),
    decodedTwice: [],
    deadLetters: 0,
  };
  const decodedAhead = new Map<string, KafkaRecord<string, Trade>>();
  const middleware: BatchMiddleware<string, Trade>[] = scenario.middleware.map((spec, m) => ({
    name: `m${m}`,
    async before(batch) {
      for (const action of spec.actions) {
        if (action.kind === 'skip') batch.skip(action.partition, action.index);
        else if (action.kind === 'handBack')
          batch.handBack(action.partition, action.index, new Error(`m${m} hands back`));
        else {
          const record = await batch.decode(action.partition, action.index);
          const key = at(record.partition, record.offset);
          const earlier = decodedAhead.get(key);
          // Two middleware decoding one record share one decode.
          if (earlier && earlier !== record) observed.decodedTwice.push(key);
          decodedAhead.set(key, record);
        }
      }
      if (spec.throws) throw new Error(`m${m} fails before the batch`);
      return { token: `state-of-m${m}` };
    },
    ...(spec.hasAfter && {
      after(batch, state) {
        observed.afterStates[m] = state;
        observed.afterOrder.push(m);
        for (const [p, partition] of batch.partitions.entries())
          for (let i = 0; i < partition.records.length; i++) {
            const key = at(p, offsetOf(i));
            const fate = batch.fateOf(p, i);
            const seen = observed.fates.get(key);
            // Every `after` sees the same fates.
            if (seen !== undefined && seen !== fate) observed.fates.set(key, 'disagree' as RecordFate);
            else observed.fates.set(key, fate);
          }
      },
    }),
    ...(spec.observes && {
      startBatch: () => ({
        recordEnd(record: KafkaRecord<unknown, unknown>, outcome: RecordOutcome) {
          // Keyed by observer too: each observer hears each record's end once.
          const key = `m${m}|${at(record.partition, record.offset)}`;
          observed.ends.set(key, [...(observed.ends.get(key) ?? []), outcome]);
        },
      }),
    }),
  }));
  const producer = memoryProducer();
  const handler = createKafkaHandler({
    value: json<Trade>(),
    // Each failure has its own message: this model is not about a batch that failed alike.
    onError:
      scenario.policy === 'dead-letter'
        ? { policy: scenario.policy, topic: 'dlq', allFailedAlike: 'apply-policy' }
        : scenario.policy === 'route:log|report'
          ? { policy: () => 'log', routes: ['log', 'report'], allFailedAlike: 'apply-policy' }
          : scenario.policy === 'route:report'
            ? { policy: () => 'report', routes: ['report'], allFailedAlike: 'apply-policy' }
            : { policy: scenario.policy, allFailedAlike: 'apply-policy' },
    ...(scenario.policy === 'dead-letter' ? { producer } : {}),
    logger: silent,
    use: middleware,
    async process(record) {
      const key = at(record.partition, record.offset);
      const ahead = decodedAhead.get(key);
      if (ahead && ahead !== record) observed.decodedTwice.push(key);
      observed.ran.push(key);
      for (let i = 0; i < scenario.awaits; i++) await new Promise((resolve) => setImmediate(resolve));
      if (record.value.fail) throw new Error(`${key} fails`);
    },
  });
  const records = scenario.partitions.flatMap((fails, p) =>
    fails.map((fail, i) => ({
      topic: 't',
      partition: p,
      offset: offsetOf(i),
      value: { id: at(p, offsetOf(i)), fail },
    })),
  );
  try {
    observed.result = await handler(mskEvent(records), lambdaContext({ timeoutMs: 60_000 }));
  } catch (error) {
    observed.rejected = error as Error;
  }
  observed.deadLetters = producer.messages.length;
  return observed;
}

/** What the documentation promises for a scenario, checked against what happened. */
function check(scenario: Scenario, o: Observed): void {
  const policy = effectiveOf(scenario.policy);
  const reports = reportsUnder(scenario.policy);
  const throwsAt = scenario.middleware.findIndex((m) => m.throws);
  // Only the actions of the middleware whose `before` ran count (a throw stops the later ones).
  const acting = throwsAt === -1 ? scenario.middleware : scenario.middleware.slice(0, throwsAt + 1);
  const handedBack = new Set<string>();
  const skipped = new Set<string>();
  for (const spec of acting)
    for (const a of spec.actions) {
      if (a.kind === 'handBack') handedBack.add(at(a.partition, offsetOf(a.index)));
      if (a.kind === 'skip') skipped.add(at(a.partition, offsetOf(a.index)));
    }
  expect(o.decodedTwice, 'a record decoded ahead is the object its run sees').toEqual([]);
  expect(new Set(o.ran).size, 'no record runs twice').toBe(o.ran.length);
  for (const [key, outcomes] of o.ends) expect(outcomes.length, `${key} ends once`).toBe(1);

  if (throwsAt !== -1) {
    expect(o.rejected, 'a before that throws fails the invocation').toBeDefined();
    expect(o.ran, 'a before that throws: no record ran').toEqual([]);
    checkAfters(scenario, o, throwsAt);
    return;
  }
  if (handedBack.size > 0 && !reports) {
    expect(o.rejected, 'a hand-back outside report fails the invocation').toBeDefined();
    expect(o.ran, 'a hand-back outside report: no record ran').toEqual([]);
    checkAfters(scenario, o, -1);
    return;
  }

  // Which records may run, and which must, partition by partition.
  const reported = new Map<string, number>();
  let failed = 0;
  for (const [p, fails] of scenario.partitions.entries()) {
    const ranHere = o.ran.filter((k) => k.startsWith(`t-${p}@`)).map((k) => Number(k.split('@')[1]));
    expect(ranHere, `partition ${p} runs in offset order`).toEqual([...ranHere].sort((a, b) => a - b));
    const firstBack = fails.findIndex((_, i) => handedBack.has(at(p, offsetOf(i))));
    const stop = firstBack === -1 ? fails.length : firstBack;
    let firstFailure = -1;
    for (let i = 0; i < fails.length; i++) {
      const key = at(p, offsetOf(i));
      const didRun = ranHere.includes(offsetOf(i));
      const runnable =
        i < stop &&
        !skipped.has(key) &&
        (firstFailure === -1 || policy === 'log' || policy === 'dead-letter');
      if (i >= stop) expect(didRun, `${key} is at or after a hand-back: it never runs`).toBe(false);
      if (skipped.has(key)) expect(didRun, `${key} was skipped: it never runs`).toBe(false);
      if (!runnable) expect(didRun, `${key} may not run`).toBe(false);
      // retry-batch may stop other partitions once one failed; every other policy runs them all.
      else if (policy !== 'retry-batch') expect(didRun, `${key} runs`).toBe(true);
      if (didRun && fails[i] && firstFailure === -1) firstFailure = i;
      if (didRun && fails[i]) failed++;
      const fate = o.fates.get(key);
      if (fate !== undefined) {
        const expected: RecordFate = !didRun
          ? 'not-done'
          : !fails[i]
            ? 'done'
            : policy === 'log'
              ? 'logged'
              : policy === 'dead-letter'
                ? 'dead-lettered'
                : 'not-done';
        // A record that ran fine under retry-batch is undone by a failed invocation.
        if (!(policy === 'retry-batch' && o.rejected)) expect(fate, `${key}'s fate in after`).toBe(expected);
      }
      const observer = scenario.middleware.findIndex((m) => m.observes);
      const observed = observer !== -1;
      const end = o.ends.get(`m${observer}|${key}`)?.[0];
      for (const [m, spec] of scenario.middleware.entries())
        if (spec.observes)
          expect(o.ends.get(`m${m}|${key}`)?.[0], `every observer hears ${key} alike`).toBe(end);
      if (observed && didRun && !fails[i] && !o.rejected) expect(end, `${key} ended`).toBe('succeeded');
      if (skipped.has(key) && i < stop && end !== undefined)
        expect(end, `${key} was skipped`).toBe('already-processed');
      // Under retry-batch a record that fails once the batch already gave up ends unprocessed (it comes again).
      const moot = policy === 'retry-batch' && o.rejected !== undefined;
      if (didRun && fails[i] && end !== undefined && !moot) expect(end, `${key} failed`).toBe('failed');
    }
    if (reports) {
      // A failure is reported only where the policy reports it; a hand-back wherever hand-backs are.
      const lowest = Math.min(
        stop,
        firstFailure === -1 || policy !== 'report' ? Number.POSITIVE_INFINITY : firstFailure,
      );
      if (lowest < fails.length) reported.set(`t-${p}`, offsetOf(lowest));
    }
  }
  if (reports) {
    expect(o.rejected, 'report never fails the invocation for a record').toBeUndefined();
    const items = (
      o.result as { batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[] }
    ).batchItemFailures;
    expect(
      new Map(items.map((f) => [f.itemIdentifier.partition, f.itemIdentifier.offset])),
      'each partition reported at its lowest record not done',
    ).toEqual(reported);
  } else if (policy === 'retry-batch') {
    expect(Boolean(o.rejected), 'retry-batch fails the invocation iff a record failed').toBe(failed > 0);
  } else {
    expect(o.rejected, `${scenario.policy} never fails the invocation for a record`).toBeUndefined();
    if (policy === 'dead-letter') expect(o.deadLetters, 'one dead letter per failed record').toBe(failed);
  }
  checkAfters(scenario, o, -1);
}

/** Every `after` ran once, last middleware first, with its own `before`'s state (none when it did not finish). */
function checkAfters(scenario: Scenario, o: Observed, throwsAt: number): void {
  const withAfter = scenario.middleware.flatMap((m, i) => (m.hasAfter ? [i] : []));
  expect(o.afterOrder, 'every after, in reverse order').toEqual([...withAfter].reverse());
  for (const m of withAfter) {
    const finished = throwsAt === -1 || m < throwsAt;
    expect(o.afterStates[m], `m${m}'s after gets its before's state`).toEqual(
      finished ? { token: `state-of-m${m}` } : undefined,
    );
  }
  for (const fate of o.fates.values()) expect(fate, 'every after sees the same fates').not.toBe('disagree');
}

describe('the middleware seam, by a model', () => {
  it(`keeps its promise in ${RUNS} generated scenarios (user middleware × records × policies)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        check(scenario, await run(scenario));
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  }, 120_000);
});
