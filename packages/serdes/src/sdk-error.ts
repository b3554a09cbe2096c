/**
 * serdes' errors are the SDK's errors: `error instanceof KafkaLambdaError` (from `@kafka-lambda/core`)
 * holds for them. They carry core's registered brand rather than extending its class, because a
 * runtime import of core from serdes would cost every serdes entry core's import time; core's
 * `KafkaLambdaError[Symbol.hasInstance]` checks the brand.
 */
const SDK_ERROR = Symbol.for('kafka-lambda.error');

/** Brands a base error class (its subclasses inherit the brand). */
export function sdkError<T extends abstract new (...args: never[]) => Error>(base: T): T {
  Object.defineProperty(base.prototype, SDK_ERROR, { value: true });
  return base;
}
