/** A CloudWatch metric unit this package uses. */
export type MetricUnit = 'Count' | 'Milliseconds';

/** One value to publish. */
export interface MetricDatum {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

/** What one Embedded Metric Format document holds. */
export interface EmfInput {
  readonly namespace: string;
  /** Dimension name → value; the document declares one dimension set made of all of them. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricDatum[];
  /** Epoch ms. */
  readonly timestamp: number;
  /** Extra top-level keys that are searchable in Logs Insights but are not dimensions (e.g. the request id). */
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** CloudWatch's limit of metrics per `CloudWatchMetrics` directive. */
const MAX_METRICS_PER_DIRECTIVE = 100;

/**
 * Builds one CloudWatch Embedded Metric Format document: the `_aws` envelope with its
 * `CloudWatchMetrics` directive, and every dimension and metric value as a top-level key, as
 * CloudWatch Logs reads them. Write it as one JSON line to stdout and CloudWatch extracts the metrics.
 *
 * @example
 * ```ts
 * const line = JSON.stringify(
 *   emfDocument({
 *     namespace: 'KafkaLambda',
 *     dimensions: { FunctionName: 'settle' },
 *     metrics: [{ name: 'Records', unit: 'Count', value: 10 }],
 *     timestamp: Date.now(),
 *   }),
 * );
 * process.stdout.write(`${line}\n`);
 * ```
 */
export function emfDocument(input: EmfInput): Record<string, unknown> {
  const { namespace, dimensions, metrics, timestamp, properties } = input;
  const names = Object.keys(dimensions);
  const directives: Array<Record<string, unknown>> = [];
  for (let i = 0; i < metrics.length; i += MAX_METRICS_PER_DIRECTIVE) {
    directives.push({
      Namespace: namespace,
      Dimensions: [names],
      Metrics: metrics
        .slice(i, i + MAX_METRICS_PER_DIRECTIVE)
        .map(({ name, unit }) => ({ Name: name, Unit: unit })),
    });
  }
  const document: Record<string, unknown> = {
    ...properties,
    _aws: { Timestamp: timestamp, CloudWatchMetrics: directives },
    ...dimensions,
  };
  for (const { name, value } of metrics) document[name] = value;
  return document;
}
