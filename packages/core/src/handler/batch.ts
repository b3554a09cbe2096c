import {
  asError,
  ConfigError,
  DeadlineExceededError,
  DeliveryError,
  isPermanentDeliveryError,
  isRetryable,
  KafkaLambdaError,
  type LateProduceError,
  locationOf,
  type RecordLocation,
  RecordProcessingError,
} from '../errors.js';
import type { KafkaEvent, PartitionBatch } from '../event.js';
import type { Logger } from '../logger.js';
import type { OutgoingMessage } from '../producer/types.js';
import type { KafkaRecord } from '../record.js';
import { type BatchVerdict, type Conclusion, BatchVerdict as Verdict } from './batch-verdict.js';
import { deadLetterMessage, type FailureStage } from './dead-letter.js';
import { Deadline } from './deadline.js';
import { type DeliveryFailure, DeliveryLedger } from './delivery-ledger.js';
import { type BatchObserver, observeBatch } from './instrumentation.js';
import { loggedError } from './logged-error.js';
import { retryOversizedAlone } from './oversized-retry.js';
import { type PartitionHost, PartitionRunner } from './partition-runner.js';
import type { PolicyBatch, RecordFailure } from './policies/policy.js';
import { requestLogger } from './request-logger.js';
import type { HandlerSettings } from './settings.js';
import type { BatchItemFailures, LambdaContext } from './types.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** The reason of a batch that ended before anyone took its signal; a real error is made on demand. */
const ENDED = new KafkaLambdaError('the invocation ended');

/**
 * One invocation: runs the partitions, waits once for the batch's own deliveries, and turns what
 * happened into the Lambda result. The policy decides per failed record; the ledger owns the wait.
 */
export class Batch implements PartitionHost, PolicyBatch {
  readonly settings: HandlerSettings;
  readonly lambdaContext: LambdaContext;
  readonly logger: Logger;
  readonly observer: BatchObserver;
  readonly #deadline: Deadline;
  readonly #verdict: BatchVerdict = new Verdict();
  readonly #ledger: DeliveryLedger | undefined;
  /** Made when someone takes the signal: most batches end without anyone listening. */
  #controller: AbortController | undefined;
  #abortReason: Error | undefined;
  readonly #started = Date.now();
  #deadlineLogged = false;

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
    let records = 0;
    for (const partition of partitions) records += partition.records.length;
    this.#verdict.summary.records = records;
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
    if (!this.#controller) {
      this.#controller = new AbortController();
      const reason =
        this.#abortReason === ENDED ? new KafkaLambdaError('the invocation ended') : this.#abortReason;
      if (reason) this.#controller.abort(reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#abortReason !== undefined;
  }

  get stopped(): boolean {
    return this.#verdict.stopped;
  }

  get pastStopTime(): boolean {
    return this.#deadline.passed;
  }

  async run(partitions: PartitionBatch[]): Promise<BatchItemFailures | undefined> {
    let conclusion: Conclusion;
    try {
      await this.#runPartitions(partitions);
      if (this.#ledger) await this.#settleDeliveries(this.#ledger);
      conclusion = this.#verdict.conclude(this.settings.policy);
    } catch (error) {
      conclusion = { error: asError(error) };
    } finally {
      this.#ledger?.close();
      // An error (and its stack) only when a signal was handed out; a later reader gets one then.
      if (!this.aborted) {
        if (this.#controller) this.#abort(new KafkaLambdaError('the invocation ended'));
        else this.#abortReason = ENDED;
      }
    }
    this.#finish(conclusion);
    if (conclusion.error) throw conclusion.error;
    return conclusion.result;
  }

  // ── what partitions report ─────────────────────────────────────────────────────────────────────

  succeeded(record: AnyRecord, messages: readonly OutgoingMessage[] | undefined): void {
    this.#verdict.summary.succeeded++;
    this.observer.recordEnd?.(record, 'succeeded');
    if (messages && messages.length > 0) this.#ledger!.send(messages, record, 'output');
  }

  skipped(record: AnyRecord): void {
    this.#verdict.summary.skipped++;
    this.observer.recordEnd?.(record, 'skipped');
  }

  failed(record: AnyRecord, error: Error, stage: FailureStage): boolean {
    this.#verdict.summary.failed++;
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
    this.#verdict.summary.unprocessed += count;
    if (!this.#deadline.passed) return;
    if (!this.#deadlineLogged) {
      this.#deadlineLogged = true;
      this.logger.warn('deadline reached: no more records start, to leave time for the deliveries', {
        ...locationOf(first),
      });
    }
    this.settings.policy.handBack(first, new DeadlineExceededError(count), this);
    if (!this.aborted) this.#abort(new DeadlineExceededError(count));
  }

  lateProduce(error: LateProduceError): void {
    this.logger.error('produce() after its record finished; failing the invocation', { error });
    this.#fail(error);
  }

  // ── what policies may do ───────────────────────────────────────────────────────────────────────

  reportAt(location: RecordLocation): void {
    this.#verdict.reportAt(location);
  }

  failWith(error: Error): void {
    this.#verdict.failWith(error);
  }

  deadLetter({ record, error, stage }: RecordFailure): void {
    const choice = this.settings.deadLetterTopic!;
    const topic = typeof choice === 'function' ? choice(record, error) : choice;
    const maxBytes = this.settings.producer?.maxMessageBytes;
    const message = deadLetterMessage(
      topic,
      record,
      error,
      stage,
      this.lambdaContext?.functionName,
      maxBytes,
    );
    // Logged once the broker has it: until then the record is not safe.
    this.#ledger!.send([message], record, 'dead-letter', () => {
      this.#verdict.summary.deadLettered++;
      this.logger.warn('record failed; sent to the dead-letter topic', {
        ...locationOf(record),
        stage,
        deadLetterTopic: topic,
        error: loggedError(error),
      });
    });
  }

  // ── the invocation's phases ────────────────────────────────────────────────────────────────────

  async #runPartitions(partitions: PartitionBatch[]): Promise<void> {
    const deadline = this.#deadline;
    const runners = partitions.map((partition) => new PartitionRunner(partition, this));
    let next = 0;
    const worker = async () => {
      while (next < runners.length) await runners[next++]!.run();
    };
    const workers = Math.min(this.settings.partitionConcurrency, runners.length);
    const all = Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
    if (!deadline.bounded) return all;
    // One timer per batch: at the stop time it aborts, then arms the give-up point. A process() that
    // ignores its signal must not take the invocation into Lambda's timeout: past half the reserve,
    // its partition is given up (its record is not done) and the batch ends.
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<'overrun'>((resolve) => {
      const untilStop = deadline.msUntilStop();
      const untilGiveUp = (untilStop + deadline.msUntilEnd()) / 2;
      timer = setTimeout(() => {
        this.#abort(new DeadlineExceededError(0));
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

  /** Waits for this batch's deliveries; an output the broker refused for good fails its record instead. */
  async #settleDeliveries(ledger: DeliveryLedger): Promise<void> {
    if (ledger.sent === 0) return;
    const summary = this.#verdict.summary;
    // Dead letters of records whose outputs were refused need one more wait.
    for (let round = 0; round < 2; round++) {
      const settled = await ledger.settle(this.#deadline);
      const outcome = settled.incomplete
        ? settled
        : await retryOversizedAlone(settled.failures, ledger, this.#deadline);
      const durationMs = settled.durationMs + (settled === outcome ? 0 : outcome.durationMs);
      summary.flushMs += durationMs;
      const incomplete = settled.incomplete ?? outcome.incomplete;
      this.observer.flush?.({ messages: ledger.sent, durationMs, error: incomplete });
      const sentBefore = ledger.sent;
      for (const failure of outcome.failures) this.#deliveryFailed(failure);
      if (incomplete) {
        // The producer's own reason (e.g. it could not connect) says more than "timed out".
        const cause = outcome.failures.find((f) => f.error.name === 'ProducerConnectionError')?.error;
        this.#verdict.incomplete(cause ?? incomplete);
        this.logger.error(
          'deliveries did not finish in time; failing the invocation so the batch is retried',
          {
            error: cause ?? incomplete,
          },
        );
        break;
      }
      if (ledger.sent === sentBefore) break;
    }
    summary.produced = ledger.delivered;
  }

  #deliveryFailed(failure: DeliveryFailure): void {
    const { source, kind, error } = failure;
    const { topic } = failure.message;
    if (kind === 'output' && isPermanentDeliveryError(error)) {
      // Retrying cannot deliver it: it is its record's failure, under the record's policy.
      this.#verdict.summary.succeeded--;
      this.failed(source, error, 'deliver');
      return;
    }
    if (kind === 'dead-letter') {
      this.logger.error('a dead letter was not delivered; failing the invocation so the record is retried', {
        ...locationOf(source),
        deadLetterTopic: topic,
        error,
      });
      this.#verdict.failWith(new DeliveryError([{ topic, source: locationOf(source), error }]));
      return;
    }
    this.settings.policy.handBack(
      source,
      new DeliveryError([{ topic, source: locationOf(source), error }]),
      this,
    );
  }

  /** An error outside any record's policy: every partition stops, the invocation fails. */
  #fail(error: Error): void {
    this.#verdict.fatal(error);
    this.#abort(error);
  }

  #abort(reason: Error): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  /** A policy failed the invocation: running records are told through their signal. */
  #stopIfFailing(): void {
    if (this.#verdict.stopped && !this.aborted) {
      this.#abort(new KafkaLambdaError('the batch stopped: another record failed the invocation'));
    }
  }

  #finish(conclusion: Conclusion): void {
    const summary = this.#verdict.summary;
    summary.durationMs = Date.now() - this.#started;
    const { error } = conclusion;
    if (error) {
      this.logger.error('kafka batch failed; the event source mapping will retry it', {
        ...summary,
        error: { name: error.name, message: error.message },
      });
    } else if (this.settings.logSummary) {
      this.logger.info('kafka batch processed', { ...summary });
    }
    this.observer.end?.({ summary, error, result: conclusion.result });
  }
}
