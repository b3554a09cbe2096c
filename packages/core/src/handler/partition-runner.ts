import { asError, type LateProduceError, type RecordLocation } from '../errors.js';
import { headerBytesOf, type PartitionBatch } from '../event.js';
import type { Logger } from '../logger.js';
import type { ParsedHeaderBytes } from '../parsed-header-bytes.js';
import type { KafkaProducer, OutgoingMessage } from '../producer/types.js';
import { type KafkaRecord, recordOfParsedEvent } from '../record.js';
import { type BatchGate, Veto } from './batch-gate.js';
import type { FailureStage } from './dead-letter.js';
import type { BatchObserver } from './instrumentation.js';
import type { RecordOutcomes } from './outcomes.js';
import { type PartitionScope, RecordContext } from './record-context.js';
import { type PipelineResult, PROCESSING, RecordPipeline, SKIPPED } from './record-pipeline.js';
import type { HandlerSettings } from './settings.js';
import type { LambdaContext } from './types.js';

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
   * with `lane`, only the lane's records from its `index`-th on.
   */
  notDone(partition: number, index: number, first: RecordLocation, lane?: readonly number[]): void;
  /** A record's `produce()` came after it finished; `abandoned`: its partition was given up on. */
  lateProduce(error: LateProduceError, abandoned: boolean): void;
}

/**
 * Runs one partition's records in offset order, one at a time: all of them (`ordering: 'partition'`),
 * or one lane of them (the records of one key, or a single record under `'none'`). The batch may
 * abandon it (a `process` that overran the deadline): from then on the runner touches nothing of the batch.
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
  /** The indexes of the records it runs, in offset order; undefined: every record of the partition. */
  readonly #lane: readonly number[] | undefined;
  #signal: AbortSignal | undefined;
  /** Position (in the lane, or the partition) of the record in hand, or the length once done. */
  #at = 0;
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
    lane?: readonly number[],
  ) {
    this.#partition = partition;
    this.#lane = lane;
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

  get canProduce(): boolean {
    return this.#producer !== undefined;
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
    const lane = this.#lane;
    const at = lane ? lane[this.#at] : this.#at;
    if (this.#current) {
      this.#host.observer.recordEnd?.(this.#current, 'unprocessed');
      this.#host.outcomes.abandon(this.#base + at!);
      RecordContext.end(this.#currentContext!);
    }
    const first = at === undefined ? undefined : this.#partition.records[at];
    if (first) this.#host.notDone(this.#index, this.#at, first, lane);
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
    const partition = this.#index;
    const lane = this.#lane;
    const count = lane ? lane.length : records.length;
    for (let n = 0; n < count; n++) {
      this.#at = n;
      const i = lane ? lane[n]! : n;
      if (this.#abandoned) return;
      if (host.stopped || host.pastStopTime) return host.notDone(partition, n, records[i]!, lane);
      const slot = this.#base + i;
      const veto = this.#gate ? this.#gate.vetoAt(slot) : Veto.none;
      // Handed back by a middleware (in progress elsewhere): the partition (or the key) stops here.
      if (veto === Veto.handBack) return host.notDone(partition, n, records[i]!, lane);
      const decoded = this.#gate?.decodedAt(slot);
      const record = decoded ?? recordOfParsedEvent(records[i]!, this.#headerBytes, i);
      if (veto === Veto.skip) {
        host.alreadyProcessed(slot, record);
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
          return host.notDone(partition, n, record, lane);
        }
        if (!host.failed(slot, record, asError(error), RecordContext.stageOf(context))) {
          if (n + 1 < count) host.notDone(partition, n + 1, records[lane ? lane[n + 1]! : n + 1]!, lane);
          return;
        }
        continue;
      }
      if (this.#abandoned) return;
      this.#current = undefined;
      this.#currentContext = undefined;
      if (result === SKIPPED) host.skipped(slot, record);
      else host.succeeded(slot, record, result);
    }
    this.#at = count;
  }
}
