import { KafkaLambdaError } from '@kafka-lambda/core';
import type { RecordRef } from './types.js';

/**
 * A partition's batch kept failing after `maxRetries` retries and `onRetriesExhausted` is `stop`: the
 * runner stopped with the records uncommitted. `records` are the ones that would have been lost.
 *
 * @example
 * ```ts
 * runner.done.catch((error) => {
 *   if (error instanceof RetriesExhaustedError) console.error(error.records[0], error.cause);
 * });
 * ```
 */
export class RetriesExhaustedError extends KafkaLambdaError {
  override name = 'RetriesExhaustedError';
  constructor(
    readonly records: readonly RecordRef[],
    readonly attempts: number,
    cause: Error,
  ) {
    const first = records[0];
    super(
      `batch failed ${attempts} time(s)` +
        (first ? ` at ${first.topic}-${first.partition}@${first.offset}` : '') +
        `: ${cause.message}`,
      { cause },
    );
  }
}

/**
 * The handler did not settle within the function timeout, as Lambda would have stopped it. In-process,
 * the handler's promise is abandoned, not cancelled.
 *
 * @example
 * ```ts
 * const slow = runner.batches.find((batch) => batch.error instanceof InvocationTimeoutError);
 * ```
 */
export class InvocationTimeoutError extends KafkaLambdaError {
  override name = 'InvocationTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}

/**
 * The handler returned a `batchItemFailures` response that names a partition or offset not in the batch,
 * or is malformed. Lambda then treats the whole batch as failed, and so does the runner.
 *
 * @example
 * ```ts
 * const bad = runner.batches.filter((batch) => batch.error instanceof InvalidBatchResponseError);
 * ```
 */
export class InvalidBatchResponseError extends KafkaLambdaError {
  override name = 'InvalidBatchResponseError';
}

/**
 * The function (run by the Runtime Interface Emulator) reported an error: `errorType` and `errorMessage`
 * come from its error response.
 *
 * @example
 * ```ts
 * const failed = runner.batches.find((batch) => batch.error instanceof FunctionError);
 * console.log((failed?.error as FunctionError | undefined)?.errorType);
 * ```
 */
export class FunctionError extends KafkaLambdaError {
  override name = 'FunctionError';
  constructor(
    readonly errorType: string,
    errorMessage: string,
  ) {
    super(`${errorType}: ${errorMessage}`);
  }
}

/**
 * The on-failure destination (`onFailureDestination`) could not be written: the runner stopped with
 * the records uncommitted, so that nothing is dropped. `destination` names it, `records` the records.
 *
 * @example
 * ```ts
 * runner.done.catch((error) => {
 *   if (error instanceof DestinationWriteError) console.error(error.destination, error.records.length);
 * });
 * ```
 */
export class DestinationWriteError extends KafkaLambdaError {
  override name = 'DestinationWriteError';
  constructor(
    readonly destination: string,
    readonly records: readonly RecordRef[],
    cause: Error,
  ) {
    super(
      `could not write ${records.length} record(s) to the on-failure destination ${destination}: ${cause.message}`,
      {
        cause,
      },
    );
  }
}

/**
 * The ESM's schema registry integration (`schemaRegistry`) cannot decode at all: the registry cannot
 * be reached or refuses the credentials, or `@kafka-lambda/serdes` is not installed. The runner stops
 * with the records uncommitted; no record is given up on for it.
 *
 * @example
 * ```ts
 * runner.done.catch((error) => {
 *   if (error instanceof SchemaRegistryIntegrationError) console.error(error.message, error.cause);
 * });
 * ```
 */
export class SchemaRegistryIntegrationError extends KafkaLambdaError {
  override name = 'SchemaRegistryIntegrationError';
  constructor(message: string, cause: Error) {
    super(`${message}: ${cause.message}`, { cause });
  }
}
