import type { Serde } from '@kafka-lambda/core';
import type { DeserializeContext, SerializeContext } from '@kafka-lambda/core/serde';

/**
 * A serde whose context parameters are optional, so it also works outside a handler:
 * `await serde.deserialize(bytes)`. Without a context there is no header mode and no ESM metadata,
 * and `serialize` needs `schemaId` or the `RecordName` strategy to know the subject.
 * `deserialize` returns a Promise only while a schema is being fetched; `await` works either way.
 *
 * @example
 * ```ts
 * const serde: RegistrySerde<Trade> = avro<Trade>(registry);
 * const trade = await serde.deserialize(bytes);
 * ```
 */
export interface RegistrySerde<T> extends Serde<T> {
  deserialize(bytes: Buffer, context?: DeserializeContext): T | Promise<T>;
  serialize(value: T, context?: SerializeContext): Buffer | Promise<Buffer>;
}

/**
 * How payloads are framed. `registry` (default): each record says which schema wrote it (Confluent
 * prefix, header mode, AWS Glue, the ESM's schema metadata), looked up in the registry. `none`: bare
 * Avro or Protobuf, written without a registry (Powertools for AWS Lambda's default mode), read and
 * written with the schema you give. Bytes cannot tell one from the other, so it is chosen explicitly.
 *
 * @example
 * ```ts
 * const framing: WireFormatChoice = 'none';
 * const trades = avro<Trade>({ schema: tradeSchema, wireFormat: framing });
 * ```
 */
export type WireFormatChoice = 'registry' | 'none';
