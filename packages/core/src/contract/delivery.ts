// The delivery contract: how the engine reaches the code that sends what a batch produces, without
// importing it. A producer carries that code as its `deliveryEngine` (kafkaProducer() and
// memoryProducer() do), so a function that never produces never loads a line of it.
import type { AnyProduceRequest } from './process-context.js';
import type { KafkaProducer, OutgoingMessage } from './producer.js';

/**
 * The half of the handler that sends what a batch produces: its outputs, its dead letters, the one
 * wait for their delivery reports, the batch's transaction. Opaque: a producer carries it as its
 * `deliveryEngine`; nothing but the handler calls it.
 */
export type DeliveryEngine = NonNullable<KafkaProducer['deliveryEngine']>;

/** What a record's `produce()` and its pipeline ask of the engine. */
export interface MessageBuilder {
  /** Checks a request where it is made: a wrong one fails its record with a typed error. */
  checkRequest(request: AnyProduceRequest): void;
  /** The request as wire bytes; a promise when its serializer needs I/O. */
  toMessage(request: AnyProduceRequest): OutgoingMessage | Promise<OutgoingMessage>;
}
