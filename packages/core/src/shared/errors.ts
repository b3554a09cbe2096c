/** Where in a batch something went wrong: every record-level error carries it. */
export interface RecordLocation {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Base class of every error this package throws, so callers can tell ours from theirs.
 *
 * @example
 * ```ts
 * try { await handler(event, context); } catch (error) { if (error instanceof KafkaLambdaError) console.error(error.name); }
 * ```
 */
export class KafkaLambdaError extends Error {
  override name = 'KafkaLambdaError';

  /**
   * True for every error of the SDK, `@kafka-lambda/serdes`' included: those carry the registered
   * brand `Symbol.for('kafka-lambda.error')` on their prototype instead of extending this class, so
   * serdes never imports core at run time (and two copies of core in one bundle still agree).
   * Subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass an instanceof asks about.
    if (this !== KafkaLambdaError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SDK_ERROR] === true
    );
  }
}

/** The brand of the SDK's errors; serdes' `sdk-error.ts` sets the same registered symbol. */
const SDK_ERROR = Symbol.for('kafka-lambda.error');
Object.defineProperty(KafkaLambdaError.prototype, SDK_ERROR, { value: true });

/**
 * The Lambda event is not a Kafka ESM event of the shape AWS sends. `path` names the offending field,
 * e.g. `records["orders-0"][3].offset`.
 */
export class InvalidEventError extends KafkaLambdaError {
  override name = 'InvalidEventError';
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`invalid Kafka event at ${path}: expected ${expected}`);
  }
}

/** A record's key or value could not be decoded from base64 or by its deserializer. */
export class RecordDecodeError extends KafkaLambdaError {
  override name = 'RecordDecodeError';
  /** The record's topic, partition and offset. */
  readonly record: RecordLocation;
  constructor(
    location: RecordLocation,
    readonly part: 'key' | 'value',
    /** Why, without the record's place: e.g. `invalid JSON: Unexpected token`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot decode ${part} of ${describeLocation(location)}: ${reason}`, options);
    this.record = locationOf(location);
  }

  /**
   * The same as `record`. A getter, not an own field: loggers that copy an error's fields (Powertools
   * Logger) keep their own `location` (the code location).
   */
  get location(): RecordLocation {
    return this.record;
  }
}

/** One failed check of a {@link RecordValidationError}: where in the value, and what the schema said. */
export interface ValidationIssue {
  /** Dotted path into the key or value (`items[0].sku`); empty for the value itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * A decoded key or value did not pass its Standard Schema (zod, valibot, arktype…), see `validated()`.
 * It names the record and the failing paths, never the value. The handler reports it as the record's
 * `decode` failure (the `cause` of a {@link RecordDecodeError}), under the record's error policy.
 */
export class RecordValidationError extends KafkaLambdaError {
  override name = 'RecordValidationError';
  /** The record's topic, partition and offset. */
  readonly record: RecordLocation;
  /** Why, without the record's place: `failed validation (zod): total: Too small (and 1 more)`. */
  readonly reason: string;
  constructor(
    location: RecordLocation,
    readonly part: 'key' | 'value',
    readonly issues: readonly ValidationIssue[],
    /** The schema library (`zod`, `valibot`, …), from the schema's `~standard.vendor`. */
    readonly vendor: string,
  ) {
    const first = issues[0];
    const reason =
      `failed validation (${vendor}): ` +
      (first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'rejected by its schema') +
      (issues.length > 1 ? ` (and ${issues.length - 1} more)` : '');
    super(`${part} of ${describeLocation(location)} ${reason}`);
    this.record = locationOf(location);
    this.reason = reason;
  }

  /** The same as `record`; a getter, so that loggers copying an error's fields keep their own `location`. */
  get location(): RecordLocation {
    return this.record;
  }
}

/**
 * Thrown by the handler under the `retry-batch` policy, so that the ESM retries the whole batch. When
 * the record could not be decoded, the message is the {@link RecordDecodeError}'s (it names the record
 * once); otherwise `processing failed at <topic>-<partition>@<offset>: <the error's message>`.
 */
export class RecordProcessingError extends KafkaLambdaError {
  override name = 'RecordProcessingError';
  /** The record's topic, partition and offset. */
  readonly record: RecordLocation;
  constructor(location: RecordLocation, options: { cause: unknown }) {
    super(
      options.cause instanceof RecordDecodeError
        ? options.cause.message
        : `processing failed at ${describeLocation(location)}: ${messageOf(options.cause)}`,
      options,
    );
    this.record = locationOf(location);
  }

  /** The same as `record`; a getter, so that loggers copying an error's fields keep their own `location`. */
  get location(): RecordLocation {
    return this.record;
  }
}

/** The broker did not acknowledge a produced message; the invocation fails so nothing is lost. */
export class DeliveryError extends KafkaLambdaError {
  override name = 'DeliveryError';
  /** Each undelivered message: its topic, the record that produced it, and the broker's error. */
  constructor(
    readonly failures: ReadonlyArray<{
      readonly topic: string;
      readonly source?: RecordLocation;
      readonly error: Error;
    }>,
  ) {
    const first = failures[0];
    super(
      `${failures.length} produced message(s) were not delivered` +
        (first ? `; first to ${first.topic}: ${first.error.message}` : ''),
      { cause: first?.error },
    );
  }
}

/**
 * Produced messages had no delivery report before the invocation's deadline. `topics` names where
 * the unconfirmed messages were going (empty when unknown).
 */
export class FlushTimeoutError extends KafkaLambdaError {
  override name = 'FlushTimeoutError';
  constructor(
    readonly timeoutMs: number,
    readonly pending: number,
    readonly topics: readonly string[] = [],
  ) {
    super(
      `flush did not complete within ${timeoutMs} ms; ${pending} message(s) unconfirmed` +
        (topics.length > 0 ? ` (to ${topics.join(', ')})` : ''),
    );
  }
}

/**
 * A `produce()` request that can never become a message (no topic, a value that is neither bytes
 * nor text without a serializer, …). Thrown at the call, so only the record that made it fails.
 *
 * @example
 * ```ts
 * try { produce({ topic: 'out', value: 42 as never }); } catch (error) { console.log((error as InvalidProduceRequestError).field); } // 'value'
 * ```
 */
export class InvalidProduceRequestError extends KafkaLambdaError {
  override name = 'InvalidProduceRequestError';
  constructor(
    readonly field: string,
    readonly expected: string,
  ) {
    super(`produce() needs ${field} to be ${expected}`);
  }
}

/**
 * `produce()` was called after its record had finished (a promise inside `process` that was not
 * awaited). The message is not sent and the call does not throw (nobody awaits such code): while
 * the invocation runs it fails with this error, so the batch comes again; after it ended, an ERROR
 * line names the record and the dropped message's topic.
 */
export class LateProduceError extends KafkaLambdaError {
  override name = 'LateProduceError';
  /** The record's topic, partition and offset. */
  readonly record: RecordLocation;
  constructor(location: RecordLocation, topic: string) {
    super(
      `produce() to ${topic} was called after ${describeLocation(location)} had finished: ` +
        'await every promise inside process()',
    );
    this.record = locationOf(location);
  }

  /** The same as `record`; a getter, so that loggers copying an error's fields keep their own `location`. */
  get location(): RecordLocation {
    return this.record;
  }
}

/** The deadline guard stopped the batch before every record was processed (policies other than `report`). */
export class DeadlineExceededError extends KafkaLambdaError {
  override name = 'DeadlineExceededError';
  constructor(readonly unprocessed: number) {
    super(`stopped ${unprocessed} record(s) short of the end of the batch to leave time to flush`);
  }
}

/**
 * A failure that another attempt may not have: a dependency down, a timeout. Whatever `onError` says,
 * the record is neither logged-and-skipped nor dead-lettered: the invocation fails (under `report`, the
 * record is reported) so the ESM retries it. Errors of other packages qualify by carrying
 * `retryable: true` (the Schema Registry client's `RegistryUnavailableError` does), also as a `cause`.
 *
 * @example
 * ```ts
 * process: async (record) => {
 *   const response = await fetch(`https://ledger.internal/trades/${record.key}`, { method: 'PUT' });
 *   if (response.status >= 500) throw new RetryableError(`ledger answered ${response.status}`);
 * }
 * ```
 */
export class RetryableError extends KafkaLambdaError {
  override name = 'RetryableError';
  readonly retryable = true;
}

/** True when a delivery error says the message as it is can never be delivered (`permanent: true`). */
export function isPermanentDeliveryError(error: unknown): boolean {
  return (error as { permanent?: unknown } | undefined)?.permanent === true;
}

/** True when the error, or one of its causes, is marked `retryable: true`. */
export function isRetryable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    if ((current as { retryable?: unknown }).retryable === true) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Configuration is missing or malformed. Names the key, never its value. */
export class ConfigError extends KafkaLambdaError {
  override name = 'ConfigError';
}

/**
 * The {@link ConfigError} in `error`'s cause chain, if any: a configuration mistake that reached a
 * record through a deserializer or a library (`RecordDecodeError` → `ConfigError`) fails the
 * invocation like one thrown directly, instead of failing that record under its policy.
 *
 * @example
 * ```ts
 * configErrorIn(new Error('decode failed', { cause: new ConfigError('schema.registry.url is missing') })); // the ConfigError
 * ```
 */
export function configErrorIn(error: unknown): ConfigError | undefined {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    if (current instanceof ConfigError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A failed record's dead letter could not be made: the `deadLetterTopic` function threw, or did not
 * return a topic name. The invocation fails (the ESM retries it); `cause` holds what the function threw.
 */
export class DeadLetterError extends KafkaLambdaError {
  override name = 'DeadLetterError';
  /** The record whose dead letter it was. */
  readonly record: RecordLocation;
  constructor(location: RecordLocation, reason: string, options?: { cause: unknown }) {
    super(`no dead letter for ${describeLocation(location)}: ${reason}`, options);
    this.record = locationOf(location);
  }
}

/**
 * The route of `onError: { policy: (failure) => …, routes }` could not decide a failed record: it
 * threw, or returned something that is not one of its `routes` (a promise, a typo, a policy it did not
 * declare). The record is not dropped: every partition stops and the invocation fails, so that the ESM
 * retries the batch; `cause` holds what the route threw.
 */
export class FailureRouteError extends KafkaLambdaError {
  override name = 'FailureRouteError';
  /** The failed record the route was asked about. */
  readonly record: RecordLocation;
  constructor(location: RecordLocation, reason: string, options?: { cause: unknown }) {
    super(`onError.policy could not route ${describeLocation(location)}: ${reason}`, options);
    this.record = locationOf(location);
  }
}

/**
 * A record's fate was about to move illegally (say, to succeeded after it failed), or the batch was
 * about to succeed with a record that has no final outcome: a defect of the SDK, never of your
 * function. The invocation fails instead, so that no record is lost; please report it.
 */
export class OutcomeInvariantError extends KafkaLambdaError {
  override name = 'OutcomeInvariantError';
}

/**
 * Every record of the batch that ran failed at the same stage with the same error (at least two
 * of them): that is the environment (a file missing from the bundle, a wrong deserializer, a topic
 * the function may not write), not poison records, so nothing is logged-and-dropped or
 * dead-lettered for it and the invocation fails to be retried. `allFailedAlike: 'apply-policy'` opts out.
 */
export class EveryRecordFailedError extends KafkaLambdaError {
  override name = 'EveryRecordFailedError';
  /** Always: the batch is to be retried, the environment may be fixed by then. */
  readonly retryable = true;
  /** The first record that failed. */
  readonly record: RecordLocation;
  /** How many records failed. */
  readonly failed: number;
  /** Where they failed: `decode`, `process`, `produce` or `deliver`. */
  readonly stage: string;
  constructor(failed: number, stage: string, location: RecordLocation, options: { cause: unknown }) {
    super(
      `every record of the batch failed alike (${failed} records, stage ${stage}, first ${describeLocation(location)}): ` +
        `${messageOf(options.cause)}; failing the invocation so the batch is retried`,
      options,
    );
    this.failed = failed;
    this.stage = stage;
    this.record = locationOf(location);
  }
}

/**
 * A plain copy of where a record is, so an error or a log line never holds on to (or serializes) a
 * whole record, its key or its value.
 *
 * @example
 * ```ts
 * import { locationOf } from '@kafka-lambda/core/middleware';
 *
 * console.log(locationOf({ topic: 'orders', partition: 3, offset: 42 })); // { topic: 'orders', partition: 3, offset: 42 }
 * ```
 */
export function locationOf({ topic, partition, offset }: RecordLocation): RecordLocation {
  return { topic, partition, offset };
}

/**
 * `topic-partition@offset`, as every message of the SDK names a record.
 *
 * @example
 * ```ts
 * import { describeLocation } from '@kafka-lambda/core/middleware';
 *
 * console.log(describeLocation({ topic: 'orders', partition: 3, offset: 42 })); // orders-3@42
 * ```
 */
export function describeLocation({ topic, partition, offset }: RecordLocation): string {
  return `${topic}-${partition}@${offset}`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Normalizes a thrown value; librdkafka-style `{ code, message }` objects keep both. */
export function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  if (typeof message === 'string')
    return Object.assign(new Error(message), code === undefined ? {} : { code });
  return new Error(String(error));
}
