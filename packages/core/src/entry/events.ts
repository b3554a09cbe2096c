// `@kafka-lambda/core/events`: the events a Kafka-triggered function receives, parsed without a
// handler: the ESM's batch, Confluent's Lambda Sink Connector batch, and the records an ESM wrote to
// an on-failure destination; and `sinkConnector()`, which lets a handler take the Sink Connector's.

export { sinkConnector } from '../adapters/sink-connector.js';
export {
  isSinkConnectorEvent,
  parseSinkConnectorEvent,
  SINK_CONNECTOR_EVENT_SOURCE,
  type SinkConnectorEvent,
  type SinkConnectorRecord,
  SinkConnectorReportError,
  sinkConnectorResult,
  sinkPayloadBytes,
} from '../adapters/sink-event.js';
export {
  type KafkaEvent,
  type KafkaEventRecord,
  type PartitionBatch,
  parseKafkaEvent,
  splitPartitionKey,
} from '../event/event.js';
export {
  ESM_FAILURE_HEADERS,
  type EsmFailure,
  type EsmFailureRecord,
  esmFailureOf,
  fromFailureRecords,
} from '../event/failure-records.js';
