import { KafkaLambdaError } from '@kafka-lambda/core';

/**
 * A test helper was given input it cannot turn into something AWS would send: `path` names the
 * offending option, e.g. `records[2].offset`.
 *
 * @example
 * ```ts
 * try {
 *   mskEvent([{ value: 'a', offset: 5 }, { value: 'b', offset: 4 }]);
 * } catch (error) {
 *   if (error instanceof InvalidTestInputError) console.log(error.path); // records[1].offset
 * }
 * ```
 */
export class InvalidTestInputError extends KafkaLambdaError {
  override name = 'InvalidTestInputError';
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`invalid input at ${path}: expected ${expected}`);
  }
}

/**
 * A `memoryProducer()` assertion helper found the producer in another state than expected.
 *
 * @example
 * ```ts
 * const producer = memoryProducer();
 * try { producer.expectFlushedOnce(); } catch (error) { console.log((error as ProducerAssertionError).message); }
 * ```
 */
export class ProducerAssertionError extends KafkaLambdaError {
  override name = 'ProducerAssertionError';
  /** Vitest and Jest render `actual`/`expected` as a diff. */
  constructor(
    message: string,
    readonly actual: unknown,
    readonly expected: unknown,
  ) {
    super(message);
  }
}
