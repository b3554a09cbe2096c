import type { DeliveryEngine, MessageBuilder } from '../contract/delivery.js';
import type { KafkaProducer } from '../contract/producer.js';
import { BatchDeliveries } from './batch-deliveries.js';
import type { AcknowledgedCallback } from './delivery-ledger.js';
import type { DeliveryPhaseHost } from './delivery-phase.js';
import { toOutgoingMessage } from './outgoing-message.js';
import { checkProduceRequest } from './produce-request.js';

/** The delivery engine as the handler uses it. */
export interface DeliveryEngineInternals extends DeliveryEngine, MessageBuilder {
  /** The deliveries of one batch on `producer`. */
  open(producer: KafkaProducer, host: DeliveryPhaseHost, acknowledged: AcknowledgedCallback): BatchDeliveries;
}

/**
 * The delivery engine: what a producer carries as its `deliveryEngine` for the handler. A producer
 * of your own carries it, as `kafkaProducer()` and `memoryProducer()` do.
 *
 * @example
 * ```ts
 * import type { KafkaProducer } from '@kafka-lambda/core';
 * import { deliveryEngine } from '@kafka-lambda/core/producer';
 *
 * export function loggingProducer(inner: KafkaProducer): KafkaProducer {
 *   return {
 *     deliveryEngine,
 *     send: (message) => {
 *       console.log('sending to', message.topic);
 *       return inner.send(message);
 *     },
 *     flush: (timeoutMs) => inner.flush(timeoutMs),
 *     close: (timeoutMs) => inner.close(timeoutMs),
 *   };
 * }
 * ```
 */
export const deliveryEngine: DeliveryEngine = {
  kind: 'kafka-lambda/delivery-engine',
  checkRequest: checkProduceRequest,
  toMessage: toOutgoingMessage,
  open: (producer, host, acknowledged) => new BatchDeliveries(producer, host, acknowledged),
} satisfies DeliveryEngineInternals as DeliveryEngine;
