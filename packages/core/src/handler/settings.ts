import type { HandlerSettings } from '../batch/batch-settings.js';
import type { KafkaProducer } from '../contract/producer.js';
import { checkDeadlineReserve } from '../deadline/deadline.js';
import type { DeliveryEngineInternals } from '../delivery/engine.js';
import type { BatchMiddleware, Instrumentation } from '../middleware/batch-middleware.js';
import type { EventAdapter } from '../middleware/event-adapter.js';
import { resolveOrdering } from '../ordering/ordering.js';
import { resolveErrorPolicy } from '../policies/on-error.js';
import { bytes, isSynchronous, string } from '../serde/builtin-serdes.js';
import { closestName } from '../shared/closest-name.js';
import { ConfigError } from '../shared/errors.js';
import { jsonLogger } from '../shared/logger.js';
import { checkOptionShapes, uncalledFactoryHint } from '../shared/option-checks.js';
import { warnOfRerunsWithoutIdempotency } from './rerun-warning.js';

export type { HandlerSettings } from '../batch/batch-settings.js';

import type { KafkaHandlerOptionsBase } from './types.js';

type AnyOptions = KafkaHandlerOptionsBase<unknown, unknown, unknown> & { tombstones?: 'skip' | 'process' };

/** Records in flight per invocation by default: under `'partition'`, today's 16 partitions at a time. */
const DEFAULT_CONCURRENCY = 16;

/** Every option `createKafkaHandler` reads: anything else is a typo, rejected at load. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof AnyOptions>([
  'key',
  'value',
  'process',
  'onError',
  'producer',
  'ordering',
  'concurrency',
  'deadlineReserveMs',
  'logger',
  'logSummary',
  'tombstones',
  'use',
]);

/** Options of earlier versions, with where they went: said instead of "no such option". */
const MOVED_OPTIONS: Readonly<Record<string, string>> = {
  transactional:
    "`transactional` moved to the producer: producer: kafkaProducer(config, { transactional: true }) from '@kafka-lambda/core/producer'",
  idempotency:
    "`idempotency` is a middleware now: use: [idempotency({ store, ... })] from '@kafka-lambda/idempotency'",
  instrumentation:
    '`instrumentation` is part of `use` now: use: [kafkaTracing(), kafkaMetrics()] (an observer is a middleware with startBatch())',
  hooks: "`hooks` is a middleware now: use: [hooks({ onRecordError, onBatchEnd })] from '@kafka-lambda/core'",
  deadLetterTopic:
    "`deadLetterTopic` moved into onError: onError: { policy: 'dead-letter', topic: 'orders.dlq' }",
  allFailedAlike:
    "`allFailedAlike` moved into onError: onError: { policy: 'log', allFailedAlike: 'apply-policy' } (with your policy)",
  partitionConcurrency:
    "`partitionConcurrency` is now `concurrency`: the bound on records in flight per invocation (under the default `ordering: 'partition'`, the partitions in flight)",
};

/** Checks every option once, at module scope, so that a mistake fails the init, not the first batch. */
export function resolveSettings(options: AnyOptions): HandlerSettings {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError('createKafkaHandler needs an options object');
  for (const name of Object.keys(options)) {
    const moved = Object.hasOwn(MOVED_OPTIONS, name) ? MOVED_OPTIONS[name] : undefined;
    if (moved) throw new ConfigError(moved);
    if (!KNOWN_OPTIONS.has(name)) {
      // A near miss of an option that moved (`deadLetterTopc`) is told where it went.
      const near = closestName(name, [...KNOWN_OPTIONS, ...Object.keys(MOVED_OPTIONS)]);
      const movedNear = near && Object.hasOwn(MOVED_OPTIONS, near) ? MOVED_OPTIONS[near] : undefined;
      throw new ConfigError(
        `createKafkaHandler has no option \`${name}\`${movedNear ? `; ${movedNear}` : near ? ` (did you mean \`${near}\`?)` : ''}`,
      );
    }
  }
  checkOptionShapes(options as unknown as Record<string, unknown>);
  if (typeof options.process !== 'function')
    throw new ConfigError('createKafkaHandler needs a `process` function');
  const delivery = deliveryOf(options.producer);
  const { policyName, routes, policy, deadLetterTopic, allFailedAlike } = resolveErrorPolicy(options.onError);
  if (routes.includes('dead-letter') && !options.producer)
    throw new ConfigError(
      policyName === 'route'
        ? "onError: { routes: ['dead-letter', …] } needs a `producer` to write the dead letters"
        : "onError: { policy: 'dead-letter' } needs a `producer` to write the dead letters",
    );
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('concurrency must be a positive integer');
  }
  const ordering = resolveOrdering(options.ordering);
  const logger = options.logger ?? jsonLogger();
  const keyDeserializer = options.key ?? string();
  const middleware = middlewareOf(options.use);
  const instrumentation = middleware.filter((m): m is Instrumentation => m.startBatch !== undefined);
  warnOfRerunsWithoutIdempotency(ordering, routes, middleware, logger);
  return {
    keyDeserializer,
    lazyKeys: isSynchronous(keyDeserializer),
    valueDeserializer: options.value ?? bytes(),
    process: options.process as HandlerSettings['process'],
    policyName,
    policy,
    reports: routes.includes('report'),
    allFailedAlike,
    deadLetterTopic,
    producer: options.producer,
    delivery,
    ordering,
    concurrency,
    skipTombstones: options.tombstones !== 'process',
    deadlineReserveMs: checkDeadlineReserve(options.deadlineReserveMs),
    logger,
    logSummary: options.logSummary ?? true,
    instrumentation,
    middleware,
  };
}

const PARTS = ['before', 'after', 'startBatch'] as const;

/** An event adapter's members (see EventAdapter). */
const ADAPTER_PARTS = ['accepts', 'parse', 'result'] as const;

/** `use` must be a list of middleware: each an object with a name and a `before`, `after` or `startBatch`. */
function middlewareOf(use: unknown): BatchMiddleware[] {
  if (use === undefined) return [];
  if (!Array.isArray(use)) {
    const one = typeof (use as { name?: unknown } | null)?.name === 'string';
    throw new ConfigError(
      `use must be an array of batch middleware${one ? ': did you mean `use: [' + (use as { name: string }).name + ']`?' : ': `use: [...]`'}`,
    );
  }
  return use.map((middleware: unknown, i) => {
    if (typeof middleware === 'function')
      throw new ConfigError(`use[${i}] is ${uncalledFactoryHint(middleware, 'a middleware')}`);
    const m = middleware as Partial<BatchMiddleware> | null;
    if (typeof m !== 'object' || m === null || typeof m.name !== 'string' || m.name === '')
      throw new ConfigError(`use[${i}] must be a batch middleware: an object with a \`name\``);
    for (const part of PARTS)
      if (m[part] !== undefined && typeof m[part] !== 'function')
        throw new ConfigError(`use[${i}] ('${m.name}'): ${part} must be a function`);
    const events = m.events as Partial<EventAdapter> | undefined;
    if (events !== undefined) {
      const missing = ADAPTER_PARTS.find((part) => typeof events?.[part] !== 'function');
      if (missing) throw new ConfigError(`use[${i}] ('${m.name}'): events.${missing} must be a function`);
    }
    if (events === undefined && PARTS.every((part) => m[part] === undefined))
      throw new ConfigError(`use[${i}] ('${m.name}') has none of before(), after(), startBatch() or events`);
    return m as BatchMiddleware;
  });
}

/**
 * `producer` must be a producer. Properties or a config source (what earlier versions took) are
 * refused with the one line that builds the producer from them, which keeps the producer engine out
 * of the import graph of every function that does not produce. The producer carries the delivery
 * engine the batches use (see contract/delivery.ts): the handler never imports it.
 */
function deliveryOf(producer: unknown): DeliveryEngineInternals | undefined {
  if (producer === undefined) return undefined;
  const p = producer as Partial<KafkaProducer> & { kafkaConfig?: unknown };
  if (typeof p === 'object' && p !== null && typeof p.send === 'function' && typeof p.flush === 'function') {
    const engine = p.deliveryEngine as Partial<DeliveryEngineInternals> | undefined;
    if (engine?.kind === 'kafka-lambda/delivery-engine' && typeof engine.open === 'function')
      return engine as DeliveryEngineInternals;
    throw new ConfigError(
      "producer carries no delivery engine: kafkaProducer() and memoryProducer() do; a producer of your own carries deliveryEngine from '@kafka-lambda/core/producer' ({ deliveryEngine, send, flush, close })",
    );
  }
  const build =
    "producer: kafkaProducer(config) from '@kafka-lambda/core/producer', created once at module scope";
  if (
    typeof p === 'object' &&
    p !== null &&
    (typeof p.kafkaConfig === 'function' || 'bootstrap.servers' in p)
  )
    throw new ConfigError(`producer takes a producer, not its config: ${build}`);
  throw new ConfigError(`producer must be a producer (${build}, or memoryProducer() in tests)`);
}
