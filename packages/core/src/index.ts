export { bytes, json, string } from './builtin-serdes.js';
export { ENV_CONFIG_VARIABLES, envConfig } from './config/env-config.js';
export { type MskIamConfigOptions, type MskIamTokenSigner, mskIamConfig } from './config/msk-iam-config.js';
export type { SecretsConfigOptions, SecretsManagerLike } from './config/secrets-config.js';
export { SecretReadError, SecretsConfig, secretsConfig } from './config/secrets-config.js';
export type {
  KafkaConfigSource,
  LibrdkafkaConfig,
  OAuthBearerToken,
  OAuthBearerTokenRefresh,
  SchemaRegistrySettings,
  SchemaRegistrySettingsSource,
} from './config-source.js';
export {
  ConfigError,
  DeadLetterError,
  DeadlineExceededError,
  DeliveryError,
  EveryRecordFailedError,
  FlushTimeoutError,
  InvalidEventError,
  InvalidProduceRequestError,
  isPermanentDeliveryError,
  isRetryable,
  KafkaLambdaError,
  LateProduceError,
  OutcomeInvariantError,
  RecordDecodeError,
  type RecordLocation,
  RecordProcessingError,
  RecordValidationError,
  RetryableError,
  type ValidationIssue,
} from './errors.js';
export {
  type KafkaEvent,
  type KafkaEventRecord,
  type PartitionBatch,
  parseKafkaEvent,
  splitPartitionKey,
} from './event.js';
export {
  ESM_FAILURE_HEADERS,
  type EsmFailure,
  type EsmFailureRecord,
  esmFailureOf,
  fromFailureRecords,
} from './failure-records.js';
export type { AfterBatch, BatchMiddleware, BeforeBatch, RecordFate } from './handler/batch-middleware.js';
export { createKafkaHandler } from './handler/create-kafka-handler.js';
export { DEAD_LETTER_HEADERS, type FailureStage } from './handler/dead-letter.js';
export type {
  BatchEnd,
  BatchObserver,
  BatchStart,
  FlushReport,
  Instrumentation,
  RecordOutcome,
} from './handler/instrumentation.js';
export type {
  BatchItemFailures,
  BatchSummary,
  ErrorPolicy,
  KafkaHandler,
  KafkaHandlerHooks,
  KafkaHandlerOptions,
  KafkaHandlerOptionsBase,
  KafkaHandlerOptionsWithTombstones,
  LambdaContext,
  Ordering,
  OrderingKey,
  ProcessContext,
  ProduceHeaders,
  ProduceRequestBase,
  RawProduceRequest,
  SerializedProduceRequest,
} from './handler/types.js';
export { KafkaHeaders, type RawHeaderBytes, type RawHeaders } from './headers.js';
export {
  type IdempotencyOperation,
  IdempotencyStoreError,
  RecordInProgressError,
} from './idempotency/errors.js';
export { DEFAULT_COMPLETED_TTL_SECONDS, type IdempotencyOptions } from './idempotency/options.js';
export type {
  ClaimOptions,
  ClaimState,
  CompleteOptions,
  IdempotencyStore,
  ReleaseOptions,
} from './idempotency/store.js';
export { StoreRequestError } from './idempotency/store-request-error.js';
export { type JsonLoggerOptions, jsonLogger, type Logger, type LogLevel } from './logger.js';
export type {
  DeliveryCallback,
  DeliveryReport,
  KafkaProducer,
  OutgoingMessage,
  ProducerTransactions,
} from './producer/types.js';
export { KafkaRecord } from './record.js';
export type {
  DeserializeContext,
  Deserializer,
  EsmSchemaMetadata,
  MessagePart,
  Serde,
  SerializeContext,
  Serializer,
} from './serde.js';
export {
  isSinkConnectorEvent,
  parseSinkConnectorEvent,
  SINK_CONNECTOR_EVENT_SOURCE,
  type SinkConnectorEvent,
  type SinkConnectorRecord,
  SinkConnectorReportError,
  sinkConnectorResult,
  sinkPayloadBytes,
} from './sink-event.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export { validated } from './validated.js';
