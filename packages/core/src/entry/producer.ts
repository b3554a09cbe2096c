// `@kafka-lambda/core/producer`: the producer over librdkafka. A function that never produces never
// imports it (the root entry holds only the contract, `KafkaProducer`, that the handler uses). Also
// what `context.produce` takes and the contract every producer meets (this one, `memoryProducer()`,
// your own): types only, importing them loads nothing.

export type { DeliveryEngine } from '../contract/delivery.js';
export type {
  DeliveryCallback,
  DeliveryReport,
  KafkaProducer,
  OutgoingMessage,
  ProducerTransactions,
} from '../contract/producer.js';
export { deliveryEngine } from '../delivery/engine.js';
export type {
  ProduceHeaders,
  ProduceRequestBase,
  RawProduceRequest,
  SerializedProduceRequest,
} from '../handler/types.js';
export {
  type AddonLoadContext,
  AddonLoadError,
  type AddonLoadFailure,
} from '../producer/addon-load-error.js';
export {
  type KafkaProducerOptions,
  kafkaProducer,
  PRODUCER_DEFAULTS,
  ProducerConnectionError,
  ProducerDeliveryError,
  ProducerQueueFullError,
  type ProducerStats,
  RdKafkaProducer,
  type TransactionalOptions,
  TransactionError,
  type TransactionFailureKind,
  type TransactionOperation,
} from '../producer/kafka-producer.js';
