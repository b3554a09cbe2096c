import type { BatchItemFailures, BatchSummary, LambdaContext } from '../contract/lambda.js';
import type { OutgoingMessage } from '../contract/producer.js';
import type { PartitionBatch } from '../event/event.js';
import type { KafkaRecord } from '../record/record.js';
import { asError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/**
 * How a record ended: its `process` succeeded, it failed (and its policy acted), it was a skipped
 * tombstone, it never ran, or it did not run because an earlier invocation completed it (`idempotency`).
 */
export type RecordOutcome = 'succeeded' | 'failed' | 'skipped' | 'unprocessed' | 'already-processed';

/** What an invocation is about to process. */
export interface BatchStart {
  readonly partitions: readonly PartitionBatch[];
  readonly records: number;
  readonly context: LambdaContext;
  /** `aws:kafka`, `SelfManagedKafka`, … as the event says. */
  readonly eventSource: string;
  readonly bootstrapServers?: string | undefined;
}

/** The batch's one wait for its own delivery reports. */
export interface FlushReport {
  readonly messages: number;
  readonly durationMs: number;
  readonly error?: Error | undefined;
}

/** How an invocation ended: the summary, and the error it fails with or the result it returns. */
export interface BatchEnd {
  readonly summary: Readonly<BatchSummary>;
  readonly error?: Error | undefined;
  readonly result?: BatchItemFailures | undefined;
}

/**
 * Observes one invocation. Every member is optional; one that throws is logged and ignored (except
 * `runRecord` and `produce`, which sit on the record's path: their errors fail the record).
 */
export interface BatchObserver {
  recordStart?(record: AnyRecord): void;
  /** Runs the record's decode and `process` (e.g. inside a tracing span); must call `run` once and return its result. */
  runRecord?<T>(record: AnyRecord, run: () => T): T;
  /**
   * A record's final outcome, at most once per record: `succeeded` once every output it produced is
   * acknowledged (at once when it produced nothing), `failed` when its policy acts (an output
   * refused for good fails it then). A record the invocation leaves without a final outcome (its
   * outputs unconfirmed when the batch failed) gets none: `end` closes the batch.
   */
  recordEnd?(record: AnyRecord, outcome: RecordOutcome, error?: Error): void;
  /** Sees every message a record produced before it is sent; may return a copy with headers added (trace context). */
  produce?(message: OutgoingMessage, source: AnyRecord): OutgoingMessage;
  flush?(report: FlushReport): void;
  end?(end: BatchEnd): void;
}

/** What starts an observer: a middleware's `startBatch` (see `Instrumentation`). */
interface Observing {
  startBatch(batch: BatchStart): BatchObserver | undefined;
}

/** No observer at all: the handler's hot path checks members for undefined and skips them. */
const NOTHING: BatchObserver = Object.freeze({});

/** Starts every instrumentation for one invocation and merges their observers into one. */
export function observeBatch(
  instrumentations: readonly Observing[],
  batch: BatchStart,
  logger: Logger,
): BatchObserver {
  const observers: BatchObserver[] = [];
  for (const instrumentation of instrumentations) {
    const observer = guard(logger, 'startBatch', () => instrumentation.startBatch(batch));
    if (observer) observers.push(observer);
  }
  if (observers.length === 0) return NOTHING;
  if (observers.length === 1 && observers[0]) return shielded(observers[0], logger);
  return merged(observers, logger);
}

function merged(observers: readonly BatchObserver[], logger: Logger): BatchObserver {
  const all = observers.map((observer) => shielded(observer, logger));
  const having = <M extends keyof BatchObserver>(member: M) =>
    all.filter((o) => o[member] !== undefined) as Array<Required<Pick<BatchObserver, M>>>;
  const result: BatchObserver = {};
  const starts = having('recordStart');
  if (starts.length) {
    result.recordStart = (record) => {
      for (const o of starts) o.recordStart(record);
    };
  }
  const runs = having('runRecord');
  if (runs.length) {
    result.runRecord = <T>(record: AnyRecord, run: () => T): T =>
      runs.reduceRight<() => T>((next, o) => () => o.runRecord(record, next), run)();
  }
  const ends = having('recordEnd');
  if (ends.length) {
    result.recordEnd = (record, outcome, error) => {
      for (const o of ends) o.recordEnd(record, outcome, error);
    };
  }
  const produces = having('produce');
  if (produces.length) {
    result.produce = (message, source) =>
      produces.reduce((current, o) => o.produce(current, source), message);
  }
  const flushes = having('flush');
  if (flushes.length) {
    result.flush = (report) => {
      for (const o of flushes) o.flush(report);
    };
  }
  const batchEnds = having('end');
  if (batchEnds.length) {
    result.end = (end) => {
      for (const o of batchEnds) o.end(end);
    };
  }
  return result;
}

/** Wraps the observer's notifications so that a throwing one is logged, never fatal. */
function shielded(observer: BatchObserver, logger: Logger): BatchObserver {
  const result: BatchObserver = {};
  if (observer.recordStart) {
    const call = observer.recordStart.bind(observer);
    result.recordStart = (record) => guard(logger, 'recordStart', () => call(record));
  }
  if (observer.runRecord) result.runRecord = observer.runRecord.bind(observer);
  if (observer.recordEnd) {
    const call = observer.recordEnd.bind(observer);
    result.recordEnd = (record, outcome, error) =>
      guard(logger, 'recordEnd', () => call(record, outcome, error));
  }
  if (observer.produce) result.produce = observer.produce.bind(observer);
  if (observer.flush) {
    const call = observer.flush.bind(observer);
    result.flush = (report) => guard(logger, 'flush', () => call(report));
  }
  if (observer.end) {
    const call = observer.end.bind(observer);
    result.end = (end) => guard(logger, 'end', () => call(end));
  }
  return result;
}

/**
 * Runs a notification; a throw is logged and ignored, and so is a rejection of a promise it returns
 * (an async hook): left alone, that would be an unhandled rejection, which ends Lambda's Node process.
 */
function guard<T>(logger: Logger, member: string, call: () => T): T | undefined {
  try {
    const result = call();
    if (isThenable(result)) {
      result.then(undefined, (error: unknown) =>
        logger.warn(`instrumentation ${member} rejected; ignored`, { error: asError(error) }),
      );
      // startBatch must answer an observer, not a promise of one.
      return member === 'startBatch' ? undefined : result;
    }
    return result;
  } catch (error) {
    logger.warn(`instrumentation ${member} threw; ignored`, { error: asError(error) });
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
