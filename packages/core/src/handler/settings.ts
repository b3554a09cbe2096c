import { bytes, isSynchronous, string } from '../builtin-serdes.js';
import { ConfigError } from '../errors.js';
import { jsonLogger, type Logger } from '../logger.js';
import { sharedProducer } from '../producer/shared-producer.js';
import type { KafkaProducer } from '../producer/types.js';
import type { KafkaRecord } from '../record.js';
import type { Deserializer } from '../serde.js';
import { checkDeadlineReserve } from './deadline.js';
import { hooksInstrumentation } from './hooks-instrumentation.js';
import type { Instrumentation } from './instrumentation.js';
import { POLICIES } from './policies/index.js';
import type { FailurePolicy } from './policies/policy.js';
import type { ErrorPolicy, KafkaHandlerOptionsBase, ProcessContext } from './types.js';

type AnyRecord = KafkaRecord<unknown, unknown>;
type AnyOptions = KafkaHandlerOptionsBase<unknown, unknown, unknown> & { tombstones?: 'skip' | 'process' };

const DEFAULT_PARTITION_CONCURRENCY = 16;

/** The handler's options after defaults and checks, shared by every invocation. */
export interface HandlerSettings {
  readonly keyDeserializer: Deserializer<unknown>;
  /** The key deserializer is synchronous: decode keys on first read instead of for every record. */
  readonly lazyKeys: boolean;
  readonly valueDeserializer: Deserializer<unknown>;
  readonly process: (record: AnyRecord, context: ProcessContext) => void | Promise<void>;
  readonly policyName: ErrorPolicy;
  readonly policy: FailurePolicy;
  readonly deadLetterTopic: string | ((record: AnyRecord, error: Error) => string) | undefined;
  readonly producer: KafkaProducer | undefined;
  readonly partitionConcurrency: number;
  readonly skipTombstones: boolean;
  readonly deadlineReserveMs: number | undefined;
  readonly logger: Logger;
  readonly logSummary: boolean;
  readonly instrumentation: readonly Instrumentation[];
}

/** Checks every option once, at module scope, so that a mistake fails the init, not the first batch. */
export function resolveSettings(options: AnyOptions): HandlerSettings {
  if (typeof options?.process !== 'function')
    throw new ConfigError('createKafkaHandler needs a `process` function');
  const policyName = options.onError ?? 'log';
  if (!Object.hasOwn(POLICIES, policyName)) {
    throw new ConfigError(
      `onError must be one of ${Object.keys(POLICIES)
        .map((p) => `'${p}'`)
        .join(', ')}`,
    );
  }
  if (policyName === 'dead-letter' && (!options.deadLetterTopic || !options.producer)) {
    throw new ConfigError("onError: 'dead-letter' needs `deadLetterTopic` and `producer`");
  }
  const concurrency = options.partitionConcurrency ?? DEFAULT_PARTITION_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('partitionConcurrency must be a positive integer');
  }
  const logger = options.logger ?? jsonLogger();
  const keyDeserializer = options.key ?? string();
  const instrumentation = [...(options.instrumentation ?? [])];
  for (const [i, entry] of instrumentation.entries()) {
    if (typeof entry?.startBatch !== 'function')
      throw new ConfigError(`instrumentation[${i}] needs a startBatch() method`);
  }
  const hooks = options.hooks && hooksInstrumentation(options.hooks as never);
  if (hooks) instrumentation.push(hooks);
  return {
    keyDeserializer,
    lazyKeys: isSynchronous(keyDeserializer),
    valueDeserializer: options.value ?? bytes(),
    process: options.process as HandlerSettings['process'],
    policyName,
    policy: POLICIES[policyName],
    deadLetterTopic: options.deadLetterTopic as HandlerSettings['deadLetterTopic'],
    producer: options.producer ? sharedProducer(options.producer, logger) : undefined,
    partitionConcurrency: concurrency,
    skipTombstones: options.tombstones !== 'process',
    deadlineReserveMs: checkDeadlineReserve(options.deadlineReserveMs),
    logger,
    logSummary: options.logSummary ?? true,
    instrumentation,
  };
}
