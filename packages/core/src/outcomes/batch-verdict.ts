import type { BatchItemFailures } from '../contract/lambda.js';
import type { FailurePolicy } from '../policies/policy.js';
import { DeadlineExceededError, DeliveryError, OutcomeInvariantError } from '../shared/errors.js';
import type { RecordOutcomes } from './outcomes.js';

type DeliveryFailureEntry = DeliveryError['failures'][number];

/** How an invocation ends: the error it fails with, or what it returns. */
export interface Conclusion {
  readonly error?: Error | undefined;
  readonly result?: BatchItemFailures | undefined;
}

/**
 * The errors that fail an invocation, gathered while it runs, in the order they outrank each other.
 * What it returns otherwise is derived from the records' outcomes, and checked against them.
 */
export class BatchVerdict {
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

  /**
   * The invocation's end. Success is returned only when the outcomes allow it: every record final
   * and done, or (under a policy that reports) handed back and reported from its partition's lowest
   * such offset. Anything else is a defect caught here, failing the invocation rather than losing a record.
   */
  conclude(policy: FailurePolicy, outcomes: RecordOutcomes): Conclusion {
    const error = this.#fatal ?? this.#incomplete ?? this.#deliveryError() ?? this.#recordError(outcomes);
    if (error) return { error };
    const unsettled = outcomes.firstUnsettled();
    if (unsettled !== undefined) {
      return {
        error: new OutcomeInvariantError(`record ${where(outcomes, unsettled)} has no final outcome`),
      };
    }
    const resume = outcomes.resumeOffsets();
    const result = policy.result(resume);
    if (resume.length > 0 && !result) {
      // A policy that hands records back without reporting them must have failed the invocation.
      const { topic, partition, offset } = resume[0]!;
      return {
        error: new OutcomeInvariantError(
          `record ${topic}-${partition}@${offset} was handed back but not reported`,
        ),
      };
    }
    return { result };
  }

  #deliveryError(): DeliveryError | undefined {
    return this.#deliveryFailures.length > 0 ? new DeliveryError(this.#deliveryFailures) : undefined;
  }

  #recordError(outcomes: RecordOutcomes): Error | undefined {
    // The deadline error counts what was left undone when the batch ended, not when it first stopped.
    if (this.#failure instanceof DeadlineExceededError)
      return new DeadlineExceededError(outcomes.counts().unprocessed);
    return this.#failure;
  }
}

function where(outcomes: RecordOutcomes, slot: number): string {
  const { topic, partition, offset } = outcomes.locationOf(slot);
  return `${topic}-${partition}@${offset}`;
}
