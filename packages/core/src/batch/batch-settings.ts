import type { ProcessContext } from '../contract/process-context.js';
import type { KafkaProducer } from '../contract/producer.js';
import type { DeliveryEngineInternals } from '../delivery/engine.js';
import type { BatchMiddleware, Instrumentation } from '../middleware/batch-middleware.js';
import type { ResolvedOrdering } from '../ordering/ordering.js';
import type { AllFailedAlike, ErrorPolicy } from '../policies/error-policy.js';
import type { FailurePolicy } from '../policies/policy.js';
import type { KafkaRecord } from '../record/record.js';
import type { Deserializer } from '../serde/serde.js';
import type { Logger } from '../shared/logger.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** The handler's options after defaults and checks, shared by every invocation. */
export interface HandlerSettings {
  readonly keyDeserializer: Deserializer<unknown>;
  /** The key deserializer is synchronous: decode keys on first read instead of for every record. */
  readonly lazyKeys: boolean;
  readonly valueDeserializer: Deserializer<unknown>;
  readonly process: (record: AnyRecord, context: ProcessContext) => void | Promise<void>;
  /** The policy's name, or `'route'` when a function chooses one per failed record. */
  readonly policyName: ErrorPolicy | 'route';
  readonly policy: FailurePolicy;
  /** Records not done are reported (`batchItemFailures`) rather than failing the invocation. */
  readonly reports: boolean;
  /** What a batch whose records all failed alike does (see the option's documentation). */
  readonly allFailedAlike: AllFailedAlike;
  readonly deadLetterTopic: string | ((record: AnyRecord, error: Error) => string) | undefined;
  readonly producer: KafkaProducer | undefined;
  /** What the producer brings to send a batch's outputs and dead letters (with `producer` only). */
  readonly delivery: DeliveryEngineInternals | undefined;
  /** Which records may run at the same time (`ordering`). */
  readonly ordering: ResolvedOrdering;
  /** The bound on records in flight of an invocation, across partitions. */
  readonly concurrency: number;
  readonly skipTombstones: boolean;
  readonly deadlineReserveMs: number | undefined;
  readonly logger: Logger;
  readonly logSummary: boolean;
  /** The middleware that observe each invocation (those with `startBatch`), in `use`'s order. */
  readonly instrumentation: readonly Instrumentation[];
  /** `use`, in the order given. */
  readonly middleware: readonly BatchMiddleware[];
}
