import { Batch } from '../batch/batch.js';
import { requestLogger } from '../batch/request-logger.js';
import { ShapeKeeper } from '../batch/shape-keeper.js';
import { type KafkaEvent, parseKafkaEvent } from '../event/event.js';
import type { EventAdapter } from '../middleware/event-adapter.js';
import { asError, InvalidEventError } from '../shared/errors.js';
import { resolveSettings } from './settings.js';
import type {
  AllFailedAlike,
  BatchItemFailures,
  ErrorPolicy,
  ErrorPolicyOptions,
  KafkaHandler,
  KafkaHandlerOptions,
  KafkaHandlerOptionsBase,
  KafkaHandlerOptionsWithTombstones,
  LambdaContext,
} from './types.js';

/** What a Sink Connector batch is, said when a handler without `sinkConnector()` receives one. */
const ARRAY_EVENT =
  "an object (an array is a batch of Confluent's Lambda Sink Connector: add use: [sinkConnector()] from '@kafka-lambda/core/events')";

/**
 * Wraps your per-record function into a Lambda handler for a Kafka event source mapping (Amazon MSK
 * or self-managed Kafka). Call it at module scope, with the producer (when the function produces)
 * created there too: one per container, connecting during Lambda's init phase.
 *
 * With `use: [sinkConnector()]` (from `@kafka-lambda/core/events`) it also takes the invocations of
 * Confluent's AWS Lambda Sink Connector in sync mode; there `report` fails the invocation instead.
 *
 * Every record is processed, dead-lettered, reported, or the invocation fails so that the ESM retries
 * it: the handler returns only after the broker acknowledged (acks=all) everything the batch produced.
 *
 * The handler resolves with nothing, except with `onError: 'report'` or a route whose `routes` have
 * `'report'` (`{ batchItemFailures }` or undefined): so `@types/aws-lambda`'s `MSKHandler` annotates
 * it, see {@link KafkaHandler}.
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
export function createKafkaHandler<K = string, V = Buffer, const R extends ErrorPolicy = ErrorPolicy>(
  options: Omit<KafkaHandlerOptionsWithTombstones<K, V>, 'onError'> & {
    onError: Extract<ErrorPolicyOptions<K, V | null, R>, { routes: unknown }>;
  },
): KafkaHandler<'report' extends R ? BatchItemFailures | undefined : undefined>;
export function createKafkaHandler<K = string, V = Buffer, const R extends ErrorPolicy = ErrorPolicy>(
  options: Omit<KafkaHandlerOptions<K, V>, 'onError'> & {
    onError: Extract<ErrorPolicyOptions<K, V, R>, { routes: unknown }>;
  },
): KafkaHandler<'report' extends R ? BatchItemFailures | undefined : undefined>;
// An `onError` only known at run time. A route's `R` is still inferred from its routes, so that it
// may return only those here too.
export function createKafkaHandler<K = string, V = Buffer, const R extends ErrorPolicy = ErrorPolicy>(
  options: Omit<KafkaHandlerOptionsWithTombstones<K, V>, 'onError'> & {
    onError?: Exclude<ErrorPolicy, 'dead-letter'> | ErrorPolicyOptions<K, V | null, R>;
  },
): KafkaHandler;
export function createKafkaHandler<K = string, V = Buffer, const R extends ErrorPolicy = ErrorPolicy>(
  options: Omit<KafkaHandlerOptions<K, V>, 'onError'> & {
    onError?: Exclude<ErrorPolicy, 'dead-letter'> | ErrorPolicyOptions<K, V, R>;
  },
): KafkaHandler;
export function createKafkaHandler(
  options: KafkaHandlerOptionsBase<unknown, unknown, unknown> & { tombstones?: 'skip' | 'process' },
): KafkaHandler {
  const settings = resolveSettings(options);
  const adapters = settings.middleware.flatMap((m) => (m.events ? [m.events] : []));
  // Connecting now overlaps the TCP/TLS/SASL handshake with the rest of init; errors surface on first send.
  settings.producer?.warmUp?.();
  // Keeps the optimized code of the record path alive across the major GCs between invocations.
  const shapes = new ShapeKeeper(settings);
  const handler = async (event: unknown, context: LambdaContext) => {
    // async: a malformed event or a bad deadline is a rejected promise, never a synchronous throw.
    let batch: Batch;
    let partitions: ReturnType<typeof parseKafkaEvent>;
    let adapter: EventAdapter | undefined;
    try {
      // Another shape than the ESM's (the Sink Connector's array) is read by the middleware that brought it.
      if (adapters.length > 0) adapter = adapters.find((a) => a.accepts(event));
      if (adapter) partitions = adapter.parse(event);
      else if (Array.isArray(event)) throw new InvalidEventError('event', ARRAY_EVENT);
      else partitions = parseKafkaEvent(event);
      const source: KafkaEvent = adapter
        ? { eventSource: adapter.eventSource, records: {} }
        : (event as KafkaEvent);
      batch = new Batch(settings, context, source, partitions);
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
    if (!adapter) return result;
    try {
      return adapter.result(result);
    } catch (error) {
      // E.g. the Sink Connector has no partial response: the reported records fail the invocation.
      requestLogger(settings.logger, context).error(
        `kafka batch stopped; ${adapter.name} cannot retry part of it`,
        { error: asError(error) },
      );
      throw error;
    }
  };
  return Object.defineProperty(handler, 'producer', {
    value: settings.producer,
    enumerable: true,
  }) as KafkaHandler;
}
