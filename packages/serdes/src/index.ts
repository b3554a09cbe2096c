/**
 * Everything in one import: the registry client, every format, the wire format helpers. This loads
 * avsc and protobufjs too (~45 ms); a function that uses one format imports its subpath instead:
 * `@kafka-lambda/serdes/avro`, `/protobuf`, `/json-schema`, with the client from `/registry`.
 *
 * @example
 * ```ts
 * import { avro, schemaRegistry } from '@kafka-lambda/serdes';
 * ```
 * @packageDocumentation
 */
export { type AvroOptions, avro } from './avro.js';
export { type JsonSchemaOptions, jsonSchema } from './json-schema.js';
export {
  type JsonSchemaDocument,
  JsonSchemaValidationError,
  type JsonValidator,
  validateJsonSchema,
} from './json-schema-validator.js';
export { type ProtobufClass, type ProtobufOptions, protobuf } from './protobuf.js';
export {
  type SchemaRegistry,
  type SchemaRegistryAuth,
  type SchemaRegistryConfig,
  type SchemaRegistryOptions,
  schemaRegistry,
} from './registry/client.js';
export {
  IncompatibleSchemaError,
  InvalidSchemaError,
  RegistryAuthError,
  RegistryUnavailableError,
  SchemaNotFoundError,
  SchemaRegistryError,
} from './registry/errors.js';
export type {
  RegisteredSchema,
  ResolvedReference,
  SchemaDefinition,
  SchemaReference,
  SchemaType,
  SubjectVersion,
} from './registry/types.js';
export type {
  EsmRecordFormat,
  GlueSchemaResolver,
  RegistryDeserializerOptions,
} from './registry-deserializer.js';
export type { RegistrySerde, WireFormatChoice } from './registry-serde.js';
export { type SubjectNameInput, type SubjectNameStrategy, subjectName } from './subject-name.js';
export { readConfluentSchemaId, writeConfluentFrame } from './wire/confluent.js';
export {
  EmptyPayloadError,
  InvalidFrameError,
  InvalidPayloadError,
  InvalidSchemaMetadataError,
  type RecordLocation,
  TruncatedPayloadError,
  UnknownMagicByteError,
  WireFormatError,
} from './wire/errors.js';
export { type GlueFrame, readGlueFrame, writeGlueFrame } from './wire/glue.js';
export {
  type HeaderSchemaId,
  KEY_SCHEMA_ID_HEADER,
  readSchemaIdHeader,
  VALUE_SCHEMA_ID_HEADER,
  writeSchemaIdHeader,
} from './wire/header-mode.js';
export { type MessageIndexes, readMessageIndexes, writeMessageIndexes } from './wire/message-indexes.js';
export type { WriterOptions } from './writer-schema.js';
