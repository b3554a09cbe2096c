/**
 * `@kafka-lambda/serdes/json-schema`: JSON Schema payloads in the registry's wire format, with the
 * built-in validator. Loads neither avsc nor protobufjs. Take the registry client from
 * `@kafka-lambda/serdes/registry`.
 *
 * @example
 * ```ts
 * import { jsonSchema } from '@kafka-lambda/serdes/json-schema';
 * import { schemaRegistry } from '@kafka-lambda/serdes/registry';
 * const orders = jsonSchema<Order>(schemaRegistry(process.env.SCHEMA_REGISTRY_URL!));
 * ```
 * @packageDocumentation
 */
export { type JsonSchemaOptions, jsonSchema } from '../json-schema.js';
export {
  type JsonSchemaDocument,
  JsonSchemaValidationError,
  type JsonValidator,
  validateJsonSchema,
} from '../json-schema-validator.js';
export type { RegistrySerde } from '../registry-serde.js';
