import type { EsmSchemaMetadata } from '../event/esm-schema-metadata.js';
import type { KafkaHeaders } from '../event/headers.js';

export type { EsmSchemaMetadata } from '../event/esm-schema-metadata.js';

/** Which half of a Kafka message is being (de)serialized. */
export type MessagePart = 'key' | 'value';

/** Where the bytes being deserialized come from; serdes use it for error messages and header-mode schema ids. */
export interface DeserializeContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly part: MessagePart;
  readonly headers: KafkaHeaders;
  /** Present only when the ESM's schema-registry integration is on. */
  readonly schemaMetadata?: EsmSchemaMetadata | undefined;
}

/**
 * Turns the raw bytes of a key or value into the user's type. Return a plain value when no I/O is
 * needed: the handler only awaits when a Promise comes back, which keeps a 10,000-record batch cheap.
 * A null key/value (absent key, tombstone) never reaches a deserializer.
 *
 * @example
 * ```ts
 * const upper: Deserializer<string> = { deserialize: (bytes) => bytes.toString('utf8').toUpperCase() };
 * ```
 */
export interface Deserializer<T> {
  deserialize(bytes: Buffer, context: DeserializeContext): T | Promise<T>;
}

/** Where a value is being serialized to. Serializers may add headers (e.g. Confluent header-mode schema ids). */
export interface SerializeContext {
  readonly topic: string;
  readonly part: MessagePart;
  /** Headers of the outgoing message; a serializer may append to it. */
  readonly headers: Array<[string, Buffer]>;
}

/**
 * Turns a value of the user's type into bytes for Kafka.
 *
 * @example
 * ```ts
 * const upper: Serializer<string> = { serialize: (text) => Buffer.from(text.toUpperCase()) };
 * ```
 */
export interface Serializer<T> {
  serialize(value: T, context: SerializeContext): Buffer | Promise<Buffer>;
}

/** A Deserializer and Serializer of the same type, like the built-in `json<T>()`. */
export interface Serde<T> extends Deserializer<T>, Serializer<T> {}
