// The root entry: metrics and what tracing and metrics share. Tracing lives in
// `@kafka-lambda/observability/tracing`, the only entry that imports `@opentelemetry/api`.
export * from './entry/metrics.js';
