/**
 * `@kafka-lambda/serdes/protobuf`: the Protobuf serde alone (loads protobufjs, not avsc). Take the
 * registry client from `@kafka-lambda/serdes/registry`.
 *
 * @example
 * ```ts
 * import { protobuf } from '@kafka-lambda/serdes/protobuf';
 * import { schemaRegistry } from '@kafka-lambda/serdes/registry';
 * const settlement = protobuf(schemaRegistry(process.env.SCHEMA_REGISTRY_URL!), { type: 'acme.TradeSettlement' });
 * ```
 * @packageDocumentation
 */
export { type ProtobufClass, type ProtobufOptions, protobuf } from '../protobuf.js';
export type { RegistrySerde, WireFormatChoice } from '../registry-serde.js';
