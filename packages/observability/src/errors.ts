import { ConfigError } from '@kafka-lambda/core';

/**
 * An option of {@link kafkaMetrics} or `kafkaTracing` is invalid. Thrown when the instrumentation is
 * created (at module scope), so that a mistake fails the init, not the first batch. It is a core
 * `ConfigError`, and names the option, never a value that could be secret.
 *
 * @example
 * ```ts
 * try {
 *   kafkaMetrics({ namespace: '' });
 * } catch (error) {
 *   if (error instanceof ObservabilityConfigError) console.error(error.message); // "namespace must be …"
 * }
 * ```
 */
export class ObservabilityConfigError extends ConfigError {
  override name = 'ObservabilityConfigError';
}
