/**
 * `@kafka-lambda/serdes/avro`: the Avro serde alone (loads avsc, not protobufjs). Take the registry
 * client from `@kafka-lambda/serdes/registry`.
 *
 * @example
 * ```ts
 * import { avro } from '@kafka-lambda/serdes/avro';
 * import { schemaRegistry } from '@kafka-lambda/serdes/registry';
 * const trades = avro<Trade>(schemaRegistry(process.env.SCHEMA_REGISTRY_URL!));
 * ```
 * @packageDocumentation
 */
export { type AvroOptions, avro } from '../avro.js';
export type { RegistrySerde, WireFormatChoice } from '../registry-serde.js';
