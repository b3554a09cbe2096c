import { KafkaHeaders } from '@kafka-lambda/core';
import type { DeserializeContext, EsmSchemaMetadata } from '@kafka-lambda/core/serde';
import { SchemaRegistryIntegrationError } from '../errors.js';
import type { EsmRegistryClient, SourceMessage } from '../types.js';
import { jsonText } from './json-text.js';
import type { SchemaFailure } from './schema-failure.js';

/** `SchemaRegistryConfig` after checks: where the registry is, how records are delivered, what is decoded. */
export interface SchemaRegistrySettings {
  /** The registry's URL, or the client given instead. */
  readonly registry: string | EsmRegistryClient;
  readonly eventRecordFormat: 'JSON' | 'SOURCE';
  readonly key: boolean;
  readonly value: boolean;
}

/** The decoded key and value (for filtering), for the parts the integration decoded. */
export interface DecodedFields {
  readonly key?: unknown;
  readonly value?: unknown;
}

/** A message as the integration delivers it, or why it cannot be. */
export type DecodedMessage =
  | {
      readonly ok: true;
      /** Key and value as the function gets them (`JSON` text or `SOURCE` bytes). */
      readonly message: SourceMessage;
      readonly keySchemaMetadata?: EsmSchemaMetadata;
      readonly valueSchemaMetadata?: EsmSchemaMetadata;
      readonly fields: DecodedFields;
    }
  | { readonly ok: false; readonly failure: SchemaFailure };

type Serdes = typeof import('@kafka-lambda/serdes');
type RegistryClient = import('@kafka-lambda/serdes').SchemaRegistry;
interface Loaded {
  readonly serdes: Serdes;
  readonly client: RegistryClient;
  readonly decoders: ReadonlyMap<string, Decoder>;
}
type Decoder = { deserialize(bytes: Buffer, ctx: DeserializeContext): unknown };

/** The Confluent framing: magic byte and a 4-byte schema id, which `SOURCE` strips. */
const CONFLUENT_HEADER_SIZE = 5;

/**
 * The ESM's schema registry integration: decodes the key and/or value of each record with the
 * registry through `@kafka-lambda/serdes` (loaded on first use), as
 * https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html describes it. A
 * record's part is read in the Confluent wire format (`0x00`, schema id, payload); its schema type
 * picks the decoder (Avro, Protobuf, JSON Schema validated against the schema). An unknown id is
 * `SCHEMA_NOT_FOUND`, anything else that does not decode `DESERIALIZATION_ERROR`; a registry that
 * cannot be reached throws {@link SchemaRegistryIntegrationError} (the runner stops: nothing is
 * skipped for it). A null part (absent key, tombstone) is passed on as is, without metadata.
 *
 * @example
 * ```ts
 * const decoder = new EsmRecordDecoder({ registry: 'http://127.0.0.1:8081/apis/ccompat/v7', eventRecordFormat: 'JSON', key: false, value: true });
 * const decoded = await decoder.decode(message); // decoded.ok && decoded.valueSchemaMetadata.schemaId === '7'
 * ```
 */
export class EsmRecordDecoder {
  readonly #settings: SchemaRegistrySettings;
  #loaded: Promise<Loaded> | undefined;

  constructor(settings: SchemaRegistrySettings) {
    this.#settings = settings;
  }

  async decode(message: SourceMessage): Promise<DecodedMessage> {
    const { key: decodeKey, value: decodeValue, eventRecordFormat } = this.#settings;
    let key = message.key;
    let value = message.value;
    const fields: { key?: unknown; value?: unknown } = {};
    const metadata: { keySchemaMetadata?: EsmSchemaMetadata; valueSchemaMetadata?: EsmSchemaMetadata } = {};
    for (const part of ['key', 'value'] as const) {
      const bytes = part === 'key' ? message.key : message.value;
      if (!(part === 'key' ? decodeKey : decodeValue) || bytes === null) continue;
      const decoded = await this.#decodePart(message, part, bytes);
      if (!decoded.ok) return decoded;
      // Filters see the record as its JSON: what the JSON format delivers.
      const text = jsonText(decoded.value) ?? 'null';
      const delivered =
        eventRecordFormat === 'JSON' ? Buffer.from(text) : bytes.subarray(CONFLUENT_HEADER_SIZE);
      if (part === 'key') key = delivered;
      else value = delivered;
      fields[part] = JSON.parse(text);
      metadata[part === 'key' ? 'keySchemaMetadata' : 'valueSchemaMetadata'] = decoded.metadata;
    }
    return { ok: true, message: { ...message, key, value }, ...metadata, fields };
  }

  async #decodePart(
    message: SourceMessage,
    part: 'key' | 'value',
    bytes: Buffer,
  ): Promise<
    { ok: true; value: unknown; metadata: EsmSchemaMetadata } | { ok: false; failure: SchemaFailure }
  > {
    const { serdes, client, decoders } = await this.#load();
    const ctx: DeserializeContext = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      part,
      // Empty: the integration reads the Confluent prefix only, never header-mode ids.
      headers: KafkaHeaders.EMPTY,
    };
    const failed = (condition: SchemaFailure['condition'], error: unknown) => ({
      ok: false as const,
      failure: { condition, part, error: asError(error) },
    });
    let id: number;
    try {
      id = serdes.readConfluentSchemaId(bytes, ctx);
    } catch (error) {
      return failed('DESERIALIZATION_ERROR', error);
    }
    let schemaType: string;
    try {
      schemaType = (await client.getSchemaById(id)).schemaType ?? 'AVRO';
    } catch (error) {
      if (isSchemaNotFound(error)) return failed('SCHEMA_NOT_FOUND', error);
      throw this.#unreachable(error);
    }
    const decoder = decoders.get(schemaType);
    if (!decoder)
      return failed('DESERIALIZATION_ERROR', new Error(`schema ${id} is of an unknown type ${schemaType}`));
    try {
      const value = await decoder.deserialize(bytes, ctx);
      return { ok: true, value, metadata: { dataFormat: schemaType, schemaId: String(id) } };
    } catch (error) {
      if ((error as { retryable?: unknown })?.retryable === true) throw this.#unreachable(error);
      return failed('DESERIALIZATION_ERROR', error);
    }
  }

  #unreachable(error: unknown): SchemaRegistryIntegrationError {
    const where =
      typeof this.#settings.registry === 'string' ? this.#settings.registry : 'the registry given';
    return new SchemaRegistryIntegrationError(`the schema registry ${where} cannot be read`, asError(error));
  }

  #load(): Promise<Loaded> {
    this.#loaded ??= (async () => {
      let serdes: Serdes;
      try {
        serdes = await import('@kafka-lambda/serdes');
      } catch (error) {
        throw new SchemaRegistryIntegrationError(
          'the schema registry integration needs @kafka-lambda/serdes: add it to your devDependencies',
          asError(error),
        );
      }
      const registry = this.#settings.registry;
      // A client given is one of serdes' (or the in-memory one): the decoders use all of it.
      const client =
        typeof registry === 'string' ? serdes.schemaRegistry(registry) : (registry as RegistryClient);
      const decoders = new Map<string, Decoder>([
        ['AVRO', serdes.avro(client)],
        ['PROTOBUF', serdes.protobuf(client)],
        ['JSON', serdes.jsonSchema(client, { validate: true })],
      ]);
      return { serdes, client, decoders };
    })();
    return this.#loaded;
  }
}

function isSchemaNotFound(error: unknown): boolean {
  const e = error as { name?: unknown; status?: unknown };
  return e?.name === 'SchemaNotFoundError' || e?.status === 404;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
