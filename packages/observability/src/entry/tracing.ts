export { ObservabilityConfigError } from '../errors.js';
export { KAFKA_SPAN_ATTRIBUTES } from '../tracing/attributes.js';
export { eventRecordGetter } from '../tracing/header-carrier.js';
export { type KafkaTracingOptions, kafkaTracing, recordCreationContext } from '../tracing/kafka-tracing.js';
