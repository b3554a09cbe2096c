import type { MessagePart, SerializeContext } from '@kafka-lambda/core/serde';
import { PromiseCache } from './registry/cache.js';
import type { SchemaRegistry } from './registry/client.js';
import { SchemaRegistryError } from './registry/errors.js';
import type { RegisteredSchema, SchemaDefinition } from './registry/types.js';
import { type SubjectNameStrategy, subjectName } from './subject-name.js';
import { writeConfluentFrame } from './wire/confluent.js';
import { schemaIdHeaderName, writeSchemaIdHeader } from './wire/header-mode.js';
import { writeMessageIndexes } from './wire/message-indexes.js';

/** How a serializer picks the schema id it writes. */
export interface WriterOptions {
  /** Default `TopicName` (`<topic>-value` / `<topic>-key`). */
  subjectNameStrategy?: SubjectNameStrategy;
  /** Register the local schema under the subject (idempotent). Default: look it up, and fail if absent. */
  autoRegister?: boolean;
  /** Write with the subject's latest registered schema instead of a local one (re-read after the registry's `latestTtlMs`). */
  useLatest?: boolean;
  /** Always write with this schema id. */
  schemaId?: number;
  /**
   * `payload` (default): the Confluent prefix. `header`: the payload is unprefixed and the id goes in
   * `__key_schema_id`/`__value_schema_id` as `0x01` + GUID, or as `0x00` + int id when the registry
   * has no GUIDs (Confluent's deserializer reads both).
   */
  schemaIdLocation?: 'payload' | 'header';
}

/** Turns a value into the payload bytes (no framing). */
export type PayloadEncoder<T> = (value: T) => Uint8Array;

/** A writer schema compiled for encoding, with its id. */
export interface WriterEntry<T> {
  readonly id: number;
  readonly guid: string | undefined;
  readonly encode: PayloadEncoder<T>;
  /** Protobuf message indexes of the written type. */
  readonly indexes?: readonly number[] | undefined;
}

/** The schema the user gave, ready to register/look up and to encode with. */
export interface LocalSchema<T> {
  readonly definition: SchemaDefinition;
  readonly encode: PayloadEncoder<T>;
  readonly indexes?: readonly number[] | undefined;
}

interface Cached<T> {
  readonly entry: WriterEntry<T>;
  /** The encoded message indexes, computed once. */
  readonly indexBytes: Buffer | undefined;
}

/**
 * Chooses, caches and applies the writer schema per subject, and frames the payload. Synchronous once
 * the subject's schema is known.
 */
export class SchemaWriter<T> {
  /** Per subject; with `useLatest` the choice is re-read after the registry's `latestTtlMs`. */
  readonly #bySubject: PromiseCache<string, Cached<T>>;
  readonly #strategy: SubjectNameStrategy;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly options: WriterOptions,
    /** The user's schema, built lazily (it may read a file); undefined when there is none. */
    private readonly local: (() => Promise<LocalSchema<T>>) | undefined,
    /** Compiles a registry schema for encoding (fixed id and `useLatest`). */
    private readonly fromRegistry: (schema: RegisteredSchema) => Promise<Omit<WriterEntry<T>, 'id' | 'guid'>>,
    /** The record name for RecordName strategies, when known without I/O. */
    private readonly recordName: () => string | undefined,
    latestTtlMs = 60_000,
  ) {
    this.#strategy = options.subjectNameStrategy ?? 'TopicName';
    this.#bySubject = new PromiseCache(
      options.useLatest && options.schemaId === undefined ? latestTtlMs : Number.POSITIVE_INFINITY,
    );
  }

  serialize(value: T, ctx?: SerializeContext): Buffer | Promise<Buffer> {
    const key = this.#subject(ctx?.topic, ctx?.part ?? 'value');
    const hit = this.#bySubject.peek(key);
    if (hit) return this.#frame(hit, value, ctx);
    return this.#bySubject
      .get(key, async () => {
        const entry = await this.#resolve(key);
        return { entry, indexBytes: entry.indexes ? writeMessageIndexes(entry.indexes) : undefined };
      })
      .then((cached) => this.#frame(cached, value, ctx));
  }

  #subject(topic: string | undefined, part: MessagePart): string {
    if (this.options.schemaId !== undefined) return '';
    if (topic === undefined && this.#strategy !== 'RecordName') {
      throw new TypeError(
        'serialize: a context with the topic is needed to choose the subject (or set schemaId)',
      );
    }
    return subjectName(this.#strategy, { topic: topic ?? '', part, recordName: this.recordName() });
  }

  async #resolve(subject: string): Promise<WriterEntry<T>> {
    const { schemaId, useLatest, autoRegister } = this.options;
    if (schemaId !== undefined || useLatest) {
      const registered =
        schemaId !== undefined
          ? await this.registry.getSchemaById(schemaId)
          : await this.registry.getLatestVersion(subject);
      return { ...(await this.fromRegistry(registered)), id: registered.id, guid: registered.guid };
    }
    if (!this.local) throw new TypeError('serialize: give a schema, or set useLatest or schemaId');
    const local = await this.local();
    let id: number;
    let guid: string | undefined;
    if (autoRegister) ({ id, guid } = await this.registry.register(subject, local.definition));
    else ({ id, guid } = await this.registry.lookup(subject, local.definition));
    if (this.options.schemaIdLocation === 'header' && guid === undefined) {
      guid = await this.registry.getSchemaById(id).then(
        (schema) => schema.guid,
        () => undefined,
      );
    }
    return { id, guid, encode: local.encode, indexes: local.indexes };
  }

  #frame(cached: Cached<T>, value: T, ctx?: SerializeContext): Buffer {
    const { entry, indexBytes } = cached;
    const payload = entry.encode(value);
    if (this.options.schemaIdLocation !== 'header') return writeConfluentFrame(entry.id, payload, indexBytes);
    if (!ctx?.headers) throw new TypeError('schemaIdLocation "header" needs a SerializeContext with headers');
    const header =
      entry.guid !== undefined
        ? writeSchemaIdHeader(entry.guid, entry.indexes)
        : writeConfluentFrame(entry.id, indexBytes ?? Buffer.alloc(0));
    ctx.headers.push([schemaIdHeaderName(ctx.part), header]);
    return Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  }
}

/** Used by formats to name the failure when the registry schema is of another type. */
export function assertSchemaType(
  schema: Pick<RegisteredSchema, 'schemaType'>,
  expected: string,
  id: number | string | undefined,
): void {
  if (schema.schemaType !== expected) {
    const which = id === undefined ? 'the schema' : `schema ${id}`;
    throw new SchemaRegistryError(`${which} is ${schema.schemaType}, expected ${expected}`);
  }
}
