/**
 * `@kafka-lambda/serdes/registry`: the Schema Registry client, its errors, subject names and the wire
 * format helpers (Confluent prefix, header mode, Glue, message indexes) — no Avro or Protobuf library.
 *
 * @example
 * ```ts
 * import { schemaRegistry } from '@kafka-lambda/serdes/registry';
 * const registry = schemaRegistry(process.env.SCHEMA_REGISTRY_URL!);
 * ```
 * @packageDocumentation
 */
export {
  type SchemaRegistry,
  type SchemaRegistryAuth,
  type SchemaRegistryConfig,
  type SchemaRegistryOptions,
  schemaRegistry,
} from '../registry/client.js';
export {
  IncompatibleSchemaError,
  InvalidSchemaError,
  RegistryAuthError,
  RegistryUnavailableError,
  SchemaNotFoundError,
  SchemaRegistryError,
} from '../registry/errors.js';
export type {
  RegisteredSchema,
  ResolvedReference,
  SchemaDefinition,
  SchemaReference,
  SchemaType,
  SubjectVersion,
} from '../registry/types.js';
export type {
  EsmRecordFormat,
  GlueSchemaResolver,
  RegistryDeserializerOptions,
} from '../registry-deserializer.js';
export type { RegistrySerde, WireFormatChoice } from '../registry-serde.js';
export { type SubjectNameInput, type SubjectNameStrategy, subjectName } from '../subject-name.js';
export { readConfluentSchemaId, writeConfluentFrame } from '../wire/confluent.js';
export {
  EmptyPayloadError,
  InvalidFrameError,
  InvalidPayloadError,
  InvalidSchemaMetadataError,
  type RecordLocation,
  TruncatedPayloadError,
  UnknownMagicByteError,
  WireFormatError,
} from '../wire/errors.js';
export { type GlueFrame, readGlueFrame, writeGlueFrame } from '../wire/glue.js';
export {
  type HeaderSchemaId,
  KEY_SCHEMA_ID_HEADER,
  readSchemaIdHeader,
  VALUE_SCHEMA_ID_HEADER,
  writeSchemaIdHeader,
} from '../wire/header-mode.js';
export { type MessageIndexes, readMessageIndexes, writeMessageIndexes } from '../wire/message-indexes.js';
export type { WriterOptions } from '../writer-schema.js';
