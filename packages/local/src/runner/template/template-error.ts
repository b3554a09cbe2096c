import { KafkaLambdaError } from '@kafka-lambda/core';

/**
 * A template given to `kafka-lambda-local --template` (or {@link loadTemplateEsm}) cannot be turned
 * into the function's event source mapping settings: `file` and `path` (e.g.
 * `Resources.UserTradesMapping.Properties.BatchSize`) say where, `expected` what was wanted.
 *
 * @example
 * ```ts
 * try {
 *   loadTemplateEsm('template.yaml', { functionName: 'Missing' });
 * } catch (error) {
 *   if (error instanceof TemplateError) console.error(error.path, error.expected);
 * }
 * ```
 */
export class TemplateError extends KafkaLambdaError {
  override name = 'TemplateError';
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${file}: at ${path}: expected ${expected}`);
  }
}
