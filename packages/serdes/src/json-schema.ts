import {
  type JsonSchemaDocument,
  JsonSchemaValidationError,
  type JsonValidator,
  validateJsonSchema,
} from './json-schema-validator.js';
import type { SchemaRegistry } from './registry/client.js';
import type { RegisteredSchema, SchemaReference } from './registry/types.js';
import {
  type PayloadDecoder,
  RegistryDeserializer,
  type RegistryDeserializerOptions,
} from './registry-deserializer.js';
import type { RegistrySerde } from './registry-serde.js';
import { InvalidPayloadError } from './wire/errors.js';
import { assertSchemaType, SchemaWriter, type WriterOptions } from './writer-schema.js';

/** Options of `jsonSchema()`. */
export interface JsonSchemaOptions extends RegistryDeserializerOptions, WriterOptions {
  /** Your JSON Schema (object or text): registered (`autoRegister`) or looked up when serializing. */
  schema?: JsonSchemaDocument | string;
  /** References of `schema` (`$ref` targets registered under other subjects). */
  references?: SchemaReference[];
  /**
   * Validate values against the writer schema: `true` uses the built-in subset validator (see
   * `validateJsonSchema`), a function plugs in your own (e.g. ajv). Default `false`: deserializing
   * then needs no registry request at all.
   */
  validate?: boolean | JsonValidator;
}

type Validate = (value: unknown) => void;

/**
 * JSON payloads in the Confluent wire format (or header mode / ESM integration on read).
 *
 * @example
 * ```ts
 * const orders = jsonSchema<Order>(registry, { schema: orderSchema, autoRegister: true, validate: true });
 * const bytes = await orders.serialize({ id: 1 }, { topic: 'orders', part: 'value', headers: [] });
 * const order = await orders.deserialize(bytes);
 * ```
 */
export function jsonSchema<T = unknown>(
  registry: SchemaRegistry,
  options: JsonSchemaOptions = {},
): RegistrySerde<T> {
  const local =
    typeof options.schema === 'string' ? (JSON.parse(options.schema) as JsonSchemaDocument) : options.schema;
  const validate = options.validate ?? false;

  const validatorFor = async (
    schema: Pick<RegisteredSchema, 'schema' | 'schemaType' | 'references'> & { id?: number | string },
    parsed?: JsonSchemaDocument,
  ): Promise<Validate | undefined> => {
    if (!validate) return undefined;
    assertSchemaType(schema, 'JSON', schema.id);
    const document = parsed ?? (JSON.parse(schema.schema) as JsonSchemaDocument);
    const references = new Map<string, JsonSchemaDocument>();
    for (const ref of await registry.resolveReferences(schema)) {
      references.set(ref.name, JSON.parse(ref.schema.schema) as JsonSchemaDocument);
    }
    const check =
      typeof validate === 'function'
        ? validate
        : (value: unknown, doc: JsonSchemaDocument) => validateJsonSchema(value, doc, references);
    return (value) => {
      const errors = check(value, document);
      if (errors && errors.length > 0) throw new JsonSchemaValidationError(errors);
    };
  };

  const parsePayload = (
    bytes: Buffer,
    start: number,
    id: number | string | undefined,
    ctx?: Parameters<PayloadDecoder<T>>[3],
  ): T => {
    try {
      return JSON.parse(bytes.toString('utf8', start)) as T;
    } catch {
      // V8's message quotes the text around the error: the record's content must not reach the logs.
      throw new InvalidPayloadError(
        `invalid JSON payload${id === undefined ? '' : ` for schema ${id}`} (${bytes.length - start} bytes)`,
        id,
        ctx,
      );
    }
  };

  const deserializer = new RegistryDeserializer<T>(
    registry,
    'JSON',
    async (schema) => {
      const check = await validatorFor(schema);
      return (bytes, start, _indexes, ctx) => {
        const value = parsePayload(bytes, start, schema.id, ctx);
        check?.(value);
        return value;
      };
    },
    options,
    validate ? undefined : (bytes, start, _indexes, ctx) => parsePayload(bytes, start, undefined, ctx),
  );

  const encode = (check: Validate | undefined) => (value: T) => {
    check?.(value);
    return Buffer.from(JSON.stringify(value), 'utf8');
  };
  const writer = new SchemaWriter<T>(
    registry,
    options,
    local === undefined
      ? undefined
      : async () => {
          const definition = {
            schema: JSON.stringify(local),
            schemaType: 'JSON' as const,
            references: options.references ?? [],
          };
          return { definition, encode: encode(await validatorFor(definition, local)) };
        },
    async (registered) => ({ encode: encode(await validatorFor(registered)) }),
    () => (typeof local === 'object' && typeof local.title === 'string' ? local.title : undefined),
    registry.latestTtlMs,
  );

  return {
    deserialize: (bytes, ctx) => deserializer.deserialize(bytes, ctx),
    serialize: (value, ctx) => writer.serialize(value, ctx),
  };
}
