import type { FailureStage } from '../contract/fates.js';
import type { BatchItemFailures } from '../contract/lambda.js';
import type { KafkaRecord } from '../record/record.js';
import type { RecordLocation } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** A record that failed for good: bad bytes, a throw in `process`, a serializer, an undeliverable output. */
export interface RecordFailure {
  readonly record: KafkaRecord<unknown, unknown>;
  readonly error: Error;
  readonly stage: FailureStage;
}

/** What a policy may do to the batch it decides for. */
export interface PolicyBatch {
  /** The invocation's logger (every line carries the request id). */
  readonly logger: Logger;
  /** Hands this record, and the rest of its partition, back to the ESM in `batchItemFailures`. */
  reportAt(location: RecordLocation): void;
  /** Fails the invocation with `error` (the first one given wins) once every partition has stopped. */
  failWith(error: Error): void;
  /** Sends the failed record to its dead-letter topic; logged once the broker acknowledged it. */
  deadLetter(failure: RecordFailure): void;
}

/**
 * One `onError` policy. Adding a policy is adding a file that implements this and naming it in
 * `policies/index.ts`.
 */
export interface FailurePolicy {
  /** A record failed for good. Returns whether the rest of its partition goes on. */
  recordFailed(failure: RecordFailure, batch: PolicyBatch): boolean;
  /**
   * The record at `location` was not done and must come again (the deadline came, a retryable
   * error, a delivery that may succeed later): `reason` says why.
   */
  handBack(location: RecordLocation, reason: Error, batch: PolicyBatch): void;
  /** What the invocation returns when nothing failed it. */
  result(reported: readonly RecordLocation[]): BatchItemFailures | undefined;
}

/** How every policy but `report` hands a record back: by failing the invocation, so the whole batch comes again. */
export const failTheInvocation: Pick<FailurePolicy, 'handBack' | 'result'> = {
  handBack(_location, reason, batch) {
    batch.failWith(reason);
  },
  result() {
    return undefined;
  },
};

/** Where a failure happened, for log lines. */
export function whereOf({ record, stage }: RecordFailure): Record<string, unknown> {
  return { topic: record.topic, partition: record.partition, offset: record.offset, stage };
}
