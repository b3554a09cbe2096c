// The root entry: what a handler needs. The rest is behind subpaths, each for one kind of user:
// `/producer` (functions that produce), `/config` (settings from the environment, Secrets Manager,
// MSK IAM), `/events` (the event shapes, parsed without a handler), `/errors` (every error class),
// `/serde` (the wire-format contract), `/middleware` (what a middleware or an observer is written against).
export { bytes, json, string } from './builtin-serdes.js';
export {
  ConfigError,
  isRetryable,
  KafkaLambdaError,
  RecordDecodeError,
  type RecordLocation,
  RetryableError,
} from './errors.js';
export type { BatchMiddleware } from './handler/batch-middleware.js';
export { createKafkaHandler } from './handler/create-kafka-handler.js';
export { DEAD_LETTER_HEADERS, type FailureStage } from './handler/dead-letter.js';
export { hooks } from './handler/hooks.js';
export type {
  AllFailedAlike,
  BatchItemFailures,
  BatchSummary,
  ErrorPolicy,
  ErrorPolicyOptions,
  KafkaHandler,
  KafkaHandlerOptions,
  KafkaHandlerOptionsBase,
  KafkaHandlerOptionsWithTombstones,
  LambdaContext,
  Ordering,
  OrderingKey,
  ProcessContext,
} from './handler/types.js';
export { KafkaHeaders, type RawHeaderBytes, type RawHeaders } from './headers.js';
export { type JsonLoggerOptions, jsonLogger, type Logger, type LogLevel } from './logger.js';
export type { KafkaProducer } from './producer/types.js';
export { KafkaRecord } from './record.js';
export type { Deserializer, Serde, Serializer } from './serde.js';
export { validated } from './validated.js';
