import { bytes, isSynchronous, string } from '../builtin-serdes.js';
import { ConfigError } from '../errors.js';
import { parseKafkaEvent } from '../event.js';
import { jsonLogger } from '../logger.js';
import { sharedProducer } from '../producer/shared-producer.js';
import { BatchRun, type HandlerSettings } from './batch-run.js';
import { Deadline } from './deadline.js';
import type {
  ErrorPolicy,
  KafkaHandler,
  KafkaHandlerOptions,
  KafkaHandlerOptionsBase,
  KafkaHandlerOptionsWithTombstones,
  LambdaContext,
} from './types.js';

const POLICIES: readonly ErrorPolicy[] = ['log', 'dead-letter', 'report', 'retry-batch'];
const DEFAULT_PARTITION_CONCURRENCY = 16;

/**
 * Wraps your per-record function into a Lambda handler for a Kafka event source mapping (Amazon MSK
 * or self-managed Kafka). Call it at module scope: the producer it declares is created once per
 * container and starts connecting during Lambda's init phase.
 *
 * Every record is processed, dead-lettered, reported, or the invocation fails so that the ESM retries
 * it: the handler returns only after the broker acknowledged (acks=all) everything the batch produced.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 *
 * interface Order { id: string; total: number }
 *
 * export const handler = createKafkaHandler({
 *   value: json<Order>(),
 *   producer: { 'bootstrap.servers': process.env.KAFKA_BROKERS! },
 *   onError: 'dead-letter',
 *   deadLetterTopic: 'orders.dlq',
 *   process(record, { produce }) {
 *     if (record.value.total > 1_000) produce({ topic: 'large-orders', key: record.key, value: JSON.stringify(record.value) });
 *   },
 * });
 * ```
 */
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
  const handler = (event: unknown, context: LambdaContext) => {
    const partitions = parseKafkaEvent(event);
    const deadline = new Deadline(context, options.deadlineReserveMs);
    return new BatchRun(settings, context, deadline).run(partitions);
  };
  return Object.defineProperty(handler, 'producer', {
    value: settings.producer,
    enumerable: true,
  }) as KafkaHandler;
}

function resolveSettings(
  options: KafkaHandlerOptionsBase<unknown, unknown, unknown> & { tombstones?: 'skip' | 'process' },
): HandlerSettings {
  if (typeof options?.process !== 'function')
    throw new ConfigError('createKafkaHandler needs a `process` function');
  const policy = options.onError ?? 'log';
  if (!POLICIES.includes(policy)) {
    throw new ConfigError(`onError must be one of ${POLICIES.map((p) => `'${p}'`).join(', ')}`);
  }
  if (policy === 'dead-letter' && (!options.deadLetterTopic || !options.producer)) {
    throw new ConfigError("onError: 'dead-letter' needs `deadLetterTopic` and `producer`");
  }
  const concurrency = options.partitionConcurrency ?? DEFAULT_PARTITION_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('partitionConcurrency must be a positive integer');
  }
  const logger = options.logger ?? jsonLogger();
  const keyDeserializer = options.key ?? string();
  return {
    keyDeserializer,
    lazyKeys: isSynchronous(keyDeserializer),
    valueDeserializer: options.value ?? bytes(),
    process: options.process as HandlerSettings['process'],
    policy,
    deadLetterTopic: options.deadLetterTopic as HandlerSettings['deadLetterTopic'],
    producer: options.producer ? sharedProducer(options.producer, logger) : undefined,
    partitionConcurrency: concurrency,
    skipTombstones: options.tombstones !== 'process',
    logger,
    logSummary: options.logSummary ?? true,
    hooks: (options.hooks ?? {}) as HandlerSettings['hooks'],
  };
}
