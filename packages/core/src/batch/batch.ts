import type { FailureStage } from '../contract/fates.js';
import type { BatchItemFailures, BatchSummary, LambdaContext } from '../contract/lambda.js';
import type { OutgoingMessage } from '../contract/producer.js';
import { Deadline } from '../deadline/deadline.js';
import { LazyAbort } from '../deadline/lazy-abort.js';
import type { BatchDeliveries } from '../delivery/batch-deliveries.js';
import type { MessageKind } from '../delivery/delivery-ledger.js';
import type { DeliveryPhaseHost } from '../delivery/delivery-phase.js';
import type { KafkaEvent, PartitionBatch } from '../event/event.js';
import { BatchGate } from '../middleware/batch-gate.js';
import { type BatchObserver, observeBatch } from '../middleware/instrumentation.js';
import { MiddlewareChain } from '../middleware/middleware-chain.js';
import type { Lanes } from '../ordering/lanes.js';
import { BatchVerdict, type Conclusion } from '../outcomes/batch-verdict.js';
import { Fate, RecordOutcomes } from '../outcomes/outcomes.js';
import type { FailurePolicy, RecordFailure } from '../policies/policy.js';
import type { KafkaRecord } from '../record/record.js';
import { RecordPipeline } from '../record/record-pipeline.js';
import {
  asError,
  configErrorIn,
  DeadlineExceededError,
  describeLocation,
  EveryRecordFailedError,
  isRetryable,
  KafkaLambdaError,
  type LateProduceError,
  locationOf,
  messageOf,
  OutcomeInvariantError,
  type RecordLocation,
  RecordProcessingError,
} from '../shared/errors.js';
import { loggedError } from '../shared/logged-error.js';
import type { Logger } from '../shared/logger.js';
import { reportBatchEnd } from './batch-end.js';
import type { HandlerSettings } from './batch-settings.js';
import type { PartitionHost } from './partition-runner.js';
import { runnersOf, runPartitions } from './partition-scheduler.js';
import { requestLogger } from './request-logger.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** What the policy did with the failure it was asked to decide. */
type PolicyAction = 'none' | 'dead-letter' | 'hand-back';

/**
 * One invocation: runs the partitions, waits once for the batch's own deliveries, and turns what
 * happened into the Lambda result. Every record's fate is owned by {@link RecordOutcomes}: the
 * summary, the partial batch response and the idempotency keys are derived from it. The policy
 * decides per failed record; the ledger owns the wait.
 */
export class Batch implements PartitionHost, DeliveryPhaseHost {
  readonly settings: HandlerSettings;
  readonly lambdaContext: LambdaContext;
  readonly logger: Logger;
  readonly observer: BatchObserver;
  readonly verdict = new BatchVerdict();
  readonly outcomes: RecordOutcomes;
  readonly #deadline: Deadline;
  /** What the batch sends, with a producer: outputs, dead letters, their one wait, the transaction. */
  readonly #deliveries: BatchDeliveries | undefined;
  readonly #abort = new LazyAbort();
  readonly #started = Date.now();
  #deadlineLogged = false;
  /** The handler's `use` list around this batch, and what its `before`s decided. */
  #chain: MiddlewareChain | undefined;
  #gate: BatchGate | undefined;
  /** While the policy decides a failure: whose, and what it did. */
  #deciding: { slot: number; action: PolicyAction } | undefined;
  /** The invocation's outcome is decided: what happens now cannot change it. */
  #concluded = false;
  #flushMs = 0;

  constructor(
    settings: HandlerSettings,
    context: LambdaContext,
    event: KafkaEvent,
    partitions: PartitionBatch[],
  ) {
    this.settings = settings;
    this.lambdaContext = context;
    this.logger = requestLogger(settings.logger, context);
    this.#deadline = new Deadline(context, settings.deadlineReserveMs);
    this.outcomes = new RecordOutcomes(partitions);
    this.#deliveries =
      settings.producer && settings.delivery?.open(settings.producer, this, this.#acknowledged);
    this.observer = observeBatch(
      settings.instrumentation,
      {
        partitions,
        records: this.outcomes.size,
        context,
        eventSource: event.eventSource,
        bootstrapServers: event.bootstrapServers,
      },
      this.logger,
    );
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get aborted(): boolean {
    return this.#abort.aborted;
  }

  get policy(): FailurePolicy {
    return this.settings.policy;
  }

  get stopped(): boolean {
    return this.verdict.stopped;
  }

  get pastStopTime(): boolean {
    return this.#deadline.passed;
  }

  async run(partitions: PartitionBatch[]): Promise<BatchItemFailures | undefined> {
    let conclusion: Conclusion;
    try {
      await this.#deliveries?.begin(this.#deadline);
      if (this.settings.middleware.length > 0) await this.#before(partitions);
      const runners = runnersOf(
        partitions,
        this.settings.ordering,
        this.settings.concurrency,
        this,
        this.#gate,
      );
      await runPartitions(runners, this.settings.concurrency, this.#deadline, (reason) =>
        this.#abort.abort(reason),
      );
      this.sendDeadLetters();
      await this.#deliveries?.settle(this.#deadline);
      conclusion = this.verdict.conclude(this.settings.policy, this.outcomes);
    } catch (error) {
      conclusion = { error: asError(error) };
    } finally {
      this.#concluded = true;
      this.#deliveries?.close();
      this.#abort.end();
    }
    // Every delivery report is in (or the batch failed): commit, or abort. A failed commit fails it.
    if (this.#deliveries) conclusion = await this.#deliveries.end(conclusion, this.#deadline);
    // After the commit: a transaction that did not commit took the outputs with it (not kept).
    await this.#chain?.after({
      partitions,
      context: this.lambdaContext,
      logger: this.logger,
      outcomes: this.outcomes,
      deadline: this.#deadline,
      error: conclusion.error,
      kept: !this.settings.producer?.transactions || !conclusion.error,
    });
    this.#finish(conclusion);
    if (conclusion.error) throw conclusion.error;
    return conclusion.result;
  }

  /** The middleware's `before`s, through the gate the partitions then read (vetoes, records decoded ahead). */
  async #before(partitions: PartitionBatch[]): Promise<void> {
    const settings = this.settings;
    this.#chain = new MiddlewareChain(settings.middleware);
    if (!settings.middleware.some((middleware) => middleware.before)) return;
    this.#gate = new BatchGate(
      partitions,
      {
        lambdaContext: this.lambdaContext,
        logger: this.logger,
        outcomes: this.outcomes,
        handBack: (record, reason) => settings.policy.handBack(record, reason, this),
      },
      new RecordPipeline(settings, this.observer),
      this.#deadline,
      { name: settings.policyName, reports: settings.reports },
      settings.skipTombstones,
    );
    await this.#chain.before(this.#gate);
  }

  // ── what partitions report ─────────────────────────────────────────────────────────────────────

  /** Its end is observed once its outcome is final: now when it sent nothing, else once all its outputs are in. */
  succeeded(slot: number, record: AnyRecord, messages: readonly OutgoingMessage[] | undefined): void {
    const count = messages?.length ?? 0;
    this.outcomes.succeed(slot, count);
    if (count > 0) this.#deliveries!.send(messages!, record, slot);
    else this.observer.recordEnd?.(record, 'succeeded');
  }

  skipped(slot: number, record: AnyRecord): void {
    this.outcomes.skip(slot);
    this.observer.recordEnd?.(record, 'skipped');
  }

  alreadyProcessed(slot: number, record: AnyRecord): void {
    this.outcomes.alreadyProcessed(slot);
    this.observer.recordStart?.(record);
    this.observer.recordEnd?.(record, 'already-processed');
  }

  failed(slot: number, record: AnyRecord, error: Error, stage: FailureStage): boolean {
    const outcomes = this.outcomes;
    outcomes.fail(slot, { error, stage });
    this.observer.recordEnd?.(record, 'failed', error);
    const configError = configErrorIn(error);
    if (configError) {
      // A configuration mistake fails every record alike: the invocation fails instead of dropping them.
      outcomes.handBack(slot);
      this.#fail(configError);
      return false;
    }
    if (isRetryable(error)) {
      // Skipping or dead-lettering a record because a dependency blinked would lose it for good.
      this.logger.error('record failed with a retryable error; it will be retried', {
        ...locationOf(record),
        stage,
        error,
      });
      outcomes.handBack(slot);
      this.settings.policy.handBack(record, new RecordProcessingError(record, { cause: error }), this);
      this.#stopIfFailing();
      return false;
    }
    const deciding = { slot, action: 'none' as PolicyAction };
    this.#deciding = deciding;
    let goesOn: boolean;
    try {
      goesOn = this.settings.policy.recordFailed({ record, error, stage }, this);
    } catch (policyError) {
      // The policy itself failed (deadLetterTopic threw, a logger threw): stop every partition and fail.
      this.#deliveries?.dropDeadLetter(slot);
      outcomes.handBack(slot);
      this.#fail(
        policyError instanceof KafkaLambdaError
          ? policyError
          : new KafkaLambdaError(
              `onError '${this.settings.policyName}' failed on ${describeLocation(record)}: ${messageOf(policyError)}`,
              { cause: policyError },
            ),
      );
      return false;
    } finally {
      this.#deciding = undefined;
      const action = deciding.action;
      if (action === 'dead-letter') outcomes.deadLettering(slot);
      else if (action === 'hand-back') outcomes.handBack(slot);
      else outcomes.failedAndLogged(slot);
    }
    this.#stopIfFailing();
    return goesOn;
  }

  notDone(partition: number, index: number, first: RecordLocation, lanes?: Lanes): void {
    this.outcomes.handBackFrom(partition, index, lanes);
    // Once per batch: many lanes stop at the deadline, and the error counts the records left at the end.
    if (!this.#deadline.passed || this.#deadlineLogged) return;
    this.#deadlineLogged = true;
    this.logger.warn('deadline reached: no more records start, to leave time for the deliveries', {
      ...locationOf(first),
    });
    const unprocessed = this.outcomes.counts().unprocessed;
    this.settings.policy.handBack(first, new DeadlineExceededError(unprocessed), this);
    this.#abort.abort(new DeadlineExceededError(unprocessed));
  }

  lateProduce(error: LateProduceError, abandoned: boolean): void {
    if (this.#concluded || abandoned) {
      // Its record is already accounted for (done, or handed back): the message alone is dropped.
      this.logger.error(
        abandoned
          ? 'produce() from a record the batch gave up on at the deadline; the message is dropped and the record comes again'
          : 'produce() after the invocation ended; the message is dropped (await every promise inside process())',
        { error },
      );
      return;
    }
    this.logger.error('produce() after its record finished; failing the invocation', { error });
    this.#fail(error);
  }

  // ── what policies may do ───────────────────────────────────────────────────────────────────────

  reportAt(_location: RecordLocation): void {
    // The partial batch response is derived from the outcomes; a policy deciding a failure hands it back.
    if (this.#deciding) this.#deciding.action = 'hand-back';
  }

  failWith(error: Error): void {
    if (this.#deciding) this.#deciding.action = 'hand-back';
    this.verdict.failWith(error);
  }

  deadLetter(failure: RecordFailure): void {
    const deciding = this.#deciding;
    if (!deciding) throw new OutcomeInvariantError('deadLetter() outside the decision on a failed record');
    // Built now, so that a deadLetterTopic function that throws fails the invocation here.
    this.#deliveries!.deadLetter(deciding.slot, failure, this.settings.deadLetterTopic, this.lambdaContext);
    deciding.action = 'dead-letter';
  }

  // ── what the end of the batch reports ──────────────────────────────────────────────────────────

  failedLate(slot: number, record: AnyRecord, error: Error): void {
    this.failed(slot, record, error, 'deliver');
  }

  /**
   * The failures so far are final: unless every record failed alike (the environment: the invocation
   * fails instead, and nothing is dead-lettered or dropped for it), sends their dead letters.
   */
  sendDeadLetters(): void {
    if (this.verdict.stopped) return; // the invocation fails: the records come again
    if (this.settings.allFailedAlike === 'fail-invocation' && this.outcomes.failedAlike()) {
      this.#failAlike();
      return;
    }
    this.#deliveries?.sendDeadLetters();
  }

  waited(ms: number): void {
    this.#flushMs += ms;
  }

  // ── stopping ───────────────────────────────────────────────────────────────────────────────────

  #failAlike(): void {
    const [slot, note] = this.outcomes.firstFailure()!;
    const error = new EveryRecordFailedError(
      this.outcomes.counts().failed,
      note.stage,
      this.outcomes.locationOf(slot),
      { cause: note.error },
    );
    this.outcomes.retractFailures();
    this.#deliveries?.clearDeadLetters();
    this.logger.error('every record failed alike: the environment, not the records; failing the invocation', {
      error,
    });
    this.#fail(error);
  }

  /** An error outside any record's policy: every partition stops, the invocation fails. */
  #fail(error: Error): void {
    this.verdict.fatal(error);
    this.#abort.abort(error);
  }

  /** A policy failed the invocation: running records are told through their signal. */
  #stopIfFailing(): void {
    if (this.verdict.stopped && !this.aborted) {
      this.#abort.abort(new KafkaLambdaError('the batch stopped: another record failed the invocation'));
    }
  }

  /** A report of one of the batch's messages: its record's outcome moves on. */
  readonly #acknowledged = (slot: number, kind: MessageKind, source: AnyRecord): void => {
    if (kind === 'output') {
      if (this.outcomes.acknowledged(slot)) this.observer.recordEnd?.(source, 'succeeded');
      return;
    }
    if (this.outcomes.fateOf(slot) !== Fate.deadLettering) return;
    this.outcomes.deadLettered(slot);
    const note = this.outcomes.failureOf(slot)!;
    this.logger.warn('record failed; sent to the dead-letter topic', {
      ...this.outcomes.locationOf(slot),
      stage: note.stage,
      deadLetterTopic: this.#deliveries!.deadLetterTopicOf(slot),
      error: loggedError(note.error),
    });
  };

  #finish(conclusion: Conclusion): void {
    const summary: BatchSummary = this.outcomes.countInto({
      records: this.outcomes.size,
      succeeded: 0,
      failed: 0,
      deadLettered: 0,
      skipped: 0,
      unprocessed: 0,
      produced: this.#deliveries?.delivered ?? 0,
      reported: conclusion.result?.batchItemFailures.length ?? 0,
      alreadyProcessed: 0,
      flushMs: this.#flushMs,
      durationMs: Date.now() - this.#started,
    });
    reportBatchEnd(
      { logger: this.logger, logSummary: this.settings.logSummary, observer: this.observer },
      summary,
      conclusion,
    );
  }
}
