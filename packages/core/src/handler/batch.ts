import {
  asError,
  ConfigError,
  DeadlineExceededError,
  isRetryable,
  KafkaLambdaError,
  type LateProduceError,
  locationOf,
  type RecordLocation,
  RecordProcessingError,
} from '../errors.js';
import type { KafkaEvent, PartitionBatch } from '../event.js';
import type { BatchClaims } from '../idempotency/batch-claims.js';
import type { Logger } from '../logger.js';
import type { OutgoingMessage } from '../producer/types.js';
import type { KafkaRecord } from '../record.js';
import { reportBatchEnd } from './batch-end.js';
import { BatchVerdict, type Conclusion } from './batch-verdict.js';
import { deadLetterOf, type FailureStage } from './dead-letter.js';
import { Deadline } from './deadline.js';
import { DeliveryLedger } from './delivery-ledger.js';
import { type DeliveryPhaseHost, settleDeliveries } from './delivery-phase.js';
import { claimRecords, settleClaims } from './idempotency-phase.js';
import { type BatchObserver, observeBatch } from './instrumentation.js';
import { LazyAbort } from './lazy-abort.js';
import { loggedError } from './logged-error.js';
import { type PartitionHost, PartitionRunner } from './partition-runner.js';
import { runPartitions } from './partition-scheduler.js';
import type { FailurePolicy, RecordFailure } from './policies/policy.js';
import { requestLogger } from './request-logger.js';
import type { HandlerSettings } from './settings.js';
import { TransactionPhase } from './transaction-phase.js';
import type { BatchItemFailures, LambdaContext } from './types.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/**
 * One invocation: runs the partitions, waits once for the batch's own deliveries, and turns what
 * happened into the Lambda result. The policy decides per failed record; the ledger owns the wait.
 */
export class Batch implements PartitionHost, DeliveryPhaseHost {
  readonly settings: HandlerSettings;
  readonly lambdaContext: LambdaContext;
  readonly logger: Logger;
  readonly observer: BatchObserver;
  readonly verdict = new BatchVerdict();
  readonly #deadline: Deadline;
  readonly #ledger: DeliveryLedger | undefined;
  readonly #abort = new LazyAbort();
  /** The batch's outputs as one Kafka transaction, with a transactional producer. */
  readonly #transaction: TransactionPhase | undefined;
  readonly #started = Date.now();
  #deadlineLogged = false;
  #claims: BatchClaims | undefined;

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
    this.#ledger = settings.producer && new DeliveryLedger(settings.producer);
    const transactions = settings.producer?.transactions;
    this.#transaction = transactions && new TransactionPhase(transactions, this.logger);
    let records = 0;
    for (const partition of partitions) records += partition.records.length;
    this.verdict.summary.records = records;
    this.observer = observeBatch(
      settings.instrumentation,
      {
        partitions,
        records,
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
      await this.#transaction?.begin(this.#deadline);
      if (this.settings.idempotency) this.#claims = await claimRecords(this, partitions, this.#deadline);
      const runners = partitions.map((p, i) => new PartitionRunner(p, this, this.#claims?.partition(i)));
      await runPartitions(runners, this.settings.partitionConcurrency, this.#deadline, (reason) =>
        this.#abort.abort(reason),
      );
      if (this.#ledger) await settleDeliveries(this.#ledger, this.#deadline, this);
      conclusion = this.verdict.conclude(this.settings.policy);
    } catch (error) {
      conclusion = { error: asError(error) };
    } finally {
      this.#ledger?.close();
      this.#abort.end();
    }
    // Every delivery report is in (or the batch failed): commit, or abort. A failed commit fails it.
    if (this.#transaction) conclusion = await this.#transaction.end(conclusion, this.#deadline);
    // After the commit: a transaction that did not commit took the outputs with it; their records do not complete.
    const delivered = !this.#transaction || !conclusion.error;
    if (this.#claims) await settleClaims(this.#claims, this.#deadline, this.settings, this.logger, delivered);
    this.#finish(conclusion);
    if (conclusion.error) throw conclusion.error;
    return conclusion.result;
  }

  // ── what partitions report ─────────────────────────────────────────────────────────────────────

  succeeded(record: AnyRecord, messages: readonly OutgoingMessage[] | undefined): void {
    this.verdict.summary.succeeded++;
    this.observer.recordEnd?.(record, 'succeeded');
    if (messages && messages.length > 0)
      this.#ledger!.send(messages, record, 'output', this.#claims?.whenDelivered(record));
    else this.#claims?.done(record);
  }

  skipped(record: AnyRecord): void {
    this.verdict.summary.skipped++;
    this.observer.recordEnd?.(record, 'skipped');
  }

  alreadyProcessed(record: AnyRecord): void {
    this.verdict.summary.alreadyProcessed++;
    this.observer.recordStart?.(record);
    this.observer.recordEnd?.(record, 'already-processed');
  }

  failed(record: AnyRecord, error: Error, stage: FailureStage): boolean {
    this.verdict.summary.failed++;
    this.observer.recordEnd?.(record, 'failed', error);
    if (error instanceof ConfigError) {
      // A configuration mistake fails every record alike: the invocation fails instead of dropping them.
      this.#fail(error);
      return false;
    }
    if (isRetryable(error)) {
      // Skipping or dead-lettering a record because a dependency blinked would lose it for good.
      this.logger.error('record failed with a retryable error; it will be retried', {
        ...locationOf(record),
        stage,
        error,
      });
      this.settings.policy.handBack(record, new RecordProcessingError(record, { cause: error }), this);
      this.#stopIfFailing();
      return false;
    }
    try {
      const goesOn = this.settings.policy.recordFailed({ record, error, stage }, this);
      // Logged and dropped is final: its key completes (a dead letter's once the broker has it).
      if (goesOn && this.settings.policyName === 'log') this.#claims?.done(record);
      this.#stopIfFailing();
      return goesOn;
    } catch (policyError) {
      // The policy itself failed (e.g. deadLetterTopic threw): stop every partition and fail.
      this.#fail(asError(policyError));
      return false;
    }
  }

  notDone(first: RecordLocation, count: number): void {
    if (count <= 0) return;
    this.verdict.summary.unprocessed += count;
    if (!this.#deadline.passed) return;
    if (!this.#deadlineLogged) {
      this.#deadlineLogged = true;
      this.logger.warn('deadline reached: no more records start, to leave time for the deliveries', {
        ...locationOf(first),
      });
    }
    this.settings.policy.handBack(first, new DeadlineExceededError(count), this);
    this.#abort.abort(new DeadlineExceededError(count));
  }

  lateProduce(error: LateProduceError): void {
    this.logger.error('produce() after its record finished; failing the invocation', { error });
    this.#fail(error);
  }

  // ── what policies may do ───────────────────────────────────────────────────────────────────────

  reportAt(location: RecordLocation): void {
    this.verdict.reportAt(location);
  }

  failWith(error: Error): void {
    this.verdict.failWith(error);
  }

  deadLetter({ record, error, stage }: RecordFailure): void {
    const { topic, message } = deadLetterOf(this.settings, { record, error, stage }, this.lambdaContext);
    // Logged once the broker has it: until then the record is not safe.
    this.#ledger!.send([message], record, 'dead-letter', () => {
      this.verdict.summary.deadLettered++;
      this.#claims?.delivered(record);
      this.logger.warn('record failed; sent to the dead-letter topic', {
        ...locationOf(record),
        stage,
        deadLetterTopic: topic,
        error: loggedError(error),
      });
    });
  }

  // ── what the end of the batch reports ──────────────────────────────────────────────────────────

  failedLate(record: AnyRecord, error: Error): void {
    this.verdict.summary.succeeded--;
    this.failed(record, error, 'deliver');
  }

  // ── stopping ───────────────────────────────────────────────────────────────────────────────────

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

  #finish(conclusion: Conclusion): void {
    const summary = this.verdict.summary;
    summary.durationMs = Date.now() - this.#started;
    reportBatchEnd(
      { logger: this.logger, logSummary: this.settings.logSummary, observer: this.observer },
      summary,
      conclusion,
    );
  }
}
