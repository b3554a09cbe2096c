import type { MessageBuilder } from '../contract/delivery.js';
import type { FailureStage } from '../contract/fates.js';
import type { LambdaContext } from '../contract/lambda.js';
import type { KafkaProducer, OutgoingMessage } from '../contract/producer.js';
import { headerBytesOf, type PartitionBatch } from '../event/event.js';
import type { ParsedHeaderBytes } from '../event/parsed-header-bytes.js';
import { type BatchGate, Veto } from '../middleware/batch-gate.js';
import type { BatchObserver } from '../middleware/instrumentation.js';
import type { Lanes } from '../ordering/lanes.js';
import type { RecordOutcomes } from '../outcomes/outcomes.js';
import { type KafkaRecord, recordOfParsedEvent } from '../record/record.js';
import { type PartitionScope, RecordContext } from '../record/record-context.js';
import { type PipelineResult, PROCESSING, RecordPipeline, SKIPPED } from '../record/record-pipeline.js';
import { asError, type LateProduceError, type RecordLocation } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { HandlerSettings } from './batch-settings.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** What a partition's runner needs from its batch. Records are named by their slot in the batch. */
export interface PartitionHost {
  readonly settings: HandlerSettings;
  readonly observer: BatchObserver;
  readonly logger: Logger;
  readonly lambdaContext: LambdaContext;
  readonly outcomes: RecordOutcomes;
  /** Aborted at the deadline's stop time, or when the batch stops. */
  readonly signal: AbortSignal;
  /** The batch's signal has fired (read without making the signal). */
  readonly aborted: boolean;
  /** The batch stopped (a fatal error, or a failure that fails the invocation): start nothing more. */
  readonly stopped: boolean;
  /** The deadline's stop time has passed. */
  readonly pastStopTime: boolean;
  succeeded(slot: number, record: AnyRecord, messages: readonly OutgoingMessage[] | undefined): void;
  skipped(slot: number, record: AnyRecord): void;
  /** A middleware found the record processed already (an idempotency key completed): it does not run. */
  alreadyProcessed(slot: number, record: AnyRecord): void;
  /** Applies the policy; returns whether the partition goes on. */
  failed(slot: number, record: AnyRecord, error: Error, stage: FailureStage): boolean;
  /**
   * The records of partition `partition` from `index` on (`first` is the one there) were not done;
   * with `lanes`, only the records of `index`'s lane from it on.
   */
  notDone(partition: number, index: number, first: RecordLocation, lanes?: Lanes): void;
  /** A record's `produce()` came after it finished; `abandoned`: its partition was given up on. */
  lateProduce(error: LateProduceError, abandoned: boolean): void;
}

/**
 * Runs records of one partition, one at a time: all of them in offset order (`ordering: 'partition'`),
 * or lane after lane taken from the partition's {@link Lanes}, which other runners of the partition
 * take from too (`'key'`, `'none'`). The batch may abandon it (a `process` that overran the
 * deadline): from then on the runner touches nothing of the batch.
 */
export class PartitionRunner implements PartitionScope {
  readonly #partition: PartitionBatch;
  /** The partition's place in the batch. */
  readonly #index: number;
  /** The slot of its first record in the batch's outcomes. */
  readonly #base: number;
  readonly #host: PartitionHost;
  readonly #pipeline: RecordPipeline;
  readonly #producer: KafkaProducer | undefined;
  /** The header bytes parseKafkaEvent copied for this partition, if any record had headers. */
  readonly #headerBytes: ParsedHeaderBytes | undefined;
  /** What the batch's middleware decided per record, and the records they decoded ahead. */
  readonly #gate: BatchGate | undefined;
  /** The partition's lanes, shared with its other runners; undefined: the whole partition in offset order. */
  readonly #lanes: Lanes | undefined;
  #signal: AbortSignal | undefined;
  /** Index of the record in hand; -1 when it holds none (a lanes runner between lanes, or done). */
  #at: number;
  /** The record whose pipeline is running, if any, and its context. */
  #current: AnyRecord | undefined;
  #currentContext: RecordContext | undefined;
  #done = false;
  #abandoned = false;

  constructor(
    partition: PartitionBatch,
    index: number,
    host: PartitionHost,
    gate?: BatchGate,
    lanes?: Lanes,
  ) {
    this.#partition = partition;
    this.#lanes = lanes;
    this.#at = lanes || partition.records.length === 0 ? -1 : 0;
    this.#index = index;
    this.#base = host.outcomes.baseOf(index);
    this.#host = host;
    this.#gate = gate;
    this.#pipeline = new RecordPipeline(host.settings, host.observer);
    this.#producer = host.settings.producer;
    this.#headerBytes = headerBytesOf(partition);
  }

  get logger(): Logger {
    return this.#host.logger;
  }

  get lambdaContext(): LambdaContext {
    return this.#host.lambdaContext;
  }

  get delivery(): MessageBuilder | undefined {
    return this.#host.settings.delivery;
  }

  /** The runner's own signal, a child of the batch's. */
  get signal(): AbortSignal {
    this.#signal ??= AbortSignal.any([this.#host.signal]);
    return this.#signal;
  }

  lateProduce(error: LateProduceError): void {
    this.#host.lateProduce(error, this.#abandoned);
  }

  /**
   * The batch gives up waiting for this partition: the record still running is abandoned (its
   * `produce()` calls from now on are late, and loud), the rest are not done.
   */
  abandon(): void {
    if (this.#done || this.#abandoned) return;
    this.#abandoned = true;
    const at = this.#at;
    if (this.#current) {
      this.#host.observer.recordEnd?.(this.#current, 'unprocessed');
      this.#host.outcomes.abandon(this.#base + at);
      RecordContext.end(this.#currentContext!);
    }
    this.#notDoneFrom(at);
  }

  /** The batch stops: the rest of the lane (or partition) from `index`, and every lane nobody took, are not done. */
  #notDoneFrom(index: number): void {
    const records = this.#partition.records;
    const lanes = this.#lanes;
    if (index >= 0) this.#host.notDone(this.#index, index, records[index]!, lanes);
    if (!lanes) return;
    for (let head = lanes.take(); head >= 0; head = lanes.take())
      this.#host.notDone(this.#index, head, records[head]!, lanes);
  }

  /** The record to run after `index`: the next of its lane (or partition), else the first of a lane nobody took. */
  #after(index: number): number {
    const lanes = this.#lanes;
    if (!lanes) return index + 1 < this.#partition.records.length ? index + 1 : -1;
    const next = lanes.after(index);
    return next >= 0 ? next : lanes.take();
  }

  /** A failure stops the rest of its lane (or partition); a lanes runner goes on with another lane. */
  #laneStopped(index: number): number {
    const lanes = this.#lanes;
    const records = this.#partition.records;
    const next = lanes ? lanes.after(index) : index + 1 < records.length ? index + 1 : -1;
    if (next >= 0) this.#host.notDone(this.#index, next, records[next]!, lanes);
    return lanes ? lanes.take() : -1;
  }

  async run(): Promise<void> {
    try {
      await this.#runRecords();
    } finally {
      this.#done = true;
    }
  }

  async #runRecords(): Promise<void> {
    const host = this.#host;
    const { records } = this.#partition;
    const observer = host.observer;
    const outcomes = host.outcomes;
    const lanes = this.#lanes;
    let i = lanes ? lanes.take() : this.#at;
    while (i >= 0) {
      this.#at = i;
      if (this.#abandoned) return;
      if (host.stopped || host.pastStopTime) return this.#notDoneFrom(i);
      const slot = this.#base + i;
      const veto = this.#gate ? this.#gate.vetoAt(slot) : Veto.none;
      // Handed back by a middleware (in progress elsewhere): the partition (or the key) stops here.
      if (veto === Veto.handBack) {
        host.notDone(this.#index, i, records[i]!, lanes);
        i = lanes ? lanes.take() : -1;
        continue;
      }
      const decoded = this.#gate?.decodedAt(slot);
      const record = decoded ?? recordOfParsedEvent(records[i]!, this.#headerBytes, i);
      if (veto === Veto.skip) {
        host.alreadyProcessed(slot, record);
        i = this.#after(i);
        continue;
      }
      const context = new RecordContext(record, this);
      outcomes.start(slot);
      observer.recordStart?.(record);
      this.#current = record;
      this.#currentContext = context;
      let result: PipelineResult;
      try {
        const pending = this.#pipeline.run(record, context, decoded !== undefined);
        const step = pending instanceof Promise ? await pending : pending;
        if (step === PROCESSING) {
          // An async process: awaited here, without a promise chained to it per record.
          await this.#pipeline.takeProcessing();
          const finished = this.#pipeline.finish(record, context);
          result = finished instanceof Promise ? await finished : finished;
        } else result = step;
        // Back-pressure: the producer holds messages it could not queue; wait for room before adding more.
        if (result !== SKIPPED && result !== undefined && (this.#producer?.backlog ?? 0) > 0) {
          await this.#producer!.whenWritable!(this.signal);
        }
      } catch (error) {
        RecordContext.end(context);
        if (this.#abandoned) return;
        this.#current = undefined;
        this.#currentContext = undefined;
        // Decided by state, not by the error's shape: whatever a process() cut off by the deadline
        // (or by the batch stopping) rejects with, its record was not done, not failed.
        if (this.#host.aborted) {
          observer.recordEnd?.(record, 'unprocessed');
          return this.#notDoneFrom(i);
        }
        const goesOn = host.failed(slot, record, asError(error), RecordContext.stageOf(context));
        i = goesOn ? this.#after(i) : this.#laneStopped(i);
        continue;
      }
      if (this.#abandoned) return;
      this.#current = undefined;
      this.#currentContext = undefined;
      if (result === SKIPPED) host.skipped(slot, record);
      else host.succeeded(slot, record, result);
      i = this.#after(i);
    }
    this.#at = -1;
  }
}
