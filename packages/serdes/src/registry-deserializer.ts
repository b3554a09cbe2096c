import type { DeserializeContext } from '@kafka-lambda/core';
import { PromiseCache } from './registry/cache.js';
import type { SchemaRegistry } from './registry/client.js';
import type { RegisteredSchema, SchemaType } from './registry/types.js';
import { readConfluentSchemaId } from './wire/confluent.js';
import {
  EmptyPayloadError,
  InvalidPayloadError,
  InvalidSchemaMetadataError,
  UnknownMagicByteError,
} from './wire/errors.js';
import { GLUE_MAGIC, readGlueFrame } from './wire/glue.js';
import { readSchemaIdHeader, schemaIdHeaderName } from './wire/header-mode.js';
import { readMessageIndexes } from './wire/message-indexes.js';

/**
 * Resolves an AWS Glue schema version UUID to its definition, e.g. with `@aws-sdk/client-glue`'s
 * `GetSchemaVersionCommand` (`SchemaDefinition`, `DataFormat`). Results are cached per UUID.
 */
export type GlueSchemaResolver = (
  schemaVersionId: string,
) => Promise<{ schema: string; dataFormat: 'AVRO' | 'PROTOBUF' | 'JSON' | string }>;

/** How the ESM's own schema-registry integration delivers records; see the README. */
export type EsmRecordFormat = 'JSON' | 'SOURCE' | 'auto';

/** Options every registry deserializer shares. */
export interface RegistryDeserializerOptions {
  /** Read AWS Glue framed records (`0x03`) by resolving their schema version UUID with this function. */
  glue?: GlueSchemaResolver;
  /**
   * With the ESM's schema-registry integration (`ctx.schemaMetadata` present): `JSON` parses the
   * bytes as JSON, `SOURCE` decodes them with the schema the metadata names. `auto` (default) parses
   * JSON when the payload starts with `{` and is valid JSON, and falls back to `SOURCE` otherwise.
   */
  esmRecordFormat?: EsmRecordFormat;
}

/** A schema compiled for decoding. `indexes` is undefined when the wire format carries none. */
export type PayloadDecoder<T> = (
  bytes: Buffer,
  start: number,
  indexes: readonly number[] | undefined,
  ctx?: DeserializeContext,
) => T;

/** Compiles a writer schema, fetching its references when it has any. */
export type DecoderCompiler<T> = (
  schema: Pick<RegisteredSchema, 'schema' | 'schemaType' | 'references'> & { id?: number | string },
) => Promise<PayloadDecoder<T>>;

/**
 * Finds the writer schema of a record (Confluent prefix, header mode, Glue, or ESM metadata), compiles
 * it once per id, and decodes. Synchronous once the schema is compiled: no Promise on the hot path.
 */
export class RegistryDeserializer<T> {
  // Compiled decoders; the registry client caches the schemas themselves.
  readonly #byId = new PromiseCache<number, PayloadDecoder<T>>();
  readonly #byGuid = new PromiseCache<string, PayloadDecoder<T>>();
  readonly #byGlue = new PromiseCache<string, PayloadDecoder<T>>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly schemaType: SchemaType,
    private readonly compile: DecoderCompiler<T>,
    private readonly options: RegistryDeserializerOptions = {},
    /** When decoding needs no schema (JSON without validation): used for every id, nothing is fetched. */
    private readonly fixed?: PayloadDecoder<T>,
  ) {}

  deserialize(bytes: Buffer, ctx?: DeserializeContext): T | Promise<T> {
    const protobuf = this.schemaType === 'PROTOBUF';
    if (ctx?.schemaMetadata) return this.#esm(bytes, ctx);
    // Header mode first: an unprefixed payload may well start with 0x00.
    const header = ctx?.headers?.get(schemaIdHeaderName(ctx.part));
    if (header !== undefined) {
      const ref = readSchemaIdHeader(header, protobuf, ctx);
      if (ref.guid !== undefined) return this.#decodeGuid(ref.guid, bytes, 0, ref.indexes, ctx);
      return this.#decodeId(ref.id!, bytes, 0, ref.indexes, ctx);
    }
    if (bytes.length === 0) throw new EmptyPayloadError(ctx);
    if (bytes[0] === GLUE_MAGIC && this.options.glue) {
      const frame = readGlueFrame(bytes, ctx);
      return this.#decodeGlue(frame.schemaVersionId, frame.payload, ctx);
    }
    if (bytes[0] !== 0)
      throw new UnknownMagicByteError(this.options.glue ? [0, GLUE_MAGIC] : [0], bytes[0]!, ctx);
    const id = readConfluentSchemaId(bytes, ctx);
    if (protobuf) {
      const { indexes, next } = readMessageIndexes(bytes, 5, ctx);
      return this.#decodeId(id, bytes, next, indexes, ctx);
    }
    return this.#decodeId(id, bytes, 5, undefined, ctx);
  }

  /** Compiles (and caches) the decoder of a registry schema id ahead of time, e.g. during init. */
  async preload(id: number): Promise<void> {
    await this.#loadId(id);
  }

  #decodeId(
    id: number,
    bytes: Buffer,
    start: number,
    indexes: readonly number[] | undefined,
    ctx?: DeserializeContext,
  ) {
    const decoder = this.#byId.peek(id) ?? this.fixed;
    if (decoder) return decoder(bytes, start, indexes, ctx);
    return this.#loadId(id).then((loaded) => loaded(bytes, start, indexes, ctx));
  }

  #decodeGuid(
    guid: string,
    bytes: Buffer,
    start: number,
    indexes: readonly number[] | undefined,
    ctx?: DeserializeContext,
  ) {
    const decoder = this.#byGuid.peek(guid) ?? this.fixed;
    if (decoder) return decoder(bytes, start, indexes, ctx);
    return this.#byGuid
      .get(guid, async () => this.compile(await this.registry.getSchemaByGuid(guid)))
      .then((loaded) => loaded(bytes, start, indexes, ctx));
  }

  #decodeGlue(uuid: string, payload: Buffer, ctx?: DeserializeContext) {
    const decoder = this.#byGlue.peek(uuid) ?? this.fixed;
    if (decoder) return decoder(payload, 0, undefined, ctx);
    return this.#byGlue
      .get(uuid, async () => {
        const found = await this.options.glue!(uuid);
        const schemaType = found.dataFormat.toUpperCase() as SchemaType;
        return this.compile({ id: uuid, schema: found.schema, schemaType, references: [] });
      })
      .then((loaded) => loaded(payload, 0, undefined, ctx));
  }

  #loadId(id: number): Promise<PayloadDecoder<T>> {
    return this.#byId.get(id, async () => this.compile(await this.registry.getSchemaById(id)));
  }

  #esm(bytes: Buffer, ctx: DeserializeContext): T | Promise<T> {
    const format = this.options.esmRecordFormat ?? 'auto';
    if (format === 'JSON') {
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch {
        // Not the parser's message: it quotes the record's text, which has no place in logs.
        throw new InvalidPayloadError(
          `invalid JSON record (ESM record format JSON, ${bytes.length} bytes)`,
          ctx.schemaMetadata!.schemaId,
          ctx,
        );
      }
    }
    if (format === 'auto' && bytes[0] === 0x7b /* { */) {
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch {
        // Not JSON after all: a binary payload that happens to start with 0x7b.
      }
    }
    const schemaId = ctx.schemaMetadata!.schemaId as string | null | undefined;
    if (typeof schemaId !== 'string' || schemaId === '') {
      throw new InvalidSchemaMetadataError(ctx.schemaMetadata!.dataFormat, ctx);
    }
    if (/^\d+$/.test(schemaId)) return this.#decodeId(Number(schemaId), bytes, 0, undefined, ctx);
    if (this.options.glue) return this.#decodeGlue(schemaId, bytes, ctx);
    return this.#decodeGuid(schemaId, bytes, 0, undefined, ctx);
  }
}
