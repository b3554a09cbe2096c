import type { RunnerStats } from '../types.js';

/** The `MetricsConfig.Metrics` groups the runner emits. */
export type EsmMetricGroup = 'EventCount' | 'KafkaMetrics';

/** Where and for whom the metrics are emitted. */
export interface EsmMetricsSettings {
  readonly groups: ReadonlySet<EsmMetricGroup>;
  readonly functionName: string;
  /** Stands for the mapping's UUID: the consumer group. */
  readonly mappingId: string;
  readonly emit: (document: Record<string, unknown>) => void;
}

/** Lambda publishes these in `AWS/Lambda`, a namespace reserved to AWS: the local ones carry their own. */
export const LOCAL_METRICS_NAMESPACE = 'kafka-lambda-local';

/**
 * The ESM's metrics as CloudWatch embedded metric format documents, one per group, with the names
 * of https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html: `EventCount` from
 * the runner's counters, `KafkaMetrics` the `OffsetLag` summed over the assigned partitions (each
 * partition's lag beside it, in `OffsetLagByPartition`), or none when the lag could not be read.
 *
 * @example
 * ```ts
 * const [events] = esmMetricDocuments(settings, runner.stats, undefined, Date.now());
 * events.InvokedEventCount; // records sent to the function, retries included
 * ```
 */
export function esmMetricDocuments(
  settings: Omit<EsmMetricsSettings, 'emit'>,
  stats: Readonly<RunnerStats>,
  lag: ReadonlyArray<{ topic: string; partition: number; lag: number }> | undefined,
  now: number,
): Array<Record<string, unknown>> {
  const documents: Array<Record<string, unknown>> = [];
  const document = (values: Record<string, number>, extra: Record<string, unknown> = {}) => ({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: LOCAL_METRICS_NAMESPACE,
          Dimensions: [['FunctionName', 'EventSourceMappingUUID']],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    FunctionName: settings.functionName,
    EventSourceMappingUUID: settings.mappingId,
    ...values,
    ...extra,
  });
  if (settings.groups.has('EventCount'))
    documents.push(
      document({
        PolledEventCount: stats.recordsPolled,
        FilteredOutEventCount: stats.filtered,
        InvokedEventCount: stats.recordsInvoked,
        FailedInvokeEventCount: stats.recordsFailedInvoke,
        DroppedEventCount: stats.skipped,
        OnFailureDestinationDeliveredEventCount: stats.sentToDestination,
      }),
    );
  if (settings.groups.has('KafkaMetrics') && lag)
    documents.push(
      document(
        { OffsetLag: lag.reduce((sum, p) => sum + p.lag, 0) },
        { OffsetLagByPartition: Object.fromEntries(lag.map((p) => [`${p.topic}-${p.partition}`, p.lag])) },
      ),
    );
  return documents;
}
