// The root entry: what a handler needs. The rest is behind subpaths, each for one kind of user:
// `/producer` (functions that produce), `/config` (settings from the environment, Secrets Manager,
// MSK IAM), `/events` (the event shapes, parsed without a handler), `/errors` (every error class),
// `/serde` (the wire-format contract), `/middleware` (what a middleware or an observer is written against).

export { DEAD_LETTER_HEADERS } from './contract/dead-letter-headers.js';
export type { FailureStage } from './contract/fates.js';
export type { KafkaProducer } from './contract/producer.js';
export { KafkaHeaders, type RawHeaderBytes, type RawHeaders } from './event/headers.js';
export { createKafkaHandler } from './handler/create-kafka-handler.js';
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
export type { BatchMiddleware } from './middleware/batch-middleware.js';
export { hooks } from './middleware/hooks.js';
export { KafkaRecord } from './record/record.js';
export { bytes, json, string } from './serde/builtin-serdes.js';
export type { Deserializer, Serde, Serializer } from './serde/serde.js';
export { validated } from './serde/validated.js';
export {
  ConfigError,
  isRetryable,
  KafkaLambdaError,
  RecordDecodeError,
  type RecordLocation,
  RetryableError,
} from './shared/errors.js';
export { type JsonLoggerOptions, jsonLogger, type Logger, type LogLevel } from './shared/logger.js';
