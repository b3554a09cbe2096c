import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pb from 'protobufjs';
import {
  indexesOfType,
  isWellKnown,
  type ParsedProto,
  type ProtoFile,
  parseProto,
  typeAtIndexes,
} from './protobuf-root.js';
import { protoFilesOf } from './protobuf-schema-text.js';
import { PromiseCache } from './registry/cache.js';
import type { SchemaRegistry } from './registry/client.js';
import type { RegisteredSchema, SchemaDefinition, SchemaReference } from './registry/types.js';
import {
  type PayloadDecoder,
  RegistryDeserializer,
  type RegistryDeserializerOptions,
} from './registry-deserializer.js';
import type { RegistrySerde, WireFormatChoice } from './registry-serde.js';
import { InvalidPayloadError } from './wire/errors.js';
import { readMessageIndexes } from './wire/message-indexes.js';
import { assertSchemaType, type LocalSchema, SchemaWriter, type WriterOptions } from './writer-schema.js';

/**
 * protobufjs' Buffer reader (native UTF-8 decoding, much faster than its plain reader's) but with the
 * bounds check its `string()` lacks: it clamps a string that runs past the end, so a truncated message
 * would decode "successfully" as a shorter string.
 */
class BoundedBufferReader extends pb.BufferReader {
  override string(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw new RangeError(`index out of range: ${start} + ${length} > ${this.len}`);
    this.pos = end;
    return (this.buf as Buffer).toString('utf8', start, end);
  }
}

/** A message class: protobufjs' reflected `Type.ctor`, or a pbjs static class (these share the statics used here). */
export interface ProtobufClass {
  decode(reader: Uint8Array | pb.Reader): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): object;
  toObject(message: object, options?: pb.IConversionOptions): Record<string, unknown>;
  /** Present on reflected classes. */
  $type?: pb.Type;
  /** Present on pbjs static classes: gives the full name. */
  getTypeUrl?(prefix?: string): string;
}

type Codec = Pick<ProtobufClass, 'decode' | 'encode' | 'fromObject' | 'toObject'>;

/** Options of `protobuf()`. */
export interface ProtobufOptions extends RegistryDeserializerOptions, WriterOptions {
  /**
   * `registry` (default): each record says which schema wrote it (Confluent prefix with message
   * indexes, header mode, Glue, ESM metadata). `none`: payloads are the bare message, as producers
   * without a registry write them (Powertools for AWS Lambda's default mode); they are read and
   * written as `type`, and no registry is needed: `protobuf({ type: Trade, wireFormat: 'none' })`.
   */
  wireFormat?: WireFormatChoice;
  /**
   * The message: a full name (`'pkg.TradeSettlement'`, looked up in `root`, `protoFile` or the
   * registry's schema), a protobufjs `Type`, or a message class. When deserializing, records of this
   * type decode with it (your generated class); records of other types decode with the registry's schema.
   */
  type?: string | pb.Type | ProtobufClass;
  /** The protobufjs Root holding `type`; its package is written out as `.proto` text to register. */
  root?: pb.Root;
  /** A `.proto` file to register (its non-well-known imports are registered as references, named by import path). */
  protoFile?: string;
  /**
   * How messages become plain objects. Default `{ longs: String, enums: String, defaults: true, oneofs: true }`:
   * 64-bit integers as decimal strings (exact, JSON-safe, as in the proto3 JSON mapping), enums by
   * name, absent fields as their defaults. `false` returns the decoded message instances.
   */
  toObject?: pb.IConversionOptions | false;
}

const DEFAULT_TO_OBJECT: pb.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

interface LocalType {
  readonly name: string | undefined;
  readonly codec: Codec | undefined;
  /** The file to register and the type's indexes in it. */
  readonly schema?: () => Promise<LocalSchema<unknown>>;
}

/**
 * Protobuf in the Confluent wire format: message indexes select the type among the schema's messages
 * (nested ones too); imports come from the schema's references, well-known `google/protobuf` types
 * are built in. Deserialized values are plain objects (see `toObject`); field names are camelCase.
 *
 * @example
 * ```ts
 * const settlement = protobuf<TradeSettlement>(registry, { type: 'acme.TradeSettlement', protoFile: './trade.proto', autoRegister: true });
 * const bytes = await settlement.serialize({ tradeId: '42', side: 'BUY' }, { topic: 'settlements', part: 'value', headers: [] });
 * const back = await settlement.deserialize(bytes);
 * ```
 */
export function protobuf<T = Record<string, unknown>>(
  registry: SchemaRegistry,
  options?: ProtobufOptions,
): RegistrySerde<T>;
/**
 * The bare message without a registry (`wireFormat: 'none'`, Powertools for AWS Lambda's default
 * mode): every payload is read and written as `type`.
 *
 * @example
 * ```ts
 * const settlements = protobuf<TradeSettlement>({ type: 'acme.TradeSettlement', protoFile: './trade.proto', wireFormat: 'none' });
 * const settlement = settlements.deserialize(bareProtobufBytes); // synchronous: nothing to fetch
 * ```
 */
export function protobuf<T = Record<string, unknown>>(
  options: ProtobufOptions & { wireFormat: 'none' },
): RegistrySerde<T>;
export function protobuf<T = Record<string, unknown>>(
  first: SchemaRegistry | (ProtobufOptions & { wireFormat: 'none' }),
  second: ProtobufOptions = {},
): RegistrySerde<T> {
  const [registry, options] = isRegistry(first) ? [first, second] : [undefined, first ?? {}];
  const unframed = options.wireFormat === 'none';
  if (unframed && !hasLocalCodec(options)) {
    throw new TypeError(
      "protobuf: wireFormat 'none' needs the message the payloads were written with: `type` as a Type or class, or a name with `root` or `protoFile`",
    );
  }
  if (!unframed && !registry) {
    throw new TypeError("protobuf: give a schema registry, or wireFormat 'none' and a type");
  }
  const toObjectOptions = options.toObject === undefined ? DEFAULT_TO_OBJECT : options.toObject;
  // The last reader, message and plain object, kept until the next are made: their hidden classes
  // (the message's is made per schema) then outlive a major GC between invocations, and so does the
  // optimized decoding that checks them, instead of optimizing again (≈2× the time of the next
  // 10,000 records). One of each per serde: with several message types, the last one's.
  const last: { reader?: BoundedBufferReader; message?: object; value?: unknown } = {};
  const decode = (codec: Codec, bytes: Buffer, start: number): T => {
    const reader = new BoundedBufferReader(start === 0 ? bytes : bytes.subarray(start));
    const message = codec.decode(reader);
    last.reader = reader;
    last.message = message;
    if (!toObjectOptions) return message as T;
    const value = codec.toObject(message, toObjectOptions);
    last.value = value;
    return value as T;
  };
  let localType: LocalType | undefined;
  const local = (): LocalType => {
    localType ??= resolveLocal(registry, options);
    return localType;
  };
  const parsedById = new PromiseCache<number | string, ParsedProto>();
  const parse = (
    schema: Pick<RegisteredSchema, 'schema' | 'schemaType' | 'references'> & { id?: number | string },
  ) => {
    const load = async () => {
      assertSchemaType(schema, 'PROTOBUF', schema.id);
      const deps = await registry!.resolveReferences(schema);
      return parseProto(
        { name: `schema-${schema.id ?? 'local'}.proto`, text: schema.schema },
        deps.map((dep) => ({ name: dep.name, text: dep.schema.schema })),
      );
    };
    return schema.id === undefined ? load() : parsedById.get(schema.id, load);
  };
  const codecFor = (type: pb.Type): Codec => {
    const mine = local();
    return mine.codec && mine.name === type.fullName.slice(1) ? mine.codec : type;
  };

  const deserializer = new RegistryDeserializer<T>(
    registry,
    'PROTOBUF',
    async (schema): Promise<PayloadDecoder<T>> => {
      const parsed = await parse(schema);
      const byPath = new Map<string, Codec>();
      const codecAt = (indexes: readonly number[], ctx?: Parameters<PayloadDecoder<T>>[3]): Codec => {
        const key = indexes.length === 1 ? indexes[0]! : indexes.join('.');
        let codec = byPath.get(String(key));
        if (!codec) {
          const type = typeAtIndexes(parsed, indexes);
          if (!type) {
            throw new InvalidPayloadError(
              `invalid Protobuf message indexes: [${indexes.join(', ')}] names no message of schema ${schema.id}`,
              schema.id,
              ctx,
            );
          }
          codec = codecFor(type);
          byPath.set(String(key), codec);
        }
        return codec;
      };
      // Without indexes (Glue) the message is the one asked for, else the file's first.
      const named = local().name;
      const unindexed = named ? parsed.root.lookup(named) : undefined;
      const defaultCodec = (): Codec => (unindexed instanceof pb.Type ? codecFor(unindexed) : codecAt([0]));
      // Set once an unindexed payload (Glue) turned out to start with Confluent message indexes: a
      // producer does that for every record, so read them first instead of throwing once per record.
      // (The ESM's Confluent SOURCE records never get here: esm-metadata.ts reads their indexes.)
      let indexesKept = false;
      const decodeKeptIndexes = (bytes: Buffer, start: number, ctx?: Parameters<PayloadDecoder<T>>[3]): T => {
        const found = readMessageIndexes(bytes, start);
        return decode(codecAt(found.indexes, ctx), bytes, found.next);
      };
      return (bytes, start, indexes, ctx) => {
        if (!indexes && indexesKept) {
          try {
            return decodeKeptIndexes(bytes, start, ctx);
          } catch {
            // This one has none after all: the plain read below.
          }
        }
        const codec = indexes ? codecAt(indexes, ctx) : defaultCodec();
        try {
          return decode(codec, bytes, start);
        } catch (cause) {
          if (cause instanceof InvalidPayloadError) throw cause;
          if (!indexes) {
            // Some producers keep the message indexes where the ESM strips only the id: try after them.
            try {
              const decoded = decodeKeptIndexes(bytes, start, ctx);
              indexesKept = true;
              return decoded;
            } catch {
              // fall through to the original error
            }
          }
          throw new InvalidPayloadError(
            `invalid Protobuf payload for schema ${schema.id}: ${(cause as Error).message}`,
            schema.id,
            ctx,
            { cause },
          );
        }
      };
    },
    options,
    undefined,
    unframed
      ? () => {
          const { codec, name } = local();
          return (bytes, start, _indexes, ctx) => {
            try {
              return decode(codec!, bytes, start);
            } catch (cause) {
              throw new InvalidPayloadError(
                `invalid Protobuf payload for the local type ${name}: ${(cause as Error).message}`,
                undefined,
                ctx,
                { cause },
              );
            }
          };
        }
      : undefined,
  );
  if (unframed) {
    return {
      deserialize: (bytes, ctx) => deserializer.deserialize(bytes, ctx),
      serialize: (value) => {
        const codec = local().codec!;
        const bytes = codec.encode(codec.fromObject(value as Record<string, unknown>)).finish();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      },
    };
  }

  const writer = new SchemaWriter<T>(
    registry!,
    options,
    options.root || options.protoFile || isReflected(options.type)
      ? async () => (await local().schema!()) as LocalSchema<T>
      : undefined,
    async (registered) => {
      const parsed = await parse(registered);
      const named = local().name;
      const found = named ? parsed.root.lookup(named) : typeAtIndexes(parsed, [0]);
      if (!(found instanceof pb.Type)) {
        throw new TypeError(`schema ${registered.id} has no message ${named ?? '(none at all)'}`);
      }
      const codec = codecFor(found);
      return {
        encode: (value: T) => codec.encode(codec.fromObject(value as Record<string, unknown>)).finish(),
        indexes: indexesOfType(parsed, found),
      };
    },
    () => local().name,
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

/** Whether the options name a message that can be decoded without a registry. */
function hasLocalCodec({ type, root, protoFile }: ProtobufOptions): boolean {
  if (typeof type === 'string') return root !== undefined || protoFile !== undefined;
  return type !== undefined || protoFile !== undefined;
}

function isReflected(type: ProtobufOptions['type']): boolean {
  return (
    type instanceof pb.Type ||
    (typeof type === 'function' && (type as ProtobufClass).$type instanceof pb.Type)
  );
}

function resolveLocal(registry: SchemaRegistry | undefined, options: ProtobufOptions): LocalType {
  const { type, root, protoFile } = options;
  let name: string | undefined;
  let codec: Codec | undefined;
  let reflected: pb.Type | undefined;
  if (type instanceof pb.Type) reflected = type;
  else if (typeof type === 'function' || (typeof type === 'object' && type !== null)) {
    const cls = type as ProtobufClass;
    codec = cls;
    if (cls.$type instanceof pb.Type) reflected = cls.$type;
    else if (typeof cls.getTypeUrl === 'function') name = cls.getTypeUrl('').replace(/^.*\//, '');
  } else if (typeof type === 'string') {
    name = type.replace(/^\./, '');
    if (root) reflected = root.lookupType(name);
  }
  if (reflected) {
    name = reflected.fullName.slice(1);
    codec ??= reflected;
  }

  let fileParsed: { parsed: ParsedProto; files: Map<string, string>; main: ProtoFile } | undefined;
  if (protoFile) {
    fileParsed = readProtoFile(protoFile);
    const inFile = name ? fileParsed.parsed.root.lookup(name) : typeAtIndexes(fileParsed.parsed, [0]);
    if (!(inFile instanceof pb.Type))
      throw new TypeError(`${protoFile} declares no message ${name ?? ''}`.trim());
    name = inFile.fullName.slice(1);
    codec ??= inFile;
  }

  const schema = async (): Promise<LocalSchema<unknown>> => {
    let definition: SchemaDefinition;
    let target: pb.Type;
    let parsed: ParsedProto;
    if (fileParsed) {
      parsed = fileParsed.parsed;
      target = parsed.root.lookupType(name!);
      const references = await registerImports(
        registry!,
        options.autoRegister === true,
        fileParsed.main,
        fileParsed.files,
      );
      definition = { schema: fileParsed.main.text, schemaType: 'PROTOBUF', references };
    } else {
      if (!reflected)
        throw new TypeError(
          'protobuf: to register a schema, give a Type, a reflected class, root or protoFile',
        );
      const generated = protoFilesOf(reflected);
      // Parse what we generate: it proves the text is valid and gives the indexes in that file.
      parsed = parseProto(generated.main, generated.dependencies);
      target = parsed.root.lookupType(name!);
      const files = new Map(generated.dependencies.map((file) => [file.name, file.text]));
      const references = await registerImports(
        registry!,
        options.autoRegister === true,
        generated.main,
        files,
      );
      definition = { schema: generated.main.text, schemaType: 'PROTOBUF', references };
    }
    const encoder = codec ?? target;
    return {
      definition,
      encode: (value) => encoder.encode(encoder.fromObject(value as Record<string, unknown>)).finish(),
      indexes: indexesOfType(parsed, target),
    };
  };
  return { name, codec, schema };
}

function readProtoFile(path: string): { parsed: ParsedProto; files: Map<string, string>; main: ProtoFile } {
  const dir = dirname(resolve(path));
  const main: ProtoFile = { name: path.replace(/^.*[\\/]/, ''), text: readFileSync(path, 'utf8') };
  const files = new Map<string, string>();
  const ordered: ProtoFile[] = [];
  const visit = (file: ProtoFile): void => {
    for (const name of importsOf(file.text)) {
      if (isWellKnown(name) || files.has(name)) continue;
      const text = readFileSync(resolve(dir, name), 'utf8');
      files.set(name, text);
      visit({ name, text });
      ordered.push({ name, text });
    }
  };
  visit(main);
  return { parsed: parseProto(main, ordered), files, main };
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^\s*import\s+(?:public\s+|weak\s+)?["']([^"']+)["']\s*;/gm)].map(
    (match) => match[1]!,
  );
}

/** Registers (or looks up) the imports of a file, dependencies first, as subjects named by import path. */
async function registerImports(
  registry: SchemaRegistry,
  autoRegister: boolean,
  file: ProtoFile,
  files: Map<string, string>,
): Promise<SchemaReference[]> {
  const references: SchemaReference[] = [];
  for (const name of importsOf(file.text)) {
    if (isWellKnown(name)) continue;
    const text = files.get(name)!;
    const nested = await registerImports(registry, autoRegister, { name, text }, files);
    const definition: SchemaDefinition = { schema: text, schemaType: 'PROTOBUF', references: nested };
    if (autoRegister) await registry.register(name, definition);
    const found = await registry.lookup(name, definition);
    references.push({ name, subject: name, version: found.version });
  }
  return references;
}
