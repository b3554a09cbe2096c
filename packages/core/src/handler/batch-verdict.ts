import { DeadlineExceededError, DeliveryError, locationOf, type RecordLocation } from '../errors.js';
import type { FailurePolicy } from './policies/policy.js';
import type { BatchItemFailures, BatchSummary } from './types.js';

type DeliveryFailureEntry = DeliveryError['failures'][number];

/** How an invocation ends: the error it fails with, or what it returns. */
export interface Conclusion {
  readonly error?: Error | undefined;
  readonly result?: BatchItemFailures | undefined;
}

/**
 * Everything that decides an invocation's outcome, gathered while it runs: its counts, the records
 * handed back to the ESM, and the errors that fail it, in the order they outrank each other.
 */
export class BatchVerdict {
  readonly summary: BatchSummary = {
    records: 0,
    succeeded: 0,
    failed: 0,
    deadLettered: 0,
    skipped: 0,
    unprocessed: 0,
    produced: 0,
    reported: 0,
    alreadyProcessed: 0,
    flushMs: 0,
    durationMs: 0,
  };
  /** First offset handed back per partition. */
  readonly #reported = new Map<string, RecordLocation>();
  /** Outside any record's policy (configuration, a policy that threw, a late produce). */
  #fatal: Error | undefined;
  /** The batch's deliveries did not all finish (deadline, connection). */
  #incomplete: Error | undefined;
  readonly #deliveryFailures: DeliveryFailureEntry[] = [];
  /** The first record-level error that fails the invocation (retry-batch, retryable errors, the deadline). */
  #failure: Error | undefined;

  /** Whether partitions must stop starting records. */
  get stopped(): boolean {
    return this.#fatal !== undefined || this.#failure !== undefined || this.#deliveryFailures.length > 0;
  }

  reportAt(location: RecordLocation): void {
    const key = `${location.topic}-${location.partition}`;
    const current = this.#reported.get(key);
    if (!current || location.offset < current.offset) this.#reported.set(key, locationOf(location));
  }

  failWith(error: Error): void {
    if (error instanceof DeliveryError) this.#deliveryFailures.push(...error.failures);
    else this.#failure ??= error;
  }

  fatal(error: Error): void {
    this.#fatal ??= error;
  }

  incomplete(error: Error): void {
    this.#incomplete ??= error;
  }

  conclude(policy: FailurePolicy): Conclusion {
    const error = this.#fatal ?? this.#incomplete ?? this.#deliveryError() ?? this.#recordError();
    if (error) return { error };
    this.summary.reported = this.#reported.size;
    return { result: policy.result([...this.#reported.values()]) };
  }

  #deliveryError(): DeliveryError | undefined {
    return this.#deliveryFailures.length > 0 ? new DeliveryError(this.#deliveryFailures) : undefined;
  }

  #recordError(): Error | undefined {
    // The deadline error counts what was left undone when the batch ended, not when it first stopped.
    if (this.#failure instanceof DeadlineExceededError)
      return new DeadlineExceededError(this.summary.unprocessed);
    return this.#failure;
  }
}
