import type { KafkaConfigSource, LibrdkafkaConfig } from '../config-source.js';
import type { Logger } from '../logger.js';
import { RdKafkaProducer } from './kafka-producer.js';
import type { KafkaProducer } from './types.js';

/** What `createKafkaHandler({ producer })` accepts: librdkafka properties, a config source, or a producer. */
export type ProducerOption = LibrdkafkaConfig | KafkaConfigSource | KafkaProducer;

// One producer per container per config: module scope survives between invocations of a warm container.
const bySource = new WeakMap<object, RdKafkaProducer>();
const byProperties = new Map<string, RdKafkaProducer>();
const everyProducer = new Set<RdKafkaProducer>();
let shutdownHookInstalled = false;

/**
 * Returns the container's producer for this option, creating it (and starting its connection in the
 * background) on first call. A {@link KafkaProducer} instance is returned as is.
 */
export function sharedProducer(option: ProducerOption, logger: Logger): KafkaProducer {
  if (isProducer(option)) return option;
  let producer: RdKafkaProducer | undefined;
  if (typeof (option as KafkaConfigSource).kafkaConfig === 'function') {
    producer = bySource.get(option);
    if (!producer) bySource.set(option, (producer = new RdKafkaProducer(option, { logger })));
  } else {
    const key = stableKey(option as LibrdkafkaConfig);
    producer = byProperties.get(key);
    if (!producer) byProperties.set(key, (producer = new RdKafkaProducer(option, { logger })));
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

function stableKey(config: LibrdkafkaConfig): string {
  return JSON.stringify(
    Object.keys(config)
      .sort()
      .map((key) => [key, config[key]]),
  );
}

/**
 * Lambda sends SIGTERM before shutting a container down only when an extension is registered: use
 * that moment to deliver what is still queued. Listening to SIGTERM replaces Node's default exit, so
 * exit ourselves afterwards.
 */
function installShutdownHook(logger: Logger): void {
  if (shutdownHookInstalled) return;
  shutdownHookInstalled = true;
  process.once('SIGTERM', () => {
    const producers = [...everyProducer];
    Promise.allSettled(producers.map((producer) => producer.close(1_500)))
      .then((results) => {
        const failed = results.filter((result) => result.status === 'rejected').length;
        logger.info('flushed and closed producers on SIGTERM', { producers: producers.length, failed });
      })
      .finally(() => process.exit(0));
  });
}
