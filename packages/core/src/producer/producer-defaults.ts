import type { LibrdkafkaConfig } from '../config/config-source.js';

/**
 * Defaults for a producer inside Lambda. User properties override them, names unchanged.
 * - acks=all + idempotence: a delivery report means every in-sync replica has the message, once.
 * - connections.max.idle.ms below the ~350 s after which NAT gateways silently drop idle flows, and
 *   TCP keepalive, so a connection that sat through a freeze is closed by us, not found dead later.
 * - message.timeout.ms bounds how long an undeliverable message stays in librdkafka.
 * - message.max.bytes is librdkafka's default (1000000), stated so that it is visibly below the
 *   broker's own limit: Kafka 4.1's message.max.bytes is 1048588 (a record batch), so a message the
 *   client accepts fits the broker's default; a topic with a lower max.message.bytes still refuses
 *   it, with code 10, classified as permanent.
 *
 * @example
 * ```ts
 * const producer = kafkaProducer({ ...PRODUCER_DEFAULTS, 'bootstrap.servers': 'b-1:9092', 'linger.ms': 20 });
 * ```
 */
export const PRODUCER_DEFAULTS: LibrdkafkaConfig = {
  acks: 'all',
  'enable.idempotence': true,
  'linger.ms': 5,
  'connections.max.idle.ms': 300_000,
  'socket.keepalive.enable': true,
  'message.timeout.ms': 60_000,
  'message.max.bytes': 1_000_000,
  'client.id': 'kafka-lambda',
};

/** librdkafka's message.max.bytes of an effective config (1000000 when unset or unreadable). */
export function maxMessageBytesOf(config: LibrdkafkaConfig): number {
  const value = Number(config['message.max.bytes']);
  return Number.isFinite(value) && value > 0 ? value : 1_000_000;
}
