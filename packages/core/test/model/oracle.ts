// The oracle: the promise, checked after every scenario from what was observed (run.ts). Each
// violation names its invariant; the test prints them with the shrunk scenario.
import { isRetryable, KafkaLambdaError } from '@kafka-lambda/core';
import { valueBytes } from './events.js';
import type { LoggedMessage } from './faults.js';
import type { LogLine, Observation, OverlapObservation } from './run.js';
import {
  answersOf,
  locationOf,
  mayDeadLetter,
  type RecordSpec,
  type RouteAnswer,
  routesOf,
  type Scenario,
  type Source,
} from './scenario.js';
import type { ProcessCall, RouteCall } from './user-code.js';

export type Invariant =
  | 'settles-before-timeout'
  | 'own-error'
  | 'no-unhandled-rejection'
  | 'summary-adds-up'
  | 'summary-matches-outcomes'
  | 'one-outcome-per-record'
  | 'succeeded-means-work-done'
  | 'config-error-fails-invocation'
  | 'retryable-never-dropped'
  | 'environment-fault-fails-invocation'
  | 'every-record-accounted'
  | 'dead-lettered-once'
  | 'nothing-reported-under-other-policies'
  | 'reported-offset-is-lowest-unaccounted'
  | 'completed-keys-are-done'
  | 'done-records-complete'
  | 'completed-never-runs-again'
  | 'late-produce-not-silent'
  | 'healthy-batch-succeeds'
  | 'partition-order'
  | 'key-order'
  | 'stops-at-failure'
  | 'dead-letter-keeps-the-record'
  | 'output-once-per-invocation'
  | 'hooks-see-each-failure'
  | 'run-record-once'
  | 'failed-record-produces-nothing'
  | 'process-sees-its-record'
  | 'abandoned-keys-stay-claimed'
  | 'route-decides-each-failure-once'
  | 'route-mistake-fails-invocation'
  | 'route-obeyed'
  | 'not-done-is-reported';

export interface Violation {
  readonly invariant: Invariant;
  readonly invocation: number;
  readonly detail: string;
}

/** Invariants a known open defect trips on the current core: not switched off here (see OPEN_DEFECTS). */
export interface OracleOptions {
  /** Fewest records failing alike for the environment rule (issue 23, finding 11). */
  readonly environmentMinRecords: number;
}

export const DEFAULT_ORACLE: OracleOptions = { environmentMinRecords: 2 };

interface RecordView {
  readonly location: string;
  readonly topic: string;
  readonly partition: number;
  readonly spec: RecordSpec;
}

export function check(observation: Observation, options: OracleOptions = DEFAULT_ORACLE): Violation[] {
  const violations: Violation[] = [];
  const { scenario, trace } = observation;
  const records: RecordView[] = scenario.partitions.flatMap((p) =>
    p.records.map((spec) => ({
      location: locationOf(p.topic, p.partition, spec.offset),
      topic: p.topic,
      partition: p.partition,
      spec,
    })),
  );
  for (const error of observation.uncaught)
    violations.push({
      invariant: 'no-unhandled-rejection',
      invocation: 0,
      detail: `uncaught exception in a timer: ${describe(error)}`,
    });

  // Each record's idempotency key: its business id (the record's key) when the scenario uses one and
  // the record has one and decodes; otherwise its offset key.
  const keys = new Map<string, string>();
  const broken = scenario.faults.environment === 'broken';
  for (const r of records) {
    const business = scenario.config.idempotencyKey === 'record-key' ? r.spec.key : null;
    const keyRefused = scenario.config.keyDeserializer === 'custom' && r.spec.key === 'AAPL';
    const decodes =
      !keyRefused &&
      (r.spec.value === 'tombstone' ||
        (!broken && r.spec.plan.decode !== 'throw' && r.spec.plan.decode !== 'throw-config'));
    keys.set(
      r.location,
      typeof business === 'string' && business !== '' && business !== 'absent' && decodes
        ? `${observation.functionName}#${business}`
        : `${observation.functionName}#${r.location}`,
    );
  }
  /** Records keyed (claimed): all but tombstones skipped unclaimed. */
  const claimed = (r: RecordView) => !(r.spec.value === 'tombstone' && scenario.config.tombstones === 'skip');
  /** The first record of the batch with the same key, when `r` is a later occurrence. */
  const firstWithKey = (r: RecordView): RecordView | undefined => {
    const first = records.find((x) => claimed(x) && keys.get(x.location) === keys.get(r.location));
    return first && first !== r ? first : undefined;
  };

  for (const inv of observation.invocations) {
    const k = inv.index;
    const fail = (invariant: Invariant, detail: string) =>
      violations.push({ invariant, invocation: k, detail });
    const { config } = scenario;
    const policy = config.policy;
    const routed = policy === 'route';
    const settled = inv.settled;
    const succeeded = settled.kind === 'resolved';
    const calls = (loc: string): ProcessCall[] => trace.callsOf(loc, k);
    const decodeThrew = (loc: string) =>
      trace.decodes.filter((d) => d.location === loc && d.invocation === k && d.threw !== undefined);
    // Under a route, each failed record's policy is what the route answered for it in this invocation.
    const routeCallsOf = (loc: string): RouteCall[] =>
      trace.routes.filter((c) => c.location === loc && c.invocation === k);
    const routeOf = (loc: string): RouteAnswer | undefined => routeCallsOf(loc)[0]?.answer;
    const policyOf = (loc: string): RouteAnswer | undefined => (routed ? routeOf(loc) : policy);
    // Acknowledged while its invocation was in flight (a report that comes later counts for nobody).
    const delivered = (m: LoggedMessage) =>
      m.fate === 'delivered' &&
      m.reportedInFlight &&
      (!config.transactional || observation.producer.transactionStateOf(m) === 'committed');
    const messagesOf = (id: string) => observation.producer.log.filter((m) => m.outputId === id);
    const deadLettersOf = (loc: string) =>
      observation.producer.log.filter((m) => m.deadLetterOf === loc && m.invocation === k);
    const prefix = observation.functionName;
    const keyOf = (loc: string) => keys.get(loc) ?? `${prefix}#${loc}`;

    // ── the end of the invocation ──────────────────────────────────────────────────────────────
    if (settled.kind === 'hung')
      fail(
        'settles-before-timeout',
        `the handler never settled (virtual time ${settled.at - inv.startedAt} ms after start, Lambda's timeout at ${inv.context.deadlineMs - inv.startedAt} ms)`,
      );
    else if (settled.at >= inv.context.deadlineMs)
      fail(
        'settles-before-timeout',
        `settled ${settled.at - inv.startedAt} ms after start; Lambda's timeout was ${inv.context.deadlineMs - inv.startedAt} ms: "Task timed out", not our error`,
      );
    if (settled.kind === 'rejected' && !(settled.error instanceof KafkaLambdaError))
      fail('own-error', `rejected with ${describe(settled.error)}, not a KafkaLambdaError`);
    for (const reason of inv.unhandled) fail('no-unhandled-rejection', describe(reason));

    // ── the summary ────────────────────────────────────────────────────────────────────────────
    if (inv.batchEnds.length > 1) fail('summary-adds-up', `${inv.batchEnds.length} batch ends`);
    if (succeeded && inv.batchEnds.length === 0)
      fail('summary-adds-up', 'no batch end for a batch that returned');
    const summaries = [...inv.batchEnds.map((e) => e.summary), ...inv.onBatchEnd];
    const processedLine = inv.logs.find((l) => l.message === 'kafka batch processed');
    if (processedLine) summaries.push(processedLine.fields as never);
    for (const s of summaries) {
      const parts = s.succeeded + s.failed + s.skipped + s.unprocessed + s.alreadyProcessed;
      if (s.records !== parts)
        fail(
          'summary-adds-up',
          `records ${s.records} ≠ succeeded ${s.succeeded} + failed ${s.failed} + skipped ${s.skipped} + unprocessed ${s.unprocessed} + alreadyProcessed ${s.alreadyProcessed}`,
        );
      if (s.records !== records.length)
        fail('summary-adds-up', `records ${s.records}, the event has ${records.length}`);
      for (const [name, value] of Object.entries(s))
        if (typeof value === 'number' && value < 0) fail('summary-adds-up', `${name} = ${value}`);
      if (s.deadLettered > s.failed)
        fail('summary-adds-up', `deadLettered ${s.deadLettered} > failed ${s.failed}`);
    }

    // ── per record, whatever the invocation's end ──────────────────────────────────────────────
    const ends = new Map<string, string[]>();
    for (const e of inv.recordEnds) ends.set(e.location, [...(ends.get(e.location) ?? []), e.outcome]);
    for (const [loc, outcomes] of ends)
      if (outcomes.length > 1)
        fail('one-outcome-per-record', `${loc} ended ${outcomes.length} times: ${outcomes.join(', ')}`);
    const hookErrors = new Map<string, number>();
    for (const e of inv.onRecordError) hookErrors.set(e.location, (hookErrors.get(e.location) ?? 0) + 1);
    for (const [loc, n] of hookErrors)
      if (n > 1) fail('one-outcome-per-record', `onRecordError called ${n} times for ${loc}`);
    // An observer's runRecord wraps each record that runs, once.
    if (config.tracing !== 'none') {
      const wrapped = new Map<string, number>();
      for (const loc of inv.runRecord) wrapped.set(loc, (wrapped.get(loc) ?? 0) + 1);
      for (const [loc, n] of wrapped) if (n > 1) fail('run-record-once', `runRecord ran ${loc} ${n} times`);
      for (const r of records)
        if (calls(r.location).length > 0 && !wrapped.has(r.location))
          fail('run-record-once', `${r.location}'s process ran outside the observer's runRecord`);
    }

    // The records of one lane (a partition under 'partition', a key of it under 'key', a record
    // under 'none') run in offset order, one at a time; under report and retry-batch a lane stops at
    // its first failure: nothing above a record that failed as it ran (its work threw, its value
    // could not be decoded) runs in the same invocation.
    const ordering = config.ordering;
    const invariant = ordering === 'partition' ? 'partition-order' : 'key-order';
    const stops = policy === 'report' || policy === 'retry-batch';
    for (const p of scenario.partitions)
      for (const lane of lanesOf(p.records, ordering)) {
        const laneCalls = lane
          .flatMap((r) =>
            calls(locationOf(p.topic, p.partition, r.offset)).map((c) => ({ c, offset: r.offset })),
          )
          .sort((a, b) => a.c.startSeq - b.c.startSeq);
        for (let i = 1; i < laneCalls.length; i++) {
          const before = laneCalls[i - 1]!;
          const next = laneCalls[i]!;
          if (next.offset <= before.offset)
            fail(invariant, `${next.c.location} ran after ${before.c.location}: not in offset order`);
          else if (before.c.endSeq === undefined || before.c.endSeq > next.c.startSeq)
            fail(invariant, `${next.c.location} started while ${before.c.location}'s work was still running`);
        }
        if (!stops && !routed) continue;
        const failedAt = lane.find((r) => {
          const loc = locationOf(p.topic, p.partition, r.offset);
          const failedAsItRan =
            calls(loc).some((c) => c.ended === 'threw') ||
            trace.decodes.some((d) => d.location === loc && d.invocation === k && d.threw !== undefined);
          if (!routed) return failedAsItRan;
          // Under a route the lane stops where a record failed as it ran (its decode, process or
          // serializers: it ended 'failed', not at the delivery) and was not logged or dead-lettered:
          // the route said report or retry-batch, or could not say, or it was a retryable error
          // (which is never the route's to decide).
          const answer = routeOf(loc);
          const goesOn = answer === 'log' || answer === 'dead-letter';
          const atDelivery = routeCallsOf(loc).some((c) => c.stage === 'deliver');
          return (ends.get(loc) ?? []).includes('failed') && !atDelivery && !goesOn;
        });
        if (!failedAt) continue;
        const above = laneCalls.find((x) => x.offset > failedAt.offset);
        if (above)
          fail(
            'stops-at-failure',
            `${above.c.location} ran after ${locationOf(p.topic, p.partition, failedAt.offset)} of its ${ordering === 'partition' ? 'partition' : 'key'} failed (onError: ${routed ? `route → ${routeOf(locationOf(p.topic, p.partition, failedAt.offset)) ?? 'not asked'}` : policy})`,
          );
      }

    // A dead letter carries its record: the original key, value and headers (byte for byte), then ours.
    for (const m of observation.producer.log) {
      if (m.invocation !== k || m.deadLetterOf === undefined) continue;
      const r = records.find((x) => x.location === m.deadLetterOf);
      if (!r) {
        fail(
          'dead-letter-keeps-the-record',
          `a dead letter names ${m.deadLetterOf}, not a record of the batch`,
        );
        continue;
      }
      const problem = deadLetterProblem(m, r.spec, scenario.source);
      if (problem) fail('dead-letter-keeps-the-record', `the dead letter of ${r.location}: ${problem}`);
    }

    for (const bad of trace.integrity)
      if (bad.invocation === k)
        fail(
          'process-sees-its-record',
          `${bad.location} reached process altered: ${bad.problems.join('; ')}`,
        );

    // A record whose work threw, or one of whose messages could not be serialized, sends nothing.
    for (const call of trace.calls) {
      if (call.invocation !== k || call.outputs.length === 0) continue;
      const serializerFailed = observation.plans
        .get(call.location)!
        .outputs.some((o) => o === 'serializer-throws' || o === 'serializer-config');
      if (call.ended !== 'threw' && !(call.ended === 'ok' && serializerFailed)) continue;
      const sent = call.outputs.filter((id) => messagesOf(id).length > 0);
      if (sent.length > 0)
        fail(
          'failed-record-produces-nothing',
          `${call.location} ${call.ended === 'threw' ? 'threw' : 'had a message its serializer refused'}, yet ${sent.length} of its outputs were sent`,
        );
    }

    // An output is acknowledged at most once per invocation (a re-send never duplicates a delivered one).
    const deliveredIds = new Map<string, number>();
    for (const m of observation.producer.log)
      if (m.invocation === k && m.outputId && m.fate === 'delivered')
        deliveredIds.set(m.outputId, (deliveredIds.get(m.outputId) ?? 0) + 1);
    for (const [id, n] of deliveredIds)
      if (n > 1)
        fail('output-once-per-invocation', `output ${id} was delivered ${n} times in one invocation`);

    for (const e of inv.recordEnds) {
      if (e.outcome !== 'succeeded') continue;
      const work = calls(e.location);
      if (!work.some((c) => c.ended === 'ok'))
        fail(
          'succeeded-means-work-done',
          `${e.location} counted succeeded, but its work ${work.length === 0 ? 'never ran' : `ended ${work.map((c) => c.ended).join(', ')}`}`,
        );
      // …and every output it produced was acknowledged first (observed as succeeded once they are).
      const last = work.at(-1);
      const unacknowledged = (last?.outputs ?? []).filter(
        (id) => !messagesOf(id).some((m) => m.fate === 'delivered' && m.reportedInFlight),
      );
      if (last?.ended === 'ok' && unacknowledged.length > 0)
        fail(
          'succeeded-means-work-done',
          `${e.location} counted succeeded, but ${unacknowledged.length} of its outputs were not acknowledged (${unacknowledged.join(', ')})`,
        );
    }

    const endingThrown = (loc: string, endings: readonly string[]) =>
      calls(loc).some((c) => c.threwEnding && c.endedInFlight) &&
      endings.includes(observation.plans.get(loc)!.ending);
    for (const r of records) {
      const configInProcess = endingThrown(r.location, ['config', 'config-cause']);
      // (A key function decodes records ahead of the claim; a record that then never starts — the
      // deadline — is handed back, its ConfigError seen only when it runs.)
      const configInDecode =
        decodeThrew(r.location).some((d) => d.threw === 'ConfigError') &&
        inv.recordStarts.includes(r.location);
      // A serializer's ConfigError (the produce stage): its record's work ended fine, in flight.
      const configInSerializer = trace.serializerConfigErrors.some(
        (e) => e.location === r.location && e.invocation === k && e.inFlight,
      );
      // (A record cut off by the deadline is handed back whatever it throws: decided by state.)
      const cutOff = (ends.get(r.location) ?? []).includes('unprocessed');
      if ((configInProcess || configInDecode || configInSerializer) && succeeded && !cutOff)
        fail(
          'config-error-fails-invocation',
          `${r.location} threw a ConfigError${configInDecode ? ' from its deserializer (inside a RecordDecodeError)' : observation.plans.get(r.location)!.ending === 'config-cause' ? ' as the cause of its error' : ''}, and the invocation succeeded`,
        );
    }

    const loudAbout = (loc: string) => inv.logs.some((l) => l.level === 'error' && namesRecord(l, loc));
    // Late produce: never silent. Returned normally ⇒ delivered, or an ERROR line names the record,
    // or the invocation it happened in failed (the ESM runs the record again).
    for (const call of trace.calls) {
      if (call.invocation !== k || !call.late) continue;
      const { id, result, invocationSettled } = call.late;
      if (result === 'returned') {
        const sent = messagesOf(id);
        const ok = sent.some(delivered) || loudAbout(call.location) || (!invocationSettled && !succeeded);
        if (!ok)
          fail(
            'late-produce-not-silent',
            `a produce() from ${call.location} after its work settled returned normally ${invocationSettled ? 'after the invocation had returned' : 'during the invocation'}, its message was ${sent.length === 0 ? 'never sent' : `not delivered (${sent.map((m) => m.fate).join(', ')})`}, and no ERROR line names the record`,
          );
      } else if (!invocationSettled && succeeded && !loudAbout(call.location))
        fail(
          'late-produce-not-silent',
          `a produce() from ${call.location} after its work settled threw ${result}, yet the invocation succeeded with no error line naming the record`,
        );
    }

    // A produce() that returns normally after the invocation settled: nobody will ever send it.
    for (const call of trace.calls) {
      if (call.invocation !== k) continue;
      for (const id of call.outputsAfterSettle)
        if (!messagesOf(id).some(delivered) && !loudAbout(call.location))
          fail(
            'late-produce-not-silent',
            `${call.location}'s work (abandoned by the batch) called produce() after the invocation had ${settled.kind}; it returned normally, the message was never ${messagesOf(id).length === 0 ? 'sent' : 'delivered'}, and no ERROR line names the record`,
          );
    }

    const everyRecordFailedAlike =
      settled.kind === 'rejected' && (settled.error as Error | undefined)?.name === 'EveryRecordFailedError';

    // ── idempotency: completed keys are done ones ──────────────────────────────────────────────
    const outcome = (r: RecordView) => {
      const work = calls(r.location);
      const last = work.at(-1);
      const ran = work.length > 0;
      const outputsDelivered = last?.outputs.every((id) => messagesOf(id).some(delivered)) ?? false;
      const endedAs = ends.get(r.location) ?? [];
      // Done by its work, in flight, outputs delivered; not a record the batch gave up on (abandoned at
      // the deadline: its claim is left to expire even if its work then finished in time).
      const processed =
        last?.ended === 'ok' &&
        last.endedInFlight &&
        outputsDelivered &&
        decodeThrew(r.location).length === 0 &&
        !endedAs.includes('unprocessed');
      const deadLetters = deadLettersOf(r.location);
      const deadLettered = policyOf(r.location) === 'dead-letter' && deadLetters.some(delivered);
      // Logged and dropped, for good: not a failure that fails the invocation (retryable, configuration).
      const ending = observation.plans.get(r.location)!.ending;
      const logged =
        policyOf(r.location) === 'log' &&
        inv.logs.some((l) => l.level === 'error' && isFailureLine(l, r.location)) &&
        !(work.some((c) => c.threwEnding) && ['retryable', 'config', 'config-cause'].includes(ending)) &&
        !decodeThrew(r.location).some((d) => d.threw === 'ConfigError') &&
        // Every record failing alike fails the invocation instead: nothing was logged-and-dropped.
        !everyRecordFailedAlike;
      const skipped =
        r.spec.value === 'tombstone' && config.tombstones === 'skip' && !ran && endedAs.includes('skipped');
      // Completed by an earlier invocation: done whether or not this one reached it.
      const completedBefore =
        config.idempotency && inv.storeBefore.get(keyOf(r.location)) === 'completed' && !ran;
      const already = completedBefore && endedAs.includes('already-processed');
      // A later record with the key of an earlier one of this batch: not run, it counts as that one.
      const repeatOf = !ran && endedAs.includes('already-processed') ? firstWithKey(r) : undefined;
      const decodeFailed = decodeThrew(r.location).length > 0;
      return {
        ran,
        last,
        processed,
        deadLetters,
        deadLettered,
        logged,
        skipped,
        already,
        completedBefore,
        repeatOf,
        decodeFailed,
      };
    };
    if (config.idempotency && inv.storeAfter.size + inv.storeBefore.size > 0) {
      const byKey = new Map<string, RecordView[]>();
      for (const r of records)
        if (claimed(r)) byKey.set(keyOf(r.location), [...(byKey.get(keyOf(r.location)) ?? []), r]);
      for (const [key, group] of byKey) {
        const before = inv.storeBefore.get(key);
        const after = inv.storeAfter.get(key);
        const outcomes = group.map((r) => ({ r, o: outcome(r) }));
        const done = outcomes.filter(
          ({ o }) => o.processed || o.deadLettered || (o.logged && (o.ran || o.decodeFailed)),
        );
        const where = group.map((r) => r.location).join(', ');
        if (after === 'completed' && before !== 'completed' && done.length === 0)
          fail(
            'completed-keys-are-done',
            `key ${key} (${where}) was completed, but no record of it is done and delivered (${outcomes.map(({ r, o }) => `${r.location}: ${describeOutcome(o)}`).join('; ')}; invocation ${settled.kind})`,
          );
        if (before === 'completed')
          for (const { r, o } of outcomes)
            if (o.ran || o.deadLetters.length > 0)
              fail(
                'completed-never-runs-again',
                `${r.location} (key ${key}) was completed by an earlier invocation, yet it ${o.ran ? 'ran again' : 'was dead-lettered again'}`,
              );
        // A record the batch gave up on while its work still ran keeps its claim until Lambda's end,
        // so that no retry runs it meanwhile (it is neither completed nor released).
        const stillRunning = group.filter(
          (r) =>
            (ends.get(r.location) ?? []).includes('unprocessed') &&
            calls(r.location).some((c) => !c.endedInFlight),
        );
        if (
          stillRunning.length > 0 &&
          before !== 'completed' &&
          inv.storeAtSettle.get(key) !== 'in-progress' &&
          !inv.storeFaultedAtEnd
        )
          fail(
            'abandoned-keys-stay-claimed',
            `${stillRunning.map((r) => r.location).join(', ')} was given up on while its work still ran, yet key ${key} is ${inv.storeAtSettle.get(key) ?? 'absent'} when the invocation returns: a retry may run it at the same time`,
          );
        // The SDK's part is to ask: a store too slow or down at the end leaves the claim to expire.
        const asked = inv.storeCalls.some((c) => c.operation === 'complete' && c.keys.includes(key));
        if (
          done.length > 0 &&
          before !== 'completed' &&
          after !== 'completed' &&
          !asked &&
          !inv.storeFaultedAtEnd &&
          settled.kind !== 'hung'
        )
          fail(
            'done-records-complete',
            `${done.map(({ r }) => r.location).join(', ')} ${done.length > 1 ? 'are' : 'is'} done and delivered (${describeOutcome(done[0]!.o)}), but key ${key} was not completed (store: ${after ?? 'absent'}): a redelivery runs it again`,
          );
      }
    }

    // ── a route: asked once per record that failed for good, and a mistake of it fails the batch ─
    if (routed) {
      const mistakes: RouteCall[] = [];
      for (const r of records) {
        const asked = routeCallsOf(r.location);
        if (asked.length === 0) continue;
        const call = asked[0]!;
        if (asked.length > 1)
          fail(
            'route-decides-each-failure-once',
            `the route was asked about ${r.location} ${asked.length} times (${asked.map((c) => c.stage).join(', ')})`,
          );
        if (call.retryable)
          fail(
            'route-decides-each-failure-once',
            `the route was asked about ${r.location}'s ${call.error}, a retryable or configuration error (never the route's to decide: it comes again)`,
          );
        const work = calls(r.location);
        if (call.stage === 'decode' && work.length > 0)
          fail(
            'route-decides-each-failure-once',
            `${r.location} failed at 'decode' for the route, yet its process ran (${work.map((c) => c.ended).join(', ')})`,
          );
        if (call.stage === 'process' && !work.some((c) => c.ended === 'threw'))
          fail(
            'route-decides-each-failure-once',
            `${r.location} failed at 'process' for the route, yet its process ${work.length === 0 ? 'never ran' : 'did not throw'}`,
          );
        if (['throws', 'undeclared', 'not-a-policy', 'promise'].includes(call.answer)) mistakes.push(call);
      }
      if (mistakes.length > 0 && succeeded)
        fail(
          'route-mistake-fails-invocation',
          `the route ${mistakes.map((c) => `${c.answer === 'throws' ? 'threw' : `answered ${c.answer}`} for ${c.location}`).join('; ')}, yet the invocation succeeded: the record is lost`,
        );
      const error =
        settled.kind === 'rejected' ? (settled.error as { name?: unknown; record?: unknown }) : undefined;
      if (error?.name === 'FailureRouteError') {
        const where = error.record as { topic: string; partition: number; offset: number } | undefined;
        const named = where && locationOf(where.topic, where.partition, where.offset);
        if (!mistakes.some((c) => c.location === named))
          fail(
            'route-mistake-fails-invocation',
            `the invocation failed with FailureRouteError naming ${named ?? 'no record'}, not a record the route could not decide (${mistakes.map((c) => c.location).join(', ') || 'none'})`,
          );
      }
    }

    // ── a policy that reports (report, a route with 'report' in its routes) reports a record not
    // done — the deadline, a retryable error, a middleware's hand-back — instead of failing for it ─
    if (routesOf(config).includes('report') && scenario.source !== 'sink' && settled.kind === 'rejected') {
      const error = settled.error as { name?: unknown; cause?: unknown } | undefined;
      if (
        error?.name === 'DeadlineExceededError' ||
        error?.name === 'RecordInProgressError' ||
        (error?.name === 'RecordProcessingError' && isRetryable(error.cause))
      )
        fail(
          'not-done-is-reported',
          `the invocation failed with ${describe(error)} under a policy that reports the records not done`,
        );
    }

    // ── the invocation failed: the ESM retries the whole batch, nothing more to account ───────
    if (!succeeded) continue;

    const result = settled.value as
      | { batchItemFailures?: Array<{ itemIdentifier: { partition: string; offset: number } }> }
      | undefined;
    const reportable = routesOf(config).includes('report') && scenario.source !== 'sink';
    if (!reportable && result !== undefined)
      fail(
        'nothing-reported-under-other-policies',
        `returned ${JSON.stringify(result)} under ${policy}${scenario.source === 'sink' ? ' (Sink Connector)' : ''}`,
      );
    if (reportable && !Array.isArray(result?.batchItemFailures))
      fail(
        'nothing-reported-under-other-policies',
        `'report' returned ${JSON.stringify(result)}, not { batchItemFailures }`,
      );
    const reported = new Map<string, number>();
    for (const item of reportable ? (result?.batchItemFailures ?? []) : []) {
      const { partition, offset } = item.itemIdentifier;
      if (reported.has(partition))
        fail('reported-offset-is-lowest-unaccounted', `${partition} reported twice`);
      reported.set(partition, Math.min(offset, reported.get(partition) ?? offset));
      if (!records.some((r) => `${r.topic}-${r.partition}` === partition && r.spec.offset === offset))
        fail(
          'reported-offset-is-lowest-unaccounted',
          `reported ${partition}@${offset}, not a record of the batch`,
        );
    }

    let skipped = 0;
    let already = 0;
    let deadLettered = 0;
    const failedAlike: string[] = [];
    let ranCount = 0;
    const accountedSoFar = new Map<string, boolean>();
    for (const r of records) {
      const o = outcome(r);
      const at = reported.get(`${r.topic}-${r.partition}`);
      const isReported = at !== undefined && r.spec.offset >= at;
      // A repeat of an earlier record's key counts as that record (accounted when it is).
      const asItsFirst = o.repeatOf !== undefined && accountedSoFar.get(o.repeatOf.location) === true;
      const ended = ends.get(r.location) ?? [];
      if (ended.includes('skipped')) {
        skipped++;
        if (r.spec.value !== 'tombstone' || config.tombstones !== 'skip' || o.ran)
          fail('summary-matches-outcomes', `${r.location} ended 'skipped' but is not a skipped tombstone`);
      }
      if (ended.includes('already-processed')) {
        already++;
        if (!o.completedBefore && o.repeatOf === undefined)
          fail(
            'summary-matches-outcomes',
            `${r.location} ended 'already-processed' but was not completed before nor a repeat of an earlier key, or ran`,
          );
      }
      if (o.deadLettered) deadLettered++;
      const accounted =
        o.processed ||
        o.skipped ||
        o.completedBefore ||
        asItsFirst ||
        o.deadLettered ||
        o.logged ||
        isReported;
      accountedSoFar.set(r.location, accounted);
      if (!accounted)
        fail(
          'every-record-accounted',
          `${r.location} is neither processed with its outputs delivered, skipped, already processed, dead-lettered, logged nor reported (${describeOutcome(o)})`,
        );
      // Under a route, the record went where the route said, and nowhere else.
      const answer = routed ? routeOf(r.location) : undefined;
      if (answer !== undefined) {
        const went =
          answer === 'log'
            ? o.logged && o.deadLetters.length === 0
            : answer === 'dead-letter'
              ? o.deadLettered
              : answer === 'report'
                ? isReported && o.deadLetters.length === 0
                : false; // retry-batch (or a mistake): the invocation must have failed
        if (!went)
          fail(
            'route-obeyed',
            `the route sent ${r.location} to '${answer}', yet it was ${describeOutcome(o)}${isReported ? ', reported' : ''} and the invocation succeeded`,
          );
      }
      const hookCalls = inv.onRecordError.filter((e) => e.location === r.location).length;
      if (o.processed && hookCalls > 0)
        fail(
          'hooks-see-each-failure',
          `${r.location} was processed and delivered, yet onRecordError was called for it`,
        );
      if ((o.deadLettered || o.logged) && !o.processed && hookCalls !== 1)
        fail(
          'hooks-see-each-failure',
          `${r.location} was ${o.deadLettered ? 'dead-lettered' : 'logged as failed'}, and onRecordError was called ${hookCalls} times`,
        );
      if (o.processed && (o.deadLettered || o.logged))
        fail(
          'one-outcome-per-record',
          `${r.location} was processed and delivered, and also ${o.deadLettered ? 'dead-lettered' : 'logged as failed'}`,
        );
      if (o.deadLetters.length > 1)
        fail(
          'dead-lettered-once',
          `${r.location} has ${o.deadLetters.length} dead letters (${o.deadLetters.map((m) => m.fate).join(', ')})`,
        );
      if (
        at !== undefined &&
        r.spec.offset < at &&
        // (Under a route, records below a reported one may have been logged or dead-lettered: done for good.)
        !(o.processed || o.skipped || o.completedBefore || asItsFirst || o.logged || o.deadLettered)
      )
        fail(
          'reported-offset-is-lowest-unaccounted',
          `reported ${r.topic}-${r.partition}@${at}, but ${r.location} below it is not done (${describeOutcome(o)}): the ESM skips it`,
        );
      if (at !== undefined && r.spec.offset === at && (o.processed || o.skipped || o.already))
        fail(
          'reported-offset-is-lowest-unaccounted',
          `reported ${r.location}, which is done (${describeOutcome(o)}): not the lowest unaccounted offset`,
        );
      if (endingThrown(r.location, ['retryable']) && !isReported)
        fail(
          'retryable-never-dropped',
          `${r.location} threw a RetryableError and was ${o.deadLettered ? 'dead-lettered' : o.logged ? 'logged and dropped' : 'dropped'}; the invocation succeeded`,
        );
      // Every record of the batch but skipped tombstones (already-processed ones included) counts.
      if (!o.skipped) {
        ranCount++;
        // A record the batch gave up on at the deadline (handed back, reported under a route that
        // may report) did not fail in this invocation, whatever its work threw afterwards.
        const cutOff = ended.includes('unprocessed');
        const threw = o.last?.ended === 'threw' && o.last.threwEnding && !cutOff;
        if (o.decodeFailed && !cutOff) {
          const first = decodeThrew(r.location)[0]!;
          failedAlike.push(`decode:${first.threw}:${first.message ?? 'value'}`);
        } else if (threw) failedAlike.push(`process:${observation.plans.get(r.location)!.ending}`);
      }
    }
    if (
      config.allFailedAlike === 'fail-invocation' &&
      (routed
        ? records.some((r) => ['log', 'dead-letter'].includes(routeOf(r.location) ?? ''))
        : policy === 'log' || policy === 'dead-letter') &&
      failedAlike.length >= options.environmentMinRecords &&
      failedAlike.length === ranCount &&
      new Set(failedAlike).size === 1
    )
      fail(
        'environment-fault-fails-invocation',
        `all ${ranCount} records of the batch (but skipped tombstones) failed alike (${failedAlike[0]}) and the batch succeeded under '${policy}'`,
      );

    const s = inv.batchEnds[0]?.summary;
    if (s) {
      if (s.skipped !== skipped)
        fail('summary-matches-outcomes', `summary skipped ${s.skipped}, ${skipped} records ended 'skipped'`);
      if (s.alreadyProcessed !== already)
        fail(
          'summary-matches-outcomes',
          `summary alreadyProcessed ${s.alreadyProcessed}, ${already} records ended 'already-processed'`,
        );
      const endedAs = (outcome: string) => inv.recordEnds.filter((e) => e.outcome === outcome).length;
      if (s.succeeded !== endedAs('succeeded') || s.failed !== endedAs('failed'))
        fail(
          'summary-matches-outcomes',
          `summary succeeded ${s.succeeded} / failed ${s.failed}, observed ${endedAs('succeeded')} / ${endedAs('failed')} record ends`,
        );
      if (reportable && s.reported !== reported.size)
        fail(
          'summary-matches-outcomes',
          `summary reported ${s.reported}, ${reported.size} partitions reported`,
        );
      const acked = observation.producer.log.filter(
        (m) => m.invocation === k && m.fate === 'delivered' && m.reportedInFlight,
      ).length;
      if (s.produced !== acked)
        fail(
          'summary-matches-outcomes',
          `summary produced ${s.produced}, ${acked} messages of this invocation acknowledged`,
        );
      if (mayDeadLetter(config) && s.deadLettered !== deadLettered)
        fail(
          'summary-matches-outcomes',
          `summary deadLettered ${s.deadLettered}, ${deadLettered} records dead-lettered`,
        );
    }
  }

  // The replay runs with the faults gone: a batch of fine records must then succeed, whatever the
  // first attempt left behind (leftover reports, a producer or store it put in a bad state) — unless
  // it left claims in progress (records it abandoned, a store that failed at its end).
  const replay = observation.invocations[1];
  if (
    replay &&
    isHealthy(observation, true) &&
    ![...replay.storeBefore.values()].includes('in-progress') &&
    replay.settled.kind !== 'resolved'
  )
    violations.push({
      invariant: 'healthy-batch-succeeds',
      invocation: 2,
      detail: `the faults healed, every record fine (or one poison record its policy handles), time to spare: yet the replay ${replay.settled.kind === 'hung' ? 'hung' : `failed with ${describe((replay.settled as { error: unknown }).error)}`}`,
    });
  if (observation.invocations.length > 0 && isHealthy(observation)) {
    const first = observation.invocations[0]!;
    if (first.settled.kind !== 'resolved')
      violations.push({
        invariant: 'healthy-batch-succeeds',
        invocation: 1,
        detail: `no fault, every record fine (or one poison record its policy handles), time to spare: yet it ${first.settled.kind === 'hung' ? 'hung' : `failed with ${describe((first.settled as { error: unknown }).error)}`}`,
      });
  }
  return violations;
}

/**
 * No fault anywhere, time to spare, and every record fine — or, under a policy that handles a
 * record failure without failing the invocation (`log`, `dead-letter`, `report`), at most ONE
 * poison record (bad bytes, a throw, an output refused for good): one failure cannot be "every
 * record failing alike", so such a batch must succeed too.
 */
export function isHealthy({ scenario }: Observation, replay = false): boolean {
  const f = scenario.faults;
  const { policy, route, transactional, tombstones } = scenario.config;
  // A route handles poison when whatever it may answer does (and it makes no mistake).
  const answers: readonly RouteAnswer[] = policy === 'route' ? answersOf(route!) : [policy];
  const handlesPoison = answers.every(
    (a) => a === 'log' || a === 'dead-letter' || (a === 'report' && scenario.source !== 'sink'),
  );
  // The replay runs with the faults healed, but for the environment (a deployment's) and latency.
  const healed = (o: string) =>
    o === 'ok' ||
    o === 'serializer-async' ||
    o === 'serializer-thenable' ||
    (replay && (o === 'held' || o === 'transient'));
  // Refused for good (a refusal inside a transaction dooms it: not handled by the policy then).
  const poisonOutput = (o: string) =>
    !transactional &&
    (o === 'refused' || o === 'oversized' || o === 'huge' || o === 'serializer-throws' || o === 'invalid');
  if (
    f.environment !== 'ok' ||
    (!replay &&
      (f.claim !== 'ok' ||
        f.complete !== 'ok' ||
        f.deadLetters !== 'ok' ||
        f.queueFullMs > 0 ||
        f.commit !== 'ok' ||
        f.begin !== 'ok' ||
        f.abort !== 'ok' ||
        f.connect !== 'ok'))
  )
    return false;
  if (scenario.config.deadLetterTopic === 'function-throws') return false;
  if (
    scenario.config.keyDeserializer === 'custom' &&
    scenario.partitions.some((p) => p.records.some((r) => r.key === 'AAPL'))
  )
    return false;
  // A store round trip (claim, then complete and release) counts as work too.
  let sleeps = (scenario.config.idempotency ? 2 * f.storeLatencyMs : 0) + 3 * f.brokerLatencyMs;
  let poison = 0;
  let abandonable = false;
  for (const p of scenario.partitions)
    for (const r of p.records) {
      const plan = r.plan;
      if (r.value === 'tombstone' && tombstones === 'skip') continue;
      const decoded = r.value !== 'tombstone';
      if ((decoded && (plan.decode === 'throw-config' || plan.decode === 'hang')) || plan.hang) return false;
      if (plan.lateMs !== undefined || ['config', 'config-cause', 'retryable'].includes(plan.ending))
        return false;
      if (plan.outputs.some((o) => !healed(o) && !poisonOutput(o))) return false;
      if (decoded && plan.decode === 'slow') {
        sleeps += 300;
        abandonable = true;
      }
      if (plan.sleepMs > 0 && plan.ignoresSignal) abandonable = true;
      sleeps += plan.sleepMs;
      const fails =
        (decoded && plan.decode === 'throw') || plan.ending !== 'ok' || plan.outputs.some((o) => !healed(o));
      if (fails) poison++;
    }
  // Under 'report' every record failure and the deadline itself are handed back: the invocation
  // succeeds whatever the timing, unless a wait can outlive the deadline (a slow broker or store, work
  // that ignores its signal). So under a route that may report and answers 'report' (or 'log', when
  // a batch failing alike is not the environment's): the deadline's hand-back is reported there too.
  const reportsAnything =
    routesOf(scenario.config).includes('report') &&
    answers.every(
      (a) => a === 'report' || (a === 'log' && scenario.config.allFailedAlike === 'apply-policy'),
    ) &&
    scenario.source !== 'sink' &&
    !abandonable &&
    f.brokerLatencyMs === 0 &&
    f.storeLatencyMs === 0;
  if (reportsAnything) return true;
  return (
    scenario.config.deadlineReserveMs === undefined &&
    scenario.timeoutMs >= 2_000 &&
    sleeps < scenario.timeoutMs * 0.4 &&
    (poison === 0 || (poison === 1 && handlesPoison))
  );
}

/** What is wrong with a dead letter as a copy of its record, if anything. */
function deadLetterProblem(m: LoggedMessage, spec: RecordSpec, source: string): string | undefined {
  const headers = m.message.headers ?? [];
  const text = (name: string) => headers.find(([n]) => n === name)?.[1].toString('utf8');
  const key = spec.key === 'absent' || spec.key === null ? null : Buffer.from(spec.key, 'utf8');
  if ((m.message.key === null) !== (key === null) || (key && !key.equals(m.message.key!)))
    return `key ${JSON.stringify(m.message.key?.toString('utf8') ?? null)}, the record's ${JSON.stringify(key?.toString('utf8') ?? null)}`;
  const value = valueBytes(spec, source as Source);
  const truncated = text('kafka-lambda.dlq.value.truncated') !== undefined;
  if ((m.message.value === null) !== (value === null))
    return `value ${m.message.value === null ? 'null' : 'present'}, the record's ${value === null ? 'null' : 'present'}`;
  if (value !== null && m.message.value !== null) {
    // Truncated to fit: the first bytes kept.
    const expected = truncated ? value.subarray(0, m.message.value.length) : value;
    if (!expected.equals(m.message.value))
      return `its value differs from the record's${truncated ? ' (its kept prefix)' : ''}`;
  }
  if (source !== 'sink' && text('kafka-lambda.dlq.headers.omitted') === undefined) {
    const original = spec.headers.map(
      ([name, bytes]) => [name, Buffer.from(bytes.map((b) => b & 0xff))] as const,
    );
    for (let i = 0; i < original.length; i++) {
      const [name, bytes] = original[i]!;
      const got = headers[i];
      if (!got || got[0] !== name || !got[1].equals(bytes))
        return `header ${i} is ${got ? `${got[0]}=[${[...got[1]].join(',')}]` : 'missing'}, the record's ${name}=[${[...bytes].join(',')}]`;
    }
  }
  return undefined;
}

/** A failed record's line, as documented: its topic, partition, offset and stage (and the error). */
function isFailureLine(line: LogLine, location: string): boolean {
  const f = line.fields as { topic?: unknown; partition?: unknown; offset?: unknown; stage?: unknown };
  return (
    typeof f.stage === 'string' &&
    f.topic !== undefined &&
    locationOf(String(f.topic), Number(f.partition), Number(f.offset)) === location
  );
}

function namesRecord(line: LogLine, location: string): boolean {
  const f = line.fields as { topic?: unknown; partition?: unknown; offset?: unknown };
  if (
    f.topic !== undefined &&
    locationOf(String(f.topic), Number(f.partition), Number(f.offset)) === location
  )
    return true;
  return safeJson(line.fields).includes(location) || line.message.includes(location);
}

function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_k, v) =>
        v instanceof Error ? { ...v, name: v.name, message: v.message } : v,
      ) ?? ''
    );
  } catch {
    return '';
  }
}

function describeOutcome(o: {
  ran: boolean;
  last: ProcessCall | undefined;
  processed: boolean;
  deadLetters: LoggedMessage[];
  logged: boolean;
  decodeFailed: boolean;
}): string {
  const parts: string[] = [];
  parts.push(o.decodeFailed ? 'decode failed' : o.ran ? `work ${o.last!.ended}` : 'never ran');
  if (o.last && o.last.outputs.length > 0) parts.push(`outputs ${o.last.outputs.length}`);
  if (o.deadLetters.length > 0) parts.push(`dead letters: ${o.deadLetters.map((m) => m.fate).join(',')}`);
  if (o.logged) parts.push('logged');
  return parts.join(', ');
}

export function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return `${typeof value} ${JSON.stringify(value)}`;
  } catch {
    return String(value);
  }
}

/**
 * Two attempts of one batch at once: each ends before its own timeout (with our error if it fails),
 * nothing escapes, each summary adds up and ends each record once; with `idempotency`, no record's
 * work runs in both attempts at the same time (the second finds the keys in progress).
 */
export function checkTwoAtOnce(
  observation: Observation & { overlap?: OverlapObservation },
  second?: Scenario,
): Violation[] {
  const violations: Violation[] = [];
  const overlap = observation.overlap;
  if (!overlap) return violations;
  const records = observation.scenario.partitions.flatMap((p) =>
    p.records.map((r) => locationOf(p.topic, p.partition, r.offset)),
  );
  for (const reason of overlap.unhandled)
    violations.push({ invariant: 'no-unhandled-rejection', invocation: 0, detail: describe(reason) });
  for (const error of observation.uncaught)
    violations.push({
      invariant: 'no-unhandled-rejection',
      invocation: 0,
      detail: `uncaught: ${describe(error)}`,
    });
  for (const a of overlap.attempts) {
    const fail = (invariant: Invariant, detail: string) =>
      violations.push({ invariant, invocation: a.index, detail });
    const s = a.settled;
    if (!s) fail('settles-before-timeout', 'never settled');
    else if (s.at >= a.context.deadlineMs)
      fail(
        'settles-before-timeout',
        `settled ${s.at - a.startedAt} ms after its start; its timeout was ${a.context.deadlineMs - a.startedAt} ms`,
      );
    if (s?.kind === 'rejected' && !(s.error instanceof KafkaLambdaError))
      fail('own-error', `rejected with ${describe(s.error)}, not a KafkaLambdaError`);
    for (const { summary } of a.batchEnds) {
      const parts =
        summary.succeeded + summary.failed + summary.skipped + summary.unprocessed + summary.alreadyProcessed;
      const expected =
        a.index === 2 && second
          ? second.partitions.reduce((n, p) => n + p.records.length, 0)
          : records.length;
      if (summary.records !== parts || summary.records !== expected)
        fail(
          'summary-adds-up',
          `records ${summary.records} (the event has ${expected}), parts add up to ${parts}`,
        );
    }
    const ends = new Map<string, number>();
    for (const e of a.recordEnds) ends.set(e.location, (ends.get(e.location) ?? 0) + 1);
    for (const [loc, n] of ends) if (n > 1) fail('one-outcome-per-record', `${loc} ended ${n} times`);
  }
  if (observation.scenario.config.idempotency) {
    for (const loc of records) {
      const [a, b] = [1, 2].map((i) =>
        observation.trace.calls.filter((c) => c.location === loc && c.invocation === i),
      );
      // Work that outlives its attempt (abandoned at the deadline) belongs to nobody: in Lambda its
      // container is frozen, and the docs say a retry may then run the record too.
      const [first, second] = overlap.attempts;
      for (const x of a ?? [])
        for (const y of b ?? []) {
          const xEnd = Math.min(
            x.endSeq ?? Number.POSITIVE_INFINITY,
            first?.settleSeq ?? Number.POSITIVE_INFINITY,
          );
          const yEnd = Math.min(
            y.endSeq ?? Number.POSITIVE_INFINITY,
            second?.settleSeq ?? Number.POSITIVE_INFINITY,
          );
          if (x.startSeq < yEnd && y.startSeq < xEnd)
            violations.push({
              invariant: 'completed-never-runs-again',
              invocation: 2,
              detail: `${loc}'s work ran in both attempts at the same time (idempotency: the second must find it in progress)`,
            });
        }
    }
  }
  return violations;
}

/**
 * Another batch at once on the same handler (the second a batch of fine records, each producing to a
 * healthy topic): it is judged by its own messages only — it succeeds, every record of it processed
 * with its outputs delivered, whatever the first batch's faults, deadline or leftovers.
 */
export function checkJudgedByItsOwn(
  observation: Observation & { overlap?: OverlapObservation },
  second: Scenario,
): Violation[] {
  const violations = checkTwoAtOnce(observation, second);
  const attempt = observation.overlap?.attempts[1];
  if (!attempt) return violations;
  const fail = (detail: string) =>
    violations.push({ invariant: 'healthy-batch-succeeds', invocation: 2, detail });
  const s = attempt.settled;
  if (s?.kind !== 'resolved') {
    fail(
      `a batch of fine records ran beside another and ${s ? `failed with ${describe((s as { error?: unknown }).error)}` : 'never settled'}`,
    );
    return violations;
  }
  for (const p of second.partitions)
    for (const r of p.records) {
      const location = locationOf(p.topic, p.partition, r.offset);
      const work = observation.trace.calls.filter((c) => c.location === location && c.invocation === 2);
      const last = work.at(-1);
      if (r.value === 'tombstone' && second.config.tombstones === 'skip') continue;
      if (last?.ended !== 'ok') {
        fail(
          `${location} of the batch beside another was not processed (${last ? last.ended : 'never ran'})`,
        );
        continue;
      }
      for (const id of last.outputs)
        if (!observation.producer.log.some((m) => m.outputId === id && m.fate === 'delivered'))
          fail(`${location}'s output ${id} was not delivered although its batch succeeded`);
    }
  return violations;
}

/**
 * The records that must run one after another, as the handler's `ordering` says: the partition, the
 * records of one key (its bytes; every record without a key shares one), or each record alone.
 */
function lanesOf(records: readonly RecordSpec[], ordering: 'partition' | 'key' | 'none'): RecordSpec[][] {
  if (ordering === 'partition') return [[...records]];
  if (ordering === 'none') return records.map((r) => [r]);
  const byKey = new Map<string | null, RecordSpec[]>();
  for (const r of records) {
    const key = r.key === 'absent' ? null : r.key;
    const lane = byKey.get(key);
    if (lane) lane.push(r);
    else byKey.set(key, [r]);
  }
  return [...byKey.values()];
}
