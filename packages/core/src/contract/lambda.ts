// What an invocation is given and gives back: a leaf module, so that the handler's option types and
// the instrumentation seam can both use it without importing each other.

/** The slice of the Lambda context the handler reads; `@types/aws-lambda`'s `Context` fits. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly functionName?: string;
  readonly awsRequestId?: string;
}

/** Counts of one invocation, logged at its end and passed to `hooks.onBatchEnd`. */
export interface BatchSummary {
  records: number;
  succeeded: number;
  failed: number;
  deadLettered: number;
  /** Tombstones skipped (`tombstones: 'skip'`). */
  skipped: number;
  /** Records not started: their partition stopped at a failure, or the deadline came. */
  unprocessed: number;
  /** Messages confirmed by the broker, dead letters included. */
  produced: number;
  /** Records reported back to the ESM in `batchItemFailures`. */
  reported: number;
  /** Records not run because an earlier invocation completed their idempotency key (`idempotency`). */
  alreadyProcessed: number;
  flushMs: number;
  durationMs: number;
}

/** The partial-batch response of the `report` policy. */
export interface BatchItemFailures {
  batchItemFailures: Array<{ itemIdentifier: { partition: string; offset: number } }>;
}
