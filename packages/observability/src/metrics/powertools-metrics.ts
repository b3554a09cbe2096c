/**
 * The part of a Powertools for AWS Lambda `Metrics` instance that {@link kafkaMetrics} uses, typed by
 * shape so this package does not depend on Powertools. `new Metrics({ namespace, serviceName })` from
 * `@aws-lambda-powertools/metrics` fits as it is.
 *
 * @example
 * ```ts
 * import { Metrics } from '@aws-lambda-powertools/metrics';
 *
 * const metrics: PowertoolsMetricsLike = new Metrics({ namespace: 'Trades', serviceName: 'settlement' });
 * const instrumentation = kafkaMetrics({ metrics });
 * ```
 */
export interface PowertoolsMetricsLike {
  /** `unit` is one of CloudWatch's unit names (`Count`, `Milliseconds`), as Powertools' `MetricUnit` values are. */
  addMetric(name: string, unit: string, value: number): unknown;
  addDimension(name: string, value: string): unknown;
  /** Writes the stored metrics as one EMF line and clears them (and the dimensions added since). */
  publishStoredMetrics(): unknown;
}
