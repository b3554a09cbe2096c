export { ObservabilityConfigError } from '../errors.js';
export { type EmfInput, emfDocument, type MetricDatum, type MetricUnit } from '../metrics/emf.js';
export { KAFKA_METRICS, type KafkaMetricsOptions, kafkaMetrics } from '../metrics/kafka-metrics.js';
export type { PowertoolsMetricsLike } from '../metrics/powertools-metrics.js';
export { type RecordAge, recordAge } from '../record-age.js';
