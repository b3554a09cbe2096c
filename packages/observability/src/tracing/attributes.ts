/**
 * The OpenTelemetry messaging semantic-convention attributes (v1.27+ names) that `kafkaTracing` sets,
 * plus the SDK's own under `kafka_lambda.*`. Spelled out here rather than imported from
 * `@opentelemetry/semantic-conventions`, whose messaging names are still in its unstable entry.
 *
 * @example
 * ```ts
 * const span = spans.find((s) => s.attributes[KAFKA_SPAN_ATTRIBUTES.system] === 'kafka');
 * ```
 */
export const KAFKA_SPAN_ATTRIBUTES = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destinationName: 'messaging.destination.name',
  partitionId: 'messaging.destination.partition.id',
  batchMessageCount: 'messaging.batch.message_count',
  consumerGroup: 'messaging.consumer.group.name',
  offset: 'messaging.kafka.offset',
  tombstone: 'messaging.kafka.message.tombstone',
  serverAddress: 'server.address',
  faasTrigger: 'faas.trigger',
  faasInvocationId: 'faas.invocation_id',
  errorType: 'error.type',
  /** The record's outcome in the handler: `succeeded`, `failed`, `skipped` or `unprocessed`. */
  outcome: 'kafka_lambda.record.outcome',
  /** Counts of the invocation's summary, set on the batch span when it ends. */
  summaryPrefix: 'kafka_lambda.batch.',
  /** Records with headers past `maxLinks`, not read for a link. */
  linksDropped: 'kafka_lambda.batch.links_dropped',
} as const;
