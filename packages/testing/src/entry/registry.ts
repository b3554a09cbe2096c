/**
 * `@kafka-lambda/testing/registry`: the in-memory Schema Registry. It needs `@kafka-lambda/serdes`
 * (an optional peer), whose error classes it throws; the root entry does not import serdes, so a
 * project without a registry installs and loads `@kafka-lambda/testing` without it.
 *
 * @example
 * ```ts
 * import { avro } from '@kafka-lambda/serdes/avro';
 * import { memorySchemaRegistry } from '@kafka-lambda/testing/registry';
 *
 * const registry = memorySchemaRegistry();
 * const serde = avro(registry, { schema: { type: 'record', name: 'Trade', fields: [] } });
 * ```
 * @packageDocumentation
 */
export {
  MemorySchemaRegistry,
  type MemorySchemaRegistryOptions,
  memorySchemaRegistry,
  type RegistryCallCounts,
} from '../memory-registry.js';
