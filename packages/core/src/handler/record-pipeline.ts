import { messageOf, RecordDecodeError, RecordValidationError } from '../errors.js';
import type { OutgoingMessage } from '../producer/types.js';
import type { KafkaRecord } from '../record.js';
import type { EsmSchemaMetadata, MessagePart } from '../serde.js';
import { RecordDeserializeContext } from './deserialize-context.js';
import type { BatchObserver } from './instrumentation.js';
import { toOutgoingMessage } from './outgoing-message.js';
import type { AnyProduceRequest } from './produce-request.js';
import { RecordContext } from './record-context.js';
import type { HandlerSettings } from './settings.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** A tombstone that `tombstones: 'skip'` passed over. */
export const SKIPPED = Symbol('skipped');

/** What a record that succeeded leaves to send (nothing, or its serialized messages). */
export type PipelineResult = readonly OutgoingMessage[] | undefined | typeof SKIPPED;

/**
 * `process` returned a promise, which the runner awaits itself (see {@link RecordPipeline.takeProcessing})
 * before it {@link RecordPipeline.finish}es the record: an async `process` then costs no closure, no
 * derived promise and no extra microtask per record.
 */
export const PROCESSING = Symbol('processing');

/** What {@link RecordPipeline.run} answers: the result, or {@link PROCESSING}. */
export type PipelineStep = PipelineResult | typeof PROCESSING;

/**
 * One record's way through the handler: decode the key and value, run `process`, serialize what it
 * produced. Synchronous unless a step returns a promise, so plain batches never await (and allocate
 * no closure). A throw or rejection is the record's failure; the context's stage says where.
 */
export class RecordPipeline {
  readonly #settings: HandlerSettings;
  readonly #observer: BatchObserver;
  /** Reused for every key and value of a partition: records of a partition never overlap. */
  readonly #deserializeContext = new RecordDeserializeContext();

  /**
   * The context of a key decoded on first read, made at the first such read. One serves every read:
   * only the synchronous built-in deserializers decode lazily, so each read is done with it within one call.
   */
  #keyContext: RecordDeserializeContext | undefined;
  /** The promise of the `process` call that answered {@link PROCESSING} (records of a partition never overlap). */
  #processing: Promise<unknown> | undefined;

  /** Decodes a key when `process` first reads it; a failure surfaces there as a {@link RecordDecodeError}. */
  readonly #decodeKeyOnRead = (record: AnyRecord): unknown => {
    try {
      this.#keyContext ??= new RecordDeserializeContext();
      const context = this.#keyContext.describe(record, 'key', record.keySchemaMetadata);
      return this.#settings.keyDeserializer.deserialize(record.rawKey!, context);
    } catch (error) {
      throw decodeError(record, 'key', error);
    }
  };

  constructor(settings: HandlerSettings, observer: BatchObserver) {
    this.#settings = settings;
    this.#observer = observer;
  }

  /** Runs the record; `decoded` when {@link decodeAhead} already decoded it (an idempotency key read it). */
  run(record: AnyRecord, context: RecordContext, decoded = false): PipelineStep | Promise<PipelineStep> {
    const runRecord = this.#observer.runRecord;
    if (decoded) {
      return runRecord
        ? runRecord(record, () => this.#decoded(record, context))
        : this.#decoded(record, context);
    }
    return runRecord
      ? runRecord(record, () => this.#decodeKey(record, context))
      : this.#decodeKey(record, context);
  }

  /** The promise `process` returned when {@link run} answered {@link PROCESSING}; the runner awaits it. */
  takeProcessing(): Promise<unknown> {
    const processing = this.#processing!;
    this.#processing = undefined;
    return processing;
  }

  /** Ends a record whose `process` promise the runner awaited: serializes what it produced. */
  finish(record: AnyRecord, context: RecordContext): PipelineResult | Promise<PipelineResult> {
    return this.#serialize(record, context);
  }

  /**
   * Decodes the key and value before the record runs, each with a context of its own (records
   * decoded ahead overlap). Throws or rejects with the record's {@link RecordDecodeError}.
   */
  decodeAhead(record: AnyRecord): void | Promise<void> {
    const raw = record.toEventRecord();
    const hasKey = raw.key !== null && raw.key !== undefined;
    let key: unknown;
    if (hasKey && this.#settings.lazyKeys) record.decodeKeyLazily(this.#decodeKeyOnRead);
    else if (hasKey) key = this.#decode(record, 'key', raw.keySchemaMetadata, new RecordDeserializeContext());
    const value =
      raw.value === null
        ? null
        : this.#decode(record, 'value', raw.valueSchemaMetadata, new RecordDeserializeContext());
    const assign = ([decodedKey, decodedValue]: unknown[]) => {
      if (hasKey && !this.#settings.lazyKeys) record.key = decodedKey;
      record.value = decodedValue;
    };
    if (key instanceof Promise || value instanceof Promise) return Promise.all([key, value]).then(assign);
    assign([key, value]);
  }

  #decoded(record: AnyRecord, context: RecordContext): PipelineStep | Promise<PipelineStep> {
    if (record.isTombstone && this.#settings.skipTombstones) return SKIPPED;
    return this.#process(record, context, true);
  }

  #decodeKey(record: AnyRecord, context: RecordContext): PipelineStep | Promise<PipelineStep> {
    const raw = record.toEventRecord();
    if (raw.key !== null && raw.key !== undefined) {
      if (this.#settings.lazyKeys) {
        record.decodeKeyLazily(this.#decodeKeyOnRead);
        return this.#decodeValue(record, context, true);
      }
      const key = this.#decode(record, 'key', raw.keySchemaMetadata);
      if (key instanceof Promise) {
        return key.then((decoded) => {
          record.key = decoded;
          return this.#decodeValue(record, context, false);
        });
      }
      record.key = key;
    }
    return this.#decodeValue(record, context, true);
  }

  /** `inline`: called from {@link run}'s own call, not from a promise's callback. */
  #decodeValue(
    record: AnyRecord,
    context: RecordContext,
    inline: boolean,
  ): PipelineStep | Promise<PipelineStep> {
    const raw = record.toEventRecord();
    if (raw.value === null) {
      if (this.#settings.skipTombstones) return SKIPPED;
      record.value = null;
      return this.#process(record, context, inline);
    }
    const value = this.#decode(record, 'value', raw.valueSchemaMetadata);
    if (value instanceof Promise) {
      return value.then((decoded) => {
        record.value = decoded;
        return this.#process(record, context, false);
      });
    }
    record.value = value;
    return this.#process(record, context, inline);
  }

  #process(record: AnyRecord, context: RecordContext, inline: boolean): PipelineStep | Promise<PipelineStep> {
    RecordContext.reached(context, 'process');
    const result = promiseOf(this.#settings.process(record, context));
    if (result) {
      // Handed to the runner to await, unless an observer wraps the record (what it produces must
      // be serialized inside that scope) or a promise callback runs us (keep the chain).
      if (inline && !this.#observer.runRecord) {
        this.#processing = result;
        return PROCESSING;
      }
      return result.then(() => this.#serialize(record, context));
    }
    return this.#serialize(record, context);
  }

  /** Serializes every message before any is sent: a serializer failure fails the record with nothing sent. */
  #serialize(record: AnyRecord, context: RecordContext): PipelineResult | Promise<PipelineResult> {
    RecordContext.reached(context, 'produce');
    const staged = RecordContext.end(context);
    if (staged === undefined) return undefined;
    // The staged list is the context's own (nobody else holds it): each request is replaced by its
    // message in place, so a producing record allocates no second array.
    const messages = staged as unknown as Array<
      AnyProduceRequest | OutgoingMessage | Promise<OutgoingMessage>
    >;
    let waiting = false;
    for (let i = 0; i < messages.length; i++) {
      const message = this.#outgoing(messages[i] as AnyProduceRequest, record);
      if (message instanceof Promise) waiting = true;
      messages[i] = message;
    }
    return waiting
      ? Promise.all(messages as Array<OutgoingMessage | Promise<OutgoingMessage>>)
      : (messages as OutgoingMessage[]);
  }

  #outgoing(request: AnyProduceRequest, source: AnyRecord): OutgoingMessage | Promise<OutgoingMessage> {
    const message = toOutgoingMessage(request);
    const observe = this.#observer.produce;
    if (!observe) return message;
    return message instanceof Promise
      ? message.then((ready) => observe(ready, source))
      : observe(message, source);
  }

  #decode(
    record: AnyRecord,
    part: MessagePart,
    schemaMetadata: EsmSchemaMetadata | undefined,
    context = this.#deserializeContext,
  ): unknown {
    const { keyDeserializer, valueDeserializer } = this.#settings;
    try {
      const bytes = part === 'key' ? record.rawKey! : record.rawValue!;
      const deserializer = part === 'key' ? keyDeserializer : valueDeserializer;
      const result = deserializer.deserialize(bytes, context.describe(record, part, schemaMetadata));
      const pending = promiseOf(result);
      return pending ? pending.catch((error) => Promise.reject(decodeError(record, part, error))) : result;
    } catch (error) {
      throw decodeError(record, part, error);
    }
  }
}

/**
 * The promise to await for `value`: itself when native; for any other thenable (a Knex or Mongoose
 * query, a Bluebird promise) a native promise of it, which calls its `then` (a lazy query runs only
 * then); undefined for a plain value. Taking a thenable for a plain value would succeed its record
 * at once, its rejection never seen.
 */
function promiseOf(value: unknown): Promise<unknown> | undefined {
  if (value instanceof Promise) return value;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' && typeof value !== 'function') return undefined;
  return typeof (value as { then?: unknown }).then === 'function' ? Promise.resolve(value) : undefined;
}

function decodeError(record: AnyRecord, part: MessagePart, error: unknown): RecordDecodeError {
  if (error instanceof RecordDecodeError) return error;
  // Its message names the record already: keep the location once.
  const reason = error instanceof RecordValidationError ? error.reason : messageOf(error);
  return new RecordDecodeError(record, part, reason, { cause: error });
}
