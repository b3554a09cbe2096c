import type { DeserializeContext } from '@kafka-lambda/core/serde';
import { PromiseCache } from './registry/cache.js';
import type { SchemaRegistry } from './registry/client.js';
import type { RegisteredSchema, SchemaType } from './registry/types.js';
import { confluentFormat } from './wire/confluent.js';
import { EmptyPayloadError, UnknownMagicByteError } from './wire/errors.js';
import { type EsmRecordFormat, esmMetadataFormat } from './wire/esm-metadata.js';
import { type Frame, newFrame, type WireFormat } from './wire/format.js';
import { glueFormat } from './wire/glue.js';
import { headerModeFormat } from './wire/header-mode.js';
import { unframedFormat } from './wire/unframed.js';

/**
 * Resolves an AWS Glue schema version UUID to its definition, e.g. with `@aws-sdk/client-glue`'s
 * `GetSchemaVersionCommand` (`SchemaDefinition`, `DataFormat`). Results are cached per UUID.
 */
export type GlueSchemaResolver = (
  schemaVersionId: string,
) => Promise<{ schema: string; dataFormat: 'AVRO' | 'PROTOBUF' | 'JSON' | string }>;

export type { EsmRecordFormat };

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
 * Finds the writer schema of a record with its wire formats (ESM metadata, header mode, Glue, the
 * Confluent prefix; or none at all), compiles it once per id, and decodes. Synchronous once the
 * schema is compiled: no Promise on the hot path.
 */
export class RegistryDeserializer<T> {
  // Compiled decoders; the registry client caches the schemas themselves.
  readonly #byId = new PromiseCache<number, PayloadDecoder<T>>();
  readonly #byGuid = new PromiseCache<string, PayloadDecoder<T>>();
  readonly #byGlue = new PromiseCache<string, PayloadDecoder<T>>();
  readonly #formats: readonly WireFormat[];
  readonly #expectedMagic: number[];
  readonly #protobuf: boolean;
  readonly #frame: Frame = newFrame();
  #localDecoder: PayloadDecoder<T> | undefined;

  constructor(
    private readonly registry: SchemaRegistry | undefined,
    schemaType: SchemaType,
    private readonly compile: DecoderCompiler<T>,
    private readonly options: RegistryDeserializerOptions = {},
    /** When decoding needs no schema (JSON without validation): used for every id, nothing is fetched. */
    private readonly fixed?: PayloadDecoder<T>,
    /**
     * Unframed payloads (`wireFormat: 'none'`): every record decodes with this decoder of the user's
     * schema (built on the first record), and no other wire format is read.
     */
    private readonly local?: () => PayloadDecoder<T>,
  ) {
    this.#protobuf = schemaType === 'PROTOBUF';
    this.#formats = local
      ? [unframedFormat]
      : [
          esmMetadataFormat(options.esmRecordFormat ?? 'auto', options.glue !== undefined),
          // Header mode before the prefixes: an unprefixed payload may well start with 0x00.
          headerModeFormat,
          ...(options.glue ? [glueFormat] : []),
          confluentFormat,
        ];
    this.#expectedMagic = this.#formats
      .map((format) => format.magic)
      .filter((magic): magic is number => magic !== undefined)
      .sort((a, b) => a - b);
  }

  deserialize(bytes: Buffer, ctx?: DeserializeContext): T | Promise<T> {
    const frame = this.#frame;
    const formats = this.#formats;
    for (let i = 0; i < formats.length; i++) {
      if (formats[i]!.read(bytes, ctx, frame, this.#protobuf)) return this.#decode(frame, ctx);
    }
    if (bytes.length === 0) throw new EmptyPayloadError(ctx);
    throw new UnknownMagicByteError(this.#expectedMagic, bytes[0]!, ctx);
  }

  /** Compiles (and caches) the decoder of a registry schema id ahead of time, e.g. during init. */
  async preload(id: number): Promise<void> {
    await this.#loadId(id);
  }

  #decode(frame: Frame, ctx: DeserializeContext | undefined): T | Promise<T> {
    switch (frame.kind) {
      case 'id':
        return this.#decodeId(frame.id, frame.payload, frame.start, frame.indexes, ctx);
      case 'guid':
        return this.#decodeGuid(frame.key, frame.payload, frame.start, frame.indexes, ctx);
      case 'glue':
        return this.#decodeGlue(frame.key, frame.payload, ctx);
      case 'local':
        this.#localDecoder ??= this.local!();
        return this.#localDecoder(frame.payload, frame.start, frame.indexes, ctx);
      case 'value': {
        const value = frame.value as T;
        frame.value = undefined; // the frame is reused: do not keep the record alive
        return value;
      }
    }
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
      .get(guid, async () => this.compile(await this.registry!.getSchemaByGuid(guid)))
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
    return this.#byId.get(id, async () => this.compile(await this.registry!.getSchemaById(id)));
  }
}
