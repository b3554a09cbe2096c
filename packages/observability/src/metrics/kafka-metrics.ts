import type { BatchEnd, BatchObserver, BatchStart, Instrumentation } from '@kafka-lambda/core/middleware';
import { ObservabilityConfigError } from '../errors.js';
import { recordAge, topicsOf } from '../record-age.js';
import { emfDocument, type MetricDatum } from './emf.js';
import type { PowertoolsMetricsLike } from './powertools-metrics.js';

/** The metric names {@link kafkaMetrics} publishes, one value of each per invocation. */
export const KAFKA_METRICS = {
  records: 'Records',
  succeeded: 'Succeeded',
  failed: 'Failed',
  deadLettered: 'DeadLettered',
  unprocessed: 'Unprocessed',
  reported: 'Reported',
  skipped: 'Skipped',
  /** Records an earlier invocation completed (idempotent records): not run again. */
  alreadyProcessed: 'AlreadyProcessed',
  produced: 'Produced',
  /** 1 when the invocation failed (the ESM retries the batch), else 0. */
  invocationFailed: 'InvocationFailed',
  /** Milliseconds the batch waited for its delivery reports. */
  flushTime: 'FlushTime',
  /** Milliseconds from the oldest record's timestamp to the invocation's start: the consumer's lag. */
  recordAgeMax: 'RecordAgeMax',
  recordAgeMean: 'RecordAgeMean',
} as const;

/** Options of {@link kafkaMetrics}. */
export interface KafkaMetricsOptions {
  /** CloudWatch namespace of the EMF lines. Default `POWERTOOLS_METRICS_NAMESPACE`, then `KafkaLambda`. Ignored with `metrics` (it has its own). */
  namespace?: string;
  /** Publish through this Powertools `Metrics` instance instead of writing EMF lines. */
  metrics?: PowertoolsMetricsLike;
  /** A `FunctionName` dimension from the Lambda context. Default true. */
  functionNameDimension?: boolean;
  /**
   * A `Topic` dimension: the batch's topic (an ESM reads one topic, so this stays bounded; a batch of
   * several topics gets them joined with `,`). Default true. There is no per-partition dimension:
   * partitions multiply the metrics' cost.
   */
  topicDimension?: boolean;
  /** Fixed dimensions added to every line, e.g. `{ Environment: 'prod' }`. */
  dimensions?: Readonly<Record<string, string>>;
  /** Where EMF lines go, one JSON document per call. Default stdout (unprefixed, as CloudWatch needs). */
  write?: (line: string) => void;
}

/** CloudWatch accepts at most 30 dimensions in a dimension set. */
const MAX_DIMENSIONS = 30;

/**
 * Per-invocation metrics of a Kafka handler: record counts by outcome, messages produced, flush time,
 * and the record age (now minus the record's timestamp, max and mean: how far behind the consumer is).
 * Written as one CloudWatch Embedded Metric Format line per invocation, or through a Powertools
 * `Metrics` instance when one is given. Never imports the OpenTelemetry API.
 *
 * @example
 * ```ts
 * import { createKafkaHandler } from '@kafka-lambda/core';
 * import { kafkaMetrics } from '@kafka-lambda/observability/metrics';
 *
 * export const handler = createKafkaHandler({
 *   use: [kafkaMetrics({ namespace: 'Trades', dimensions: { Environment: 'prod' } })],
 *   process(record) {
 *     console.log(record.offset);
 *   },
 * });
 * ```
 */
export function kafkaMetrics(options: KafkaMetricsOptions = {}): Instrumentation {
  const settings = resolve(options);
  return {
    name: 'kafka-metrics',
    startBatch(batch) {
      return new MetricsObserver(settings, batch);
    },
  };
}

interface MetricsSettings {
  readonly namespace: string;
  readonly metrics: PowertoolsMetricsLike | undefined;
  readonly functionNameDimension: boolean;
  readonly topicDimension: boolean;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly write: (line: string) => void;
}

function resolve(options: KafkaMetricsOptions): MetricsSettings {
  if (options === null || typeof options !== 'object')
    throw new ObservabilityConfigError('kafkaMetrics options must be an object');
  const namespace = options.namespace ?? process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'KafkaLambda';
  if (typeof namespace !== 'string' || namespace.trim() === '' || namespace.length > 255)
    throw new ObservabilityConfigError('namespace must be a non-empty string of at most 255 characters');
  const metrics = options.metrics;
  if (
    metrics !== undefined &&
    (typeof metrics?.addMetric !== 'function' ||
      typeof metrics.addDimension !== 'function' ||
      typeof metrics.publishStoredMetrics !== 'function')
  )
    throw new ObservabilityConfigError(
      'metrics must be a Powertools Metrics instance (addMetric, addDimension, publishStoredMetrics)',
    );
  const dimensions = { ...(options.dimensions ?? {}) };
  for (const [name, value] of Object.entries(dimensions)) {
    if (name === '' || typeof value !== 'string' || value === '')
      throw new ObservabilityConfigError(`dimensions.${name || '""'} must be a non-empty string`);
  }
  const functionNameDimension = options.functionNameDimension ?? true;
  const topicDimension = options.topicDimension ?? true;
  const total = Object.keys(dimensions).length + (functionNameDimension ? 1 : 0) + (topicDimension ? 1 : 0);
  if (total > MAX_DIMENSIONS)
    throw new ObservabilityConfigError(
      `at most ${MAX_DIMENSIONS} dimensions (CloudWatch's limit), got ${total}`,
    );
  if (options.write !== undefined && typeof options.write !== 'function')
    throw new ObservabilityConfigError('write must be a function');
  return {
    namespace,
    metrics,
    functionNameDimension,
    topicDimension,
    dimensions,
    write: options.write ?? ((line) => process.stdout.write(`${line}\n`)),
  };
}

class MetricsObserver implements BatchObserver {
  readonly #settings: MetricsSettings;
  readonly #batch: BatchStart;
  readonly #age: ReturnType<typeof recordAge>;

  constructor(settings: MetricsSettings, batch: BatchStart) {
    this.#settings = settings;
    this.#batch = batch;
    this.#age = recordAge(batch.partitions, Date.now());
  }

  end({ summary, error }: BatchEnd): void {
    const m = KAFKA_METRICS;
    const data: MetricDatum[] = [
      { name: m.records, unit: 'Count', value: summary.records },
      { name: m.succeeded, unit: 'Count', value: summary.succeeded },
      { name: m.failed, unit: 'Count', value: summary.failed },
      { name: m.deadLettered, unit: 'Count', value: summary.deadLettered },
      { name: m.unprocessed, unit: 'Count', value: summary.unprocessed },
      { name: m.reported, unit: 'Count', value: summary.reported },
      { name: m.skipped, unit: 'Count', value: summary.skipped },
      { name: m.alreadyProcessed, unit: 'Count', value: summary.alreadyProcessed },
      { name: m.produced, unit: 'Count', value: summary.produced },
      { name: m.invocationFailed, unit: 'Count', value: error ? 1 : 0 },
      { name: m.flushTime, unit: 'Milliseconds', value: summary.flushMs },
    ];
    if (this.#age.count > 0) {
      data.push({ name: m.recordAgeMax, unit: 'Milliseconds', value: this.#age.maxMs });
      data.push({ name: m.recordAgeMean, unit: 'Milliseconds', value: Math.round(this.#age.meanMs) });
    }
    const dimensions = this.#dimensions();
    const { metrics } = this.#settings;
    if (metrics) {
      for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
      for (const { name, unit, value } of data) metrics.addMetric(name, unit, value);
      metrics.publishStoredMetrics();
      return;
    }
    const requestId = this.#batch.context?.awsRequestId;
    const document = emfDocument({
      namespace: this.#settings.namespace,
      dimensions,
      metrics: data,
      timestamp: Date.now(),
      properties: {
        ...(requestId ? { requestId } : {}),
        ...(error ? { error: error.name } : {}),
      },
    });
    this.#settings.write(JSON.stringify(document));
  }

  #dimensions(): Record<string, string> {
    const { functionNameDimension, topicDimension, dimensions } = this.#settings;
    const result: Record<string, string> = {};
    // A dimension without a value would make CloudWatch reject the line: absent values read 'unknown'.
    if (functionNameDimension) result.FunctionName = this.#batch.context?.functionName || 'unknown';
    if (topicDimension) result.Topic = topicsOf(this.#batch.partitions).join(',') || 'unknown';
    return Object.assign(result, dimensions);
  }
}
