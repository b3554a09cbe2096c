import type { Serde } from './serde.js';

const STRING: Serde<string> = {
  deserialize: (bytes) => bytes.toString('utf8'),
  serialize: (text) => Buffer.from(text, 'utf8'),
};

const BYTES: Serde<Buffer> = {
  deserialize: (bytes) => bytes,
  serialize: (bytes) => bytes,
};

/**
 * UTF-8 text.
 *
 * @example
 * ```ts
 * createKafkaHandler({ key: string(), value: string(), process: (record) => console.log(record.value.length) });
 * ```
 */
export function string(): Serde<string> {
  return STRING;
}

/**
 * The raw bytes, untouched.
 *
 * @example
 * ```ts
 * createKafkaHandler({ value: bytes(), process: (record) => console.log(record.value.byteLength) });
 * ```
 */
export function bytes(): Serde<Buffer> {
  return BYTES;
}

/**
 * JSON text, parsed into `T`. The type is the caller's promise, not checked at run time: wrap it in
 * `validated(json(), schema)` with a Standard Schema (zod, valibot, arktype) when producers are
 * untrusted, or use `@kafka-lambda/serdes`' JSON Schema serde.
 *
 * @example
 * ```ts
 * interface Trade { SYMBOL: string; QUANTITY: number }
 * createKafkaHandler({ value: json<Trade>(), process: (record) => console.log(record.value.SYMBOL) });
 * ```
 */
export function json<T>(): Serde<T> {
  return JSON_SERDE as Serde<T>;
}

const JSON_SERDE: Serde<unknown> = {
  deserialize: (bytes) => {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      // The parser's message quotes the text, and record contents have no place in logs or DLQ headers.
      throw new SyntaxError(`value is not valid JSON (${bytes.length} bytes)`);
    }
  },
  serialize: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
};

const SYNCHRONOUS = new Set<unknown>([STRING, BYTES, JSON_SERDE]);

/** True for the built-in serdes, which never return a promise, so their work can wait until it is needed. */
export function isSynchronous(deserializer: unknown): boolean {
  return SYNCHRONOUS.has(deserializer);
}
