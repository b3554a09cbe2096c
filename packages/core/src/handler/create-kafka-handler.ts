import { asError } from '../errors.js';
import { type KafkaEvent, parseKafkaEvent } from '../event.js';
import {
  isSinkConnectorEvent,
  parseSinkConnectorEvent,
  SINK_CONNECTOR_EVENT_SOURCE,
  sinkConnectorResult,
} from '../sink-event.js';
import { Batch } from './batch.js';
import { requestLogger } from './request-logger.js';
import { resolveSettings } from './settings.js';
import { ShapeKeeper } from './shape-keeper.js';
import type {
  AllFailedAlike,
  BatchItemFailures,
  ErrorPolicyOptions,
  KafkaHandler,
  KafkaHandlerOptions,
  KafkaHandlerOptionsBase,
  KafkaHandlerOptionsWithTombstones,
  LambdaContext,
} from './types.js';

const SINK_SOURCE: KafkaEvent = { eventSource: SINK_CONNECTOR_EVENT_SOURCE, records: {} };

/**
 * Wraps your per-record function into a Lambda handler for a Kafka event source mapping (Amazon MSK
 * or self-managed Kafka). Call it at module scope, with the producer (when the function produces)
 * created there too: one per container, connecting during Lambda's init phase.
 *
 * It also handles the invocations of Confluent's AWS Lambda Sink Connector in sync mode (an array of
 * `{ payload }`), see {@link parseSinkConnectorEvent}; there `report` fails the invocation instead.
 *
 * Every record is processed, dead-lettered, reported, or the invocation fails so that the ESM retries
 * it: the handler returns only after the broker acknowledged (acks=all) everything the batch produced.
 *
 * The handler resolves with nothing, except with `onError: 'report'` (`{ batchItemFailures }` or
 * undefined): so `@types/aws-lambda`'s `MSKHandler` annotates it, see {@link KafkaHandler}.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 * import { kafkaProducer } from '@kafka-lambda/core/producer';
 *
 * interface Order { id: string; total: number }
 *
 * export const handler = createKafkaHandler({
 *   value: json<Order>(),
 *   producer: kafkaProducer({ 'bootstrap.servers': process.env.KAFKA_BROKERS! }),
 *   onError: { policy: 'dead-letter', topic: 'orders.dlq' },
 *   process(record, { produce }) {
 *     if (record.value.total > 1_000) produce({ topic: 'large-orders', key: record.key, value: JSON.stringify(record.value) });
 *   },
 * });
 * ```
 */
export function createKafkaHandler<K = string, V = Buffer>(
  options: KafkaHandlerOptionsWithTombstones<K, V> & {
    onError: 'report' | { policy: 'report'; allFailedAlike?: AllFailedAlike };
  },
): KafkaHandler<BatchItemFailures | undefined>;
export function createKafkaHandler<K = string, V = Buffer>(
  options: KafkaHandlerOptions<K, V> & {
    onError: 'report' | { policy: 'report'; allFailedAlike?: AllFailedAlike };
  },
): KafkaHandler<BatchItemFailures | undefined>;
export function createKafkaHandler<K = string, V = Buffer>(
  options: KafkaHandlerOptionsWithTombstones<K, V> & {
    onError?:
      | 'log'
      | 'retry-batch'
      | { policy: 'log' | 'retry-batch'; allFailedAlike?: AllFailedAlike }
      | Extract<ErrorPolicyOptions<K, V | null>, { policy: 'dead-letter' }>;
  },
): KafkaHandler<undefined>;
export function createKafkaHandler<K = string, V = Buffer>(
  options: KafkaHandlerOptions<K, V> & {
    onError?:
      | 'log'
      | 'retry-batch'
      | { policy: 'log' | 'retry-batch'; allFailedAlike?: AllFailedAlike }
      | Extract<ErrorPolicyOptions<K, V>, { policy: 'dead-letter' }>;
  },
): KafkaHandler<undefined>;
export function createKafkaHandler<K = string, V = Buffer>(
  options: KafkaHandlerOptionsWithTombstones<K, V>,
): KafkaHandler;
export function createKafkaHandler<K = string, V = Buffer>(options: KafkaHandlerOptions<K, V>): KafkaHandler;
export function createKafkaHandler(
  options: KafkaHandlerOptionsBase<unknown, unknown, unknown> & { tombstones?: 'skip' | 'process' },
): KafkaHandler {
  const settings = resolveSettings(options);
  // Connecting now overlaps the TCP/TLS/SASL handshake with the rest of init; errors surface on first send.
  settings.producer?.warmUp?.();
  // Keeps the optimized code of the record path alive across the major GCs between invocations.
  const shapes = new ShapeKeeper(settings);
  const handler = async (event: unknown, context: LambdaContext) => {
    // async: a malformed event or a bad deadline is a rejected promise, never a synchronous throw.
    let batch: Batch;
    let partitions: ReturnType<typeof parseKafkaEvent>;
    // Confluent's Lambda Sink Connector (sync mode) sends an array; the ESM an object.
    const sink = isSinkConnectorEvent(event);
    try {
      partitions = sink ? parseSinkConnectorEvent(event) : parseKafkaEvent(event);
      batch = new Batch(settings, context, sink ? SINK_SOURCE : (event as KafkaEvent), partitions);
    } catch (error) {
      requestLogger(settings.logger, context).error('kafka batch rejected before any record ran', {
        error: asError(error),
      });
      throw error;
    }
    let result: BatchItemFailures | undefined;
    try {
      result = await batch.run(partitions);
    } finally {
      shapes.invocationEnded();
    }
    if (!sink) return result;
    try {
      return sinkConnectorResult(result);
    } catch (error) {
      // The connector has no partial response: the reported records fail the invocation, said once here.
      requestLogger(settings.logger, context).error(
        'kafka batch stopped; the Sink Connector cannot retry part of it',
        {
          error: asError(error),
        },
      );
      throw error;
    }
  };
  return Object.defineProperty(handler, 'producer', {
    value: settings.producer,
    enumerable: true,
  }) as KafkaHandler;
}
