import { fileURLToPath } from 'node:url';
import { protobuf, type SchemaRegistry } from '@kafka-lambda/serdes';
import type { TradeSettlement } from './settlement-rules.js';

export const SETTLEMENT_TYPE = 'io.kafkalambda.examples.settlement.TradeSettlement';

/**
 * The .proto, found from this module: `kafka-lambda bundle --asset proto/trade_settlement.proto` copies
 * it into the bundle and rewrites this URL to resolve from the bundle, whatever the working directory.
 */
export const protoFile = fileURLToPath(new URL('../proto/trade_settlement.proto', import.meta.url));

/**
 * `TradeSettlement` in Protobuf through the Schema Registry; the schema registers itself on first use.
 * The int64 timestamp decodes as a number: epoch milliseconds stay far below 2^53.
 */
export function settlementSerde(registry: SchemaRegistry) {
  return protobuf<TradeSettlement>(registry, {
    type: SETTLEMENT_TYPE,
    protoFile,
    autoRegister: true,
    toObject: { longs: Number, enums: String, defaults: true },
  });
}
