import type avsc from 'avsc';
import { avroBoundsCheck } from './avro-bounds.js';
import { AVRO_LOGICAL_TYPES } from './avro-logical-types.js';
import { Type } from './avsc-types.js';
import { PromiseCache } from './registry/cache.js';
import type { SchemaRegistry } from './registry/client.js';
import type { RegisteredSchema, SchemaReference } from './registry/types.js';
import {
  type PayloadDecoder,
  RegistryDeserializer,
  type RegistryDeserializerOptions,
} from './registry-deserializer.js';
import type { RegistrySerde, WireFormatChoice } from './registry-serde.js';
import { InvalidPayloadError } from './wire/errors.js';
import { assertSchemaType, type LocalSchema, SchemaWriter, type WriterOptions } from './writer-schema.js';

/** Options of `avro()`. */
export interface AvroOptions extends RegistryDeserializerOptions, WriterOptions {
  /**
   * Your schema (JSON text, schema object or avsc Type). When deserializing it is the reader schema:
   * records written with another version are resolved into it (Avro schema evolution). When
   * serializing it is the schema registered (`autoRegister`) or looked up under the subject.
   */
  schema?: avsc.Schema | string | avsc.Type;
  /** References of `schema` (named types it uses from other subjects), when registering it. */
  references?: SchemaReference[];
  /**
   * `registry` (default): each record says which schema wrote it (Confluent prefix, header mode, Glue,
   * ESM metadata). `none`: payloads are bare Avro, as producers without a registry write them
   * (Powertools for AWS Lambda's default mode); they are read and written with `schema`, and no
   * registry is needed: `avro({ schema, wireFormat: 'none' })`.
   */
  wireFormat?: WireFormatChoice;
}

/**
 * Avro in the Confluent wire format (also header mode, AWS Glue and the ESM integration on read).
 * Logical types: `timestamp-millis` → `Date`, `date` → `Date` (UTC midnight), `decimal` → exact string
 * (`"12.50"`), `uuid` → string; longs are numbers (avsc throws beyond 2^53). Writer schemas are fetched
 * once per id and compiled once; later records decode synchronously.
 *
 * @example
 * ```ts
 * const registry = schemaRegistry({ url: 'http://localhost:8081' });
 * const trades = avro<{ symbol: string; price: string }>(registry);
 * const trade = await trades.deserialize(bytes); // a Promise only on the first record of a schema id
 * const out = await avro(registry, { schema: tradeSchema, autoRegister: true }).serialize(trade, { topic: 'trades', part: 'value', headers: [] });
 * ```
 */
export function avro<T = unknown>(registry: SchemaRegistry, options?: AvroOptions): RegistrySerde<T>;
/**
 * Bare Avro without a registry (`wireFormat: 'none'`, Powertools for AWS Lambda's default mode): every
 * payload is read and written with `schema`.
 *
 * @example
 * ```ts
 * const trades = avro<{ symbol: string }>({ schema: tradeSchema, wireFormat: 'none' });
 * const trade = trades.deserialize(bareAvroBytes); // synchronous: nothing to fetch
 * ```
 */
export function avro<T = unknown>(options: AvroOptions & { wireFormat: 'none' }): RegistrySerde<T>;
export function avro<T = unknown>(
  first: SchemaRegistry | (AvroOptions & { wireFormat: 'none' }),
  second: AvroOptions = {},
): RegistrySerde<T> {
  const [registry, options] = isRegistry(first) ? [first, second] : [undefined, first ?? {}];
  const unframed = options.wireFormat === 'none';
  if (unframed && options.schema === undefined) {
    throw new TypeError("avro: wireFormat 'none' needs `schema`, the schema the payloads were written with");
  }
  if (!unframed && !registry)
    throw new TypeError("avro: give a schema registry, or wireFormat 'none' and a schema");
  const typesById = new PromiseCache<number | string, avsc.Type>();
  let reader: avsc.Type | undefined;
  const readerType = (): avsc.Type | undefined => {
    if (options.schema === undefined) return undefined;
    reader ??= toType(options.schema);
    return reader;
  };

  const parse = (
    schema: Pick<RegisteredSchema, 'schema' | 'schemaType' | 'references'> & { id?: number | string },
  ) => {
    const load = async (): Promise<avsc.Type> => {
      assertSchemaType(schema, 'AVRO', schema.id);
      const named: Record<string, avsc.Type> = {};
      for (const ref of await registry!.resolveReferences(schema)) {
        Type.forSchema(JSON.parse(ref.schema.schema) as avsc.Schema, {
          registry: named,
          logicalTypes: AVRO_LOGICAL_TYPES,
        });
      }
      return Type.forSchema(JSON.parse(schema.schema) as avsc.Schema, {
        registry: named,
        logicalTypes: AVRO_LOGICAL_TYPES,
      });
    };
    return schema.id === undefined ? load() : typesById.get(schema.id, load);
  };

  /** A decoder of payloads written with `writer`, read into the reader schema when there is one. */
  const decoderOf = (writer: avsc.Type, id: number | string | undefined): PayloadDecoder<T> => {
    const target = readerType();
    // A resolver per writer id; none when the reader is the writer.
    const resolver = target && !target.equals(writer) ? target.createResolver(writer) : undefined;
    const decoder = target ?? writer;
    const checkBounds = avroBoundsCheck(writer);
    const which = id === undefined ? 'the local schema' : `schema ${id}`;
    // The last value decoded with this schema, kept until the next: its class (avsc makes one per
    // record schema) then outlives a major GC between invocations, and so does the optimized code
    // that decodes and reads it, instead of optimizing again (≈2–3× the time of the next batch).
    const last: { value?: unknown } = {};
    return (bytes, start, _indexes, ctx) => {
      const forged = checkBounds?.(bytes, start);
      if (forged !== undefined) {
        throw new InvalidPayloadError(`invalid Avro payload for ${which}: ${forged}`, id, ctx);
      }
      let decoded: { value: unknown; offset: number };
      try {
        decoded = decoder.decode(bytes, start, resolver);
      } catch (cause) {
        throw new InvalidPayloadError(
          `invalid Avro payload for ${which}: ${(cause as Error).message}`,
          id,
          ctx,
          { cause },
        );
      }
      if (decoded.offset !== bytes.length) {
        const problem = decoded.offset < 0 ? 'truncated' : `${bytes.length - decoded.offset} trailing bytes`;
        throw new InvalidPayloadError(`invalid Avro payload for ${which}: ${problem}`, id, ctx);
      }
      last.value = decoded.value;
      return decoded.value as T;
    };
  };

  const deserializer = new RegistryDeserializer<T>(
    registry,
    'AVRO',
    async (schema) => decoderOf(await parse(schema), schema.id),
    options,
    undefined,
    unframed ? () => decoderOf(readerType()!, undefined) : undefined,
  );
  if (unframed) {
    const encode = (value: T): Buffer => readerType()!.toBuffer(value);
    return {
      deserialize: (bytes, ctx) => deserializer.deserialize(bytes, ctx),
      serialize: (value) => encode(value),
    };
  }

  const encoderFor = (type: avsc.Type) => (value: T) => type.toBuffer(value);
  const writer = new SchemaWriter<T>(
    registry!,
    options,
    options.schema === undefined
      ? undefined
      : async (): Promise<LocalSchema<T>> => {
          const type = readerType()!;
          const definition = {
            schema: schemaText(options.schema!),
            schemaType: 'AVRO' as const,
            references: options.references ?? [],
          };
          return { definition, encode: encoderFor(type) };
        },
    async (registered) => ({ encode: encoderFor(await parse(registered)) }),
    () => {
      const type = readerType();
      return type?.name;
    },
    registry!.latestTtlMs,
  );

  return {
    deserialize: (bytes, ctx) => deserializer.deserialize(bytes, ctx),
    serialize: (value, ctx) => writer.serialize(value, ctx),
  };
}

function isRegistry(value: unknown): value is SchemaRegistry {
  return typeof (value as SchemaRegistry | undefined)?.getSchemaById === 'function';
}

function toType(schema: avsc.Schema | string | avsc.Type): avsc.Type {
  if (Type.isType(schema)) return schema as avsc.Type;
  return Type.forSchema(parseSchema(schema as avsc.Schema | string), {
    logicalTypes: AVRO_LOGICAL_TYPES,
  });
}

/** JSON text, or a bare primitive name such as `string`. */
function parseSchema(schema: avsc.Schema | string): avsc.Schema {
  if (typeof schema !== 'string') return schema;
  return /^\s*[{["]/.test(schema) ? (JSON.parse(schema) as avsc.Schema) : schema;
}

/** The text to register: the user's own (docs and field order kept), or the Type's full export. */
function schemaText(schema: avsc.Schema | string | avsc.Type): string {
  if (Type.isType(schema)) return JSON.stringify((schema as avsc.Type).schema({ exportAttrs: true }));
  return JSON.stringify(parseSchema(schema as avsc.Schema | string));
}
