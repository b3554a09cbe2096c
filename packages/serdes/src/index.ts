/**
 * Everything in one import: the registry client, every format, the wire format helpers. This loads
 * avsc and protobufjs too (~37 ms); a function that uses one format imports its subpath instead:
 * `@kafka-lambda/serdes/avro`, `/protobuf`, `/json-schema`, with the client from `/registry`.
 *
 * @example
 * ```ts
 * import { avro, schemaRegistry } from '@kafka-lambda/serdes';
 * ```
 * @packageDocumentation
 */
// The union of the subpath entries: one list of exports per entry, none written twice.
export * from './entry/avro.js';
export * from './entry/json-schema.js';
export * from './entry/protobuf.js';
export * from './entry/registry.js';
