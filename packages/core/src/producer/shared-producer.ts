import type { KafkaConfigSource, LibrdkafkaConfig } from '../config-source.js';
import type { Logger } from '../logger.js';
import { RdKafkaProducer } from './kafka-producer.js';
import { onSigterm } from './shutdown-hook.js';
import type { TransactionalOptions } from './transactions.js';
import type { KafkaProducer } from './types.js';

/** What `createKafkaHandler({ producer })` accepts: librdkafka properties, a config source, or a producer. */
export type ProducerOption = LibrdkafkaConfig | KafkaConfigSource | KafkaProducer;

// One producer per container per config: module scope survives between invocations of a warm container.
const bySource = new WeakMap<object, Map<string, RdKafkaProducer>>();
const byProperties = new Map<string, RdKafkaProducer>();
const everyProducer = new Set<RdKafkaProducer>();
let shutdownHookInstalled = false;

/**
 * Returns the container's producer for this option, creating it (and starting its connection in the
 * background) on first call. A {@link KafkaProducer} instance is returned as is. Two property objects
 * share a producer only when every property is equal, functions (`oauthbearer_token_refresh_cb`)
 * by identity, and when both are transactional with the same options or both are not.
 *
 * @example
 * ```ts
 * const a = sharedProducer({ 'bootstrap.servers': 'b:9092' }, logger);
 * sharedProducer({ 'bootstrap.servers': 'b:9092' }, logger) === a; // true
 * ```
 */
export function sharedProducer(
  option: ProducerOption,
  logger: Logger,
  transactional?: Required<TransactionalOptions>,
): KafkaProducer {
  if (isProducer(option)) return option;
  const mode = transactional ? JSON.stringify([transactional.idPrefix, transactional.timeoutMs]) : '';
  const create = () => new RdKafkaProducer(option, { logger, ...(transactional && { transactional }) });
  let producer: RdKafkaProducer | undefined;
  if (typeof (option as KafkaConfigSource).kafkaConfig === 'function') {
    let byMode = bySource.get(option);
    if (!byMode) bySource.set(option, (byMode = new Map()));
    producer = byMode.get(mode);
    if (!producer) byMode.set(mode, (producer = create()));
  } else {
    const key = `${mode}${sharingKey(option as LibrdkafkaConfig)}`;
    producer = byProperties.get(key);
    if (!producer) byProperties.set(key, (producer = create()));
  }
  everyProducer.add(producer);
  installShutdownHook(logger);
  return producer;
}

function isProducer(option: ProducerOption): option is KafkaProducer {
  return (
    typeof (option as KafkaProducer).send === 'function' &&
    typeof (option as KafkaProducer).flush === 'function'
  );
}

const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

/** Equal for equal properties; a function stands for itself (JSON would drop it). */
export function sharingKey(config: LibrdkafkaConfig): string {
  return JSON.stringify(
    Object.keys(config)
      .sort()
      .map((key) => {
        const value = config[key];
        if (typeof value !== 'function') return [key, typeof value, value];
        let id = functionIds.get(value);
        if (id === undefined) functionIds.set(value, (id = ++nextFunctionId));
        return [key, 'function', id];
      }),
  );
}

function installShutdownHook(logger: Logger): void {
  if (shutdownHookInstalled) return;
  shutdownHookInstalled = true;
  onSigterm(async () => {
    const producers = [...everyProducer];
    const results = await Promise.allSettled(producers.map((producer) => producer.close(1_500)));
    const failed = results.filter((result) => result.status === 'rejected').length;
    logger.info('flushed and closed producers on SIGTERM', { producers: producers.length, failed });
  }, logger);
}
