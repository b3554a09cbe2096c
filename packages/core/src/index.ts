export { createKafkaHandler } from './handler/create-kafka-handler.js';
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
  ProcessContext,
  ProduceHeaders,
  RawProduceRequest,
  SerializedProduceRequest,
} from './handler/types.js';
export { DEAD_LETTER_HEADERS, type FailureStage } from './handler/dead-letter.js';

export { KafkaRecord } from './record.js';
export { KafkaHeaders, type RawHeaders, type RawHeaderBytes } from './headers.js';
export { parseKafkaEvent, splitPartitionKey, type KafkaEvent, type KafkaEventRecord, type PartitionBatch } from './event.js';

export { bytes, json, string } from './builtin-serdes.js';
export type {
  DeserializeContext,
  Deserializer,
  EsmSchemaMetadata,
  MessagePart,
  Serde,
  SerializeContext,
  Serializer,
} from './serde.js';

export { kafkaProducer, PRODUCER_DEFAULTS, ProducerConnectionError, RdKafkaProducer } from './producer/kafka-producer.js';
export type { KafkaProducerOptions, ProducerStats } from './producer/kafka-producer.js';
export type { DeliveryReport, KafkaProducer, OutgoingMessage } from './producer/types.js';
export type { ProducerOption } from './producer/shared-producer.js';

export { secretsConfig, SecretsConfig, SecretReadError } from './config/secrets-config.js';
export type { SecretsConfigOptions, SecretsManagerLike } from './config/secrets-config.js';
export { envConfig, ENV_CONFIG_VARIABLES } from './config/env-config.js';
export type {
  KafkaConfigSource,
  LibrdkafkaConfig,
  SchemaRegistrySettings,
  SchemaRegistrySettingsSource,
} from './config-source.js';

export { jsonLogger, type JsonLoggerOptions, type Logger, type LogLevel } from './logger.js';
export {
  ConfigError,
  DeadlineExceededError,
  DeliveryError,
  FlushTimeoutError,
  InvalidEventError,
  KafkaLambdaError,
  RecordDecodeError,
  RecordProcessingError,
  type RecordLocation,
} from './errors.js';
