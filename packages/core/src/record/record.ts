import type { KafkaEventRecord } from '../event/event.js';
import { headersOfParsedBytes, headersOfParsedEvent, KafkaHeaders } from '../event/headers.js';
import type { ParsedHeaderBytes } from '../event/parsed-header-bytes.js';
import type { EsmSchemaMetadata } from '../serde/serde.js';
import { decodeBase64 } from '../shared/base64.js';
import { RecordDecodeError, type RecordLocation } from '../shared/errors.js';

/**
 * A record of an event {@link parseKafkaEvent} checked: its headers skip a second check of their
 * bytes, and come from the copy the check made (`headerBytes`, record `index` of its partition)
 * when given. The handler's path; not exported from the package.
 */
export let recordOfParsedEvent: (
  raw: KafkaEventRecord,
  headerBytes?: ParsedHeaderBytes,
  index?: number,
) => KafkaRecord<unknown, unknown>;

/**
 * Records of an event that can be placed (topic, partition, offset) but whose payload is unusable (a
 * Sink Connector payload without a value): decoding them fails with the reason, so that the record
 * fails alone, under its policy, instead of the whole invocation. Created at the first such record:
 * until then decoding pays no lookup.
 */
let payloadDefects: WeakMap<KafkaEventRecord, { part: 'key' | 'value'; reason: string }> | undefined;

/** Marks `raw` as undecodable: reading its `part` throws a {@link RecordDecodeError} with `reason`. Internal. */
export function markUndecodable(raw: KafkaEventRecord, part: 'key' | 'value', reason: string): void {
  (payloadDefects ??= new WeakMap()).set(raw, { part, reason });
}

/**
 * One Kafka record of the batch, with its key and value already deserialized to the user's types.
 * The raw bytes and headers are decoded on first access only.
 *
 * @example
 * ```ts
 * createKafkaHandler({
 *   value: json<{ id: string }>(),
 *   process(record) {
 *     console.log(record.topic, record.partition, record.offset, record.key, record.value.id, record.date);
 *   },
 * });
 * ```
 */
export class KafkaRecord<K = string, V = Buffer> implements RecordLocation {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly timestampType: string;
  #key: K | null = null;
  /** Set when the key is decoded on first read (synchronous built-in deserializers): most handlers never read it. */
  // Its parameter is `never`, not `KafkaRecord<K, V>`, so that the class stays covariant: a record of
  // a narrower type is assignable to a wider one (a middleware for any record takes `KafkaRecord<unknown, unknown>`).
  #keyDecoder: ((record: never) => K) | undefined;
  /** The deserialized value (null only for tombstones, when the handler processes them). */
  value!: V;

  readonly #raw: KafkaEventRecord;
  #rawKey: Buffer | null | undefined;
  #rawValue: Buffer | null | undefined;
  #headers: KafkaHeaders | undefined;
  /** Made by the handler from a parsed (checked) event. */
  #parsed = false;
  /** The copy of the header bytes parseKafkaEvent made, and this record's index in it. */
  #headerBytes: ParsedHeaderBytes | undefined;
  #index = 0;

  static {
    recordOfParsedEvent = (raw, headerBytes, index) => {
      const record = new KafkaRecord<unknown, unknown>(raw);
      record.#parsed = true;
      if (headerBytes) {
        record.#headerBytes = headerBytes;
        record.#index = index!;
      }
      return record;
    };
  }

  constructor(raw: KafkaEventRecord) {
    this.#raw = raw;
    this.topic = raw.topic;
    this.partition = raw.partition;
    this.offset = raw.offset;
    this.timestamp = raw.timestamp;
    this.timestampType = raw.timestampType;
  }

  /** The deserialized key, or null when the record has none. */
  get key(): K | null {
    const decode = this.#keyDecoder;
    if (decode) {
      this.#keyDecoder = undefined;
      this.#key = (decode as (record: KafkaRecord<K, V>) => K)(this);
    }
    return this.#key;
  }

  set key(key: K | null) {
    this.#keyDecoder = undefined;
    this.#key = key;
  }

  /** Defers decoding the key to its first read. */
  decodeKeyLazily(decode: (record: KafkaRecord<K, V>) => K): void {
    this.#keyDecoder = decode;
  }

  /** The record's timestamp as a Date. */
  get date(): Date {
    return new Date(this.timestamp);
  }

  /** The key's bytes, or null when absent. Throws {@link RecordDecodeError} for malformed base64. */
  get rawKey(): Buffer | null {
    if (this.#rawKey === undefined) this.#rawKey = this.#decode('key', this.#raw.key);
    return this.#rawKey;
  }

  /** The value's bytes, or null for a tombstone. Throws {@link RecordDecodeError} for malformed base64. */
  get rawValue(): Buffer | null {
    if (this.#rawValue === undefined) this.#rawValue = this.#decode('value', this.#raw.value);
    return this.#rawValue;
  }

  /** True when the value is null (a delete marker on a compacted topic). */
  get isTombstone(): boolean {
    return this.#raw.value === null;
  }

  get headers(): KafkaHeaders {
    if (this.#headers === undefined) {
      const copied = this.#headerBytes;
      if (copied) {
        const count = copied.count(this.#index);
        this.#headers = count > 0 ? headersOfParsedBytes(copied, this.#index) : KafkaHeaders.EMPTY;
        return this.#headers;
      }
      const raw = this.#raw.headers;
      this.#headers =
        raw && raw.length > 0
          ? this.#parsed
            ? headersOfParsedEvent(raw)
            : new KafkaHeaders(raw)
          : KafkaHeaders.EMPTY;
    }
    return this.#headers;
  }

  /** Present when the ESM's own schema-registry integration decoded the key. */
  get keySchemaMetadata(): EsmSchemaMetadata | undefined {
    return this.#raw.keySchemaMetadata;
  }

  /** Present when the ESM's own schema-registry integration decoded the value. */
  get valueSchemaMetadata(): EsmSchemaMetadata | undefined {
    return this.#raw.valueSchemaMetadata;
  }

  /** The record exactly as the ESM delivered it. */
  toEventRecord(): KafkaEventRecord {
    return this.#raw;
  }

  /** A log-friendly summary: where the record is, never its contents. */
  toJSON(): RecordLocation & { timestamp: number } {
    return { topic: this.topic, partition: this.partition, offset: this.offset, timestamp: this.timestamp };
  }

  #decode(part: 'key' | 'value', text: string | null | undefined): Buffer | null {
    if (payloadDefects !== undefined) {
      const defect = payloadDefects.get(this.#raw);
      if (defect?.part === part) throw new RecordDecodeError(this, part, defect.reason);
    }
    if (text === null || text === undefined) return null;
    const bytes = decodeBase64(text);
    if (typeof bytes === 'string') throw new RecordDecodeError(this, part, `malformed base64: ${bytes}`);
    return bytes;
  }
}
