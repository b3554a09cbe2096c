// `@kafka-lambda/core/serde`: the contract a wire format implements (`@kafka-lambda/serdes` does;
// so can you): how a key or value is decoded for `process` and encoded for `produce`.
export type {
  DeserializeContext,
  Deserializer,
  EsmSchemaMetadata,
  MessagePart,
  Serde,
  SerializeContext,
  Serializer,
} from '../serde/serde.js';
export type { StandardSchemaV1 } from '../serde/standard-schema.js';
