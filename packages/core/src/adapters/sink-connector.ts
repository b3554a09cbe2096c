import type { BatchMiddleware } from '../middleware/batch-middleware.js';
import type { EventAdapter } from '../middleware/event-adapter.js';
import {
  isSinkConnectorEvent,
  parseSinkConnectorEvent,
  SINK_CONNECTOR_EVENT_SOURCE,
  sinkConnectorResult,
} from './sink-event.js';

const SINK_CONNECTOR_EVENTS: EventAdapter = {
  name: 'the Sink Connector',
  eventSource: SINK_CONNECTOR_EVENT_SOURCE,
  accepts: isSinkConnectorEvent,
  parse: parseSinkConnectorEvent,
  result: sinkConnectorResult,
};

/**
 * Lets the handler take the invocations of Confluent's AWS Lambda Sink Connector in sync mode (an
 * array of `{ payload }`, see {@link parseSinkConnectorEvent}) besides the ESM's. There `report`
 * fails the invocation instead (the connector has no partial batch response): see
 * {@link SinkConnectorReportError}.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 * import { sinkConnector } from '@kafka-lambda/core/events';
 *
 * export const handler = createKafkaHandler({
 *   value: json<{ id: string }>(),
 *   use: [sinkConnector()],
 *   process(record) {
 *     console.log(record.topic, record.offset, record.value.id);
 *   },
 * });
 * ```
 */
export function sinkConnector(): BatchMiddleware {
  return { name: 'sink-connector', events: SINK_CONNECTOR_EVENTS };
}
