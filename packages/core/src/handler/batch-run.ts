import {
  asError,
  DeadlineExceededError,
  DeliveryError,
  FlushTimeoutError,
  isRetryable,
  locationOf,
  messageOf,
  RecordDecodeError,
  type RecordLocation,
  RecordProcessingError,
} from '../errors.js';
import type { PartitionBatch } from '../event.js';
import type { Logger } from '../logger.js';
import type { DeliveryCallback, KafkaProducer, OutgoingMessage } from '../producer/types.js';
import { KafkaRecord } from '../record.js';
import type { Deserializer, EsmSchemaMetadata, MessagePart } from '../serde.js';
import { deadLetterMessage, type FailureStage } from './dead-letter.js';
import type { Deadline } from './deadline.js';
import { toOutgoingMessage } from './outgoing-message.js';
import { RecordDeserializeContext, RecordScope } from './record-scope.js';
import type {
  BatchItemFailures,
  BatchSummary,
  ErrorPolicy,
  KafkaHandlerHooks,
  LambdaContext,
} from './types.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** The handler's options after defaults, shared by every invocation. */
export interface HandlerSettings {
  readonly keyDeserializer: Deserializer<unknown>;
  /** The key deserializer is synchronous: decode keys on first read instead of for every record. */
  readonly lazyKeys: boolean;
  readonly valueDeserializer: Deserializer<unknown>;
  readonly process: (record: AnyRecord, context: RecordScope) => void | Promise<void>;
  readonly policy: ErrorPolicy;
  readonly deadLetterTopic: string | ((record: AnyRecord, error: Error) => string) | undefined;
  readonly producer: KafkaProducer | undefined;
  readonly partitionConcurrency: number;
  readonly skipTombstones: boolean;
  readonly logger: Logger;
  readonly logSummary: boolean;
  readonly hooks: KafkaHandlerHooks<unknown, unknown>;
}

interface DeliveryFailure {
  readonly topic: string;
  readonly source: RecordLocation;
  readonly error: Error;
}

/** One invocation: runs the partitions, flushes once, and turns what happened into the Lambda result. */
export class BatchRun {
  readonly summary: BatchSummary = {
    records: 0,
    succeeded: 0,
    failed: 0,
    deadLettered: 0,
    skipped: 0,
    unprocessed: 0,
    produced: 0,
    reported: 0,
    flushMs: 0,
    durationMs: 0,
  };
  readonly #settings: HandlerSettings;
  readonly #context: LambdaContext;
  readonly #deadline: Deadline;
  readonly #started = Date.now();
  /** Messages sent in this batch, and those still awaiting their delivery report (counted, not kept as promises). */
  #sent = 0;
  #unconfirmed = 0;
  #onAllConfirmed: (() => void) | undefined;
  readonly #deliveryFailures: DeliveryFailure[] = [];
  /** First offset to hand back per partition under `report`. */
  readonly #reportFrom = new Map<string, RecordLocation>();
  #abort: RecordProcessingError | undefined;
  /** An error outside any record's policy: the invocation fails. */
  #fatal: Error | undefined;
  #deadlineHit = false;
  #controller: AbortController | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;

  /** Decodes a key when `process` first reads it; a failure surfaces there as a {@link RecordDecodeError}. */
  readonly #decodeKeyOnRead = (record: AnyRecord): unknown => {
    try {
      const context = new RecordDeserializeContext().describe(record, 'key', record.keySchemaMetadata);
      return this.#settings.keyDeserializer.deserialize(record.rawKey!, context);
    } catch (error) {
      throw decodeError(record, 'key', error);
    }
  };

  constructor(settings: HandlerSettings, context: LambdaContext, deadline: Deadline) {
    this.#settings = settings;
    this.#context = context;
    this.#deadline = deadline;
  }

  async run(partitions: PartitionBatch[]): Promise<BatchItemFailures | undefined> {
    for (const partition of partitions) this.summary.records += partition.records.length;
    try {
      await this.#runPartitions(partitions);
    } finally {
      clearTimeout(this.#deadlineTimer);
    }
    const flushError = await this.#flush();
    this.summary.durationMs = Date.now() - this.#started;
    this.#report();
    if (flushError) throw flushError;
    if (this.#fatal) throw this.#fatal;
    return this.#result();
  }

  async #runPartitions(partitions: PartitionBatch[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < partitions.length && !this.#fatal) {
        try {
          await this.#runPartition(partitions[next++]!);
        } catch (error) {
          // A failure of the policy itself (e.g. deadLetterTopic threw): stop every partition, then
          // fail the invocation once all of them have stopped, so nothing runs after we return.
          this.#fatal ??= asError(error);
        }
      }
    };
    const workers = Math.min(this.#settings.partitionConcurrency, partitions.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }

  async #runPartition({ records }: PartitionBatch): Promise<void> {
    const { logger, producer } = this.#settings;
    const scope = new RecordScope(logger, this.#context, producer !== undefined, () => this.#signal());
    for (let i = 0; i < records.length; i++) {
      if (this.#abort || this.#fatal) return this.#skipRest(records.length - i);
      if (this.#deadline.passed) return this.#stopAtDeadline(records[i]!, records.length - i);
      const record = new KafkaRecord<unknown, unknown>(records[i]!);
      scope.begin();
      try {
        const pending = this.#handle(record, scope);
        if (pending !== undefined) await pending;
      } catch (error) {
        scope.end();
        // process() gave up because the deadline guard aborted its signal: the record is unprocessed,
        // not failed (as a failure it could be logged and dropped, or dead-lettered although it is fine).
        if (this.#abortedByDeadline(error)) return this.#stopAtDeadline(record, records.length - i);
        if (!this.#onFailure(record, asError(error), scope.stage))
          return this.#skipRest(records.length - i - 1);
      }
    }
  }

  /**
   * Decode, process, produce: synchronous unless a step returns a promise, so plain batches never
   * await (and allocate no closure).
   */
  #handle(record: AnyRecord, scope: RecordScope): Promise<void> | undefined {
    const raw = record.toEventRecord();
    if (raw.key !== null && raw.key !== undefined) {
      if (this.#settings.lazyKeys) {
        record.decodeKeyLazily(this.#decodeKeyOnRead);
        return this.#afterKey(record, scope);
      }
      const key = this.#decode(record, 'key', raw.keySchemaMetadata, scope);
      if (key instanceof Promise) {
        return key.then((decoded) => {
          record.key = decoded;
          return this.#afterKey(record, scope);
        });
      }
      record.key = key;
    }
    return this.#afterKey(record, scope);
  }

  #afterKey(record: AnyRecord, scope: RecordScope): Promise<void> | undefined {
    const raw = record.toEventRecord();
    if (raw.value === null) {
      if (this.#settings.skipTombstones) {
        scope.end();
        this.summary.skipped++;
        return undefined;
      }
      record.value = null;
      return this.#invoke(record, scope);
    }
    const value = this.#decode(record, 'value', raw.valueSchemaMetadata, scope);
    if (value instanceof Promise) {
      return value.then((decoded) => {
        record.value = decoded;
        return this.#invoke(record, scope);
      });
    }
    record.value = value;
    return this.#invoke(record, scope);
  }

  #invoke(record: AnyRecord, scope: RecordScope): Promise<void> | undefined {
    scope.stage = 'process';
    const result = this.#settings.process(record, scope);
    if (result instanceof Promise) return result.then(() => this.#commit(record, scope));
    return this.#commit(record, scope);
  }

  /** The record succeeded: send what it produced. */
  #commit(record: AnyRecord, scope: RecordScope): Promise<void> | undefined {
    scope.stage = 'produce';
    const staged = scope.end();
    if (staged === undefined) {
      this.summary.succeeded++;
      return undefined;
    }
    // Serialize every message before sending any: a serializer failure fails the record with nothing sent.
    const messages: Array<OutgoingMessage | Promise<OutgoingMessage>> = new Array(staged.length);
    let waiting = false;
    for (let i = 0; i < staged.length; i++) {
      const message = toOutgoingMessage(staged[i]!);
      if (message instanceof Promise) waiting = true;
      messages[i] = message;
    }
    if (waiting) return Promise.all(messages).then((ready) => this.#sendAll(ready, record));
    this.#sendAll(messages as OutgoingMessage[], record);
    return undefined;
  }

  #sendAll(messages: OutgoingMessage[], source: AnyRecord): void {
    const confirm = this.#confirmation(source);
    for (const message of messages) this.#send(message, confirm);
    this.summary.succeeded++;
  }

  #send(message: OutgoingMessage, confirm: DeliveryCallback): void {
    const producer = this.#settings.producer!;
    this.#sent++;
    this.#unconfirmed++;
    if (producer.enqueue) producer.enqueue(message, confirm);
    else
      producer.send(message).then(
        (report) => confirm(undefined, report, message),
        (error) => confirm(asError(error), undefined, message),
      );
  }

  /** One callback per source record, shared by the messages it produced. */
  #confirmation(source: AnyRecord): DeliveryCallback {
    return (error, _report, message) => {
      if (error) this.#deliveryFailures.push({ topic: message.topic, source: locationOf(source), error });
      else this.summary.produced++;
      if (--this.#unconfirmed === 0) this.#onAllConfirmed?.();
    };
  }

  #decode(
    record: AnyRecord,
    part: MessagePart,
    schemaMetadata: EsmSchemaMetadata | undefined,
    scope: RecordScope,
  ): unknown {
    const { keyDeserializer, valueDeserializer } = this.#settings;
    try {
      const bytes = part === 'key' ? record.rawKey! : record.rawValue!;
      const deserializer = part === 'key' ? keyDeserializer : valueDeserializer;
      const result = deserializer.deserialize(
        bytes,
        scope.deserializeContext.describe(record, part, schemaMetadata),
      );
      return result instanceof Promise
        ? result.catch((error) => Promise.reject(decodeError(record, part, error)))
        : result;
    } catch (error) {
      throw decodeError(record, part, error);
    }
  }

  /** Whether `error` is process() giving up because the deadline guard aborted its signal. */
  #abortedByDeadline(error: unknown): boolean {
    const signal = this.#controller?.signal;
    if (!signal?.aborted || !(signal.reason instanceof DeadlineExceededError)) return false;
    const candidate = error as { name?: unknown; cause?: unknown } | null;
    return error === signal.reason || candidate?.cause === signal.reason || candidate?.name === 'AbortError';
  }

  /** Applies the error policy. Returns whether the partition goes on. */
  #onFailure(record: AnyRecord, error: Error, stage: FailureStage): boolean {
    const { policy, logger, hooks } = this.#settings;
    this.summary.failed++;
    try {
      hooks.onRecordError?.(error, record);
    } catch (hookError) {
      logger.warn('onRecordError hook threw', { error: asError(hookError) });
    }
    const where = { topic: record.topic, partition: record.partition, offset: record.offset, stage };
    if (isRetryable(error)) {
      // Skipping or dead-lettering a record because a dependency blinked would lose it for good.
      logger.error('record failed with a retryable error; it will be retried', { ...where, error });
      if (policy === 'report') this.#reportAt(record);
      else this.#abort ??= new RecordProcessingError(record, { cause: error });
      return false;
    }
    switch (policy) {
      case 'log':
        logger.error('record failed; continuing (onError: log)', { ...where, error });
        return true;
      case 'dead-letter': {
        const topic = this.#deadLetterTopic(record, error);
        const message = deadLetterMessage(topic, record, error, stage, this.#context.functionName);
        this.#send(message, this.#confirmation(record));
        this.summary.deadLettered++;
        logger.warn('record failed; sent to the dead-letter topic', {
          ...where,
          deadLetterTopic: topic,
          error,
        });
        return true;
      }
      case 'report':
        this.#reportAt(record);
        logger.error('record failed; reporting it so the partition resumes there (onError: report)', {
          ...where,
          error,
        });
        return false;
      case 'retry-batch':
        this.#abort ??= new RecordProcessingError(record, { cause: error });
        logger.error('record failed; failing the invocation to retry the batch (onError: retry-batch)', {
          ...where,
          error,
        });
        return false;
    }
  }

  #deadLetterTopic(record: AnyRecord, error: Error): string {
    const choice = this.#settings.deadLetterTopic!;
    return typeof choice === 'function' ? choice(record, error) : choice;
  }

  #stopAtDeadline(record: RecordLocation, remaining: number): void {
    if (!this.#deadlineHit) {
      this.#deadlineHit = true;
      this.#controller?.abort(new DeadlineExceededError(remaining));
      this.#settings.logger.warn('deadline reached: no more records start, to leave time for the flush', {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
      });
    }
    this.summary.unprocessed += remaining;
    if (this.#settings.policy === 'report') this.#reportAt(record);
  }

  #skipRest(count: number): void {
    this.summary.unprocessed += count;
  }

  #reportAt(location: RecordLocation): void {
    const key = `${location.topic}-${location.partition}`;
    const current = this.#reportFrom.get(key);
    if (!current || location.offset < current.offset) this.#reportFrom.set(key, locationOf(location));
  }

  #signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#deadlineHit) this.#controller.abort(new DeadlineExceededError(this.summary.unprocessed));
      else if (Number.isFinite(this.#deadline.stopAt)) {
        const controller = this.#controller;
        this.#deadlineTimer = setTimeout(
          () => controller.abort(new DeadlineExceededError(0)),
          this.#deadline.msUntilStop(),
        );
        this.#deadlineTimer.unref();
      }
    }
    return this.#controller.signal;
  }

  /** The one flush of the batch. Returns the error that must fail the invocation, if any. */
  async #flush(): Promise<Error | undefined> {
    const producer = this.#settings.producer;
    if (!producer || this.#sent === 0) return undefined;
    const started = Date.now();
    try {
      await producer.flush(this.#deadline.flushTimeoutMs());
      await this.#allConfirmed();
      return undefined;
    } catch (error) {
      this.#settings.logger.error('flush failed; failing the invocation so the batch is retried', { error });
      return asError(error);
    } finally {
      this.summary.flushMs = Date.now() - started;
    }
  }

  /** After a flush every report is due; a producer that never reports must not hang the invocation. */
  #allConfirmed(): Promise<void> {
    if (this.#unconfirmed === 0) return Promise.resolve();
    const timeoutMs = this.#deadline.flushTimeoutMs();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new FlushTimeoutError(timeoutMs, this.#unconfirmed)), timeoutMs);
      this.#onAllConfirmed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #report(): void {
    const { hooks, logger, logSummary } = this.#settings;
    if (this.#settings.policy === 'report') {
      for (const failure of this.#deliveryFailures) this.#reportAt(failure.source);
      this.summary.reported = this.#reportFrom.size;
    }
    if (logSummary) logger.info('kafka batch processed', { ...this.summary });
    try {
      hooks.onBatchEnd?.(this.summary);
    } catch (error) {
      logger.warn('onBatchEnd hook threw', { error: asError(error) });
    }
  }

  #result(): BatchItemFailures | undefined {
    const { policy } = this.#settings;
    if (this.#deliveryFailures.length > 0 && policy !== 'report')
      throw new DeliveryError(this.#deliveryFailures);
    if (this.#abort) throw this.#abort;
    if (policy === 'report') {
      const batchItemFailures = [...this.#reportFrom.values()].map(({ topic, partition, offset }) => ({
        itemIdentifier: { partition: `${topic}-${partition}`, offset },
      }));
      return { batchItemFailures };
    }
    if (this.#deadlineHit) throw new DeadlineExceededError(this.summary.unprocessed);
    return undefined;
  }
}

function decodeError(record: AnyRecord, part: MessagePart, error: unknown): RecordDecodeError {
  if (error instanceof RecordDecodeError) return error;
  return new RecordDecodeError(record, part, messageOf(error), { cause: error });
}
