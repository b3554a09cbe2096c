export {
  type LambdaContextOptions,
  lambdaContext,
  type ManualClock,
  manualClock,
  type TestLambdaContext,
} from './context.js';
export { InvalidTestInputError, ProducerAssertionError } from './errors.js';
export {
  encodeRecord,
  type FakeKafkaRecord,
  type HeadersInput,
  type KeyedFakeKafkaRecord,
  type KeyedRecordInput,
  kafkaRecord,
  type MskEvent,
  type MskEventOptions,
  mskEvent,
  type Payload,
  type RecordDefaults,
  type RecordInput,
  type SelfManagedKafkaEvent,
  type SelfManagedKafkaEventOptions,
  selfManagedKafkaEvent,
  toByteArray,
} from './events.js';
export {
  type DeliveryStatus,
  MemoryProducer,
  type MemoryProducerOptions,
  memoryProducer,
  type ProducedMessage,
  SimulatedDeliveryError,
} from './memory-producer.js';
export {
  type MemoryTransaction,
  MemoryTransactions,
  type TransactionHost,
  type TransactionState,
} from './memory-transactions.js';
export { type SinkConnectorEventOptions, type SinkRecordInput, sinkConnectorEvent } from './sink-events.js';
