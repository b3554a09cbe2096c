import { InvalidEventError } from '../shared/errors.js';
import { isHeaderByte, type ParsedHeaderBytes } from './parsed-header-bytes.js';

/** A header value as the ESM delivers it: bytes, possibly signed (-128..127). */
export type RawHeaderBytes = readonly number[];

/** The ESM's header list: one single-key object per header, names may repeat. */
export type RawHeaders = ReadonlyArray<Readonly<Record<string, RawHeaderBytes>>>;

/** The empty header list a record's headers start from (shared: never written). */
const NO_HEADERS: RawHeaders = [];

function rawHas(raw: RawHeaders, name: string): boolean {
  for (let i = 0; i < raw.length; i++) if (Object.hasOwn(raw[i]!, name)) return true;
  return false;
}

function copiedHas(bytes: ParsedHeaderBytes, index: number, name: string): boolean {
  const first = bytes.first(index);
  for (let h = first, end = first + bytes.count(index); h < end; h++) if (bytes.name(h) === name) return true;
  return false;
}

/**
 * Headers of a record whose event {@link parseKafkaEvent} checked (header bytes included): the
 * handler's path. Not exported from the package: a hand-built record's headers are checked on read.
 */
export let headersOfParsedEvent: (raw: RawHeaders) => KafkaHeaders;

/** Headers of record `index` from the bytes {@link parseKafkaEvent} copied while checking them. Internal. */
export let headersOfParsedBytes: (bytes: ParsedHeaderBytes, index: number) => KafkaHeaders;

/**
 * Kafka headers as a typed multimap. Repeated names are kept in order; values are decoded lazily
 * because most handlers never read headers.
 *
 * @example
 * ```ts
 * const traceId = record.headers.getString('trace-id');
 * for (const [name, bytes] of record.headers) console.log(name, bytes.length);
 * ```
 */
export class KafkaHeaders implements Iterable<[string, Buffer]> {
  /** The headers of every record that has none (shared, immutable in practice). */
  static readonly EMPTY = new KafkaHeaders([]);

  #raw: RawHeaders | undefined;
  #entries: Array<[string, Buffer]> | undefined;
  /** The raw bytes were already checked (by parseKafkaEvent): copy them without a second pass. */
  #checked = false;
  /** Or parseKafkaEvent's copy of them, and the record's index in it. */
  #copied: ParsedHeaderBytes | undefined;
  #index = 0;

  static {
    headersOfParsedEvent = (raw) => {
      const headers = new KafkaHeaders(raw);
      headers.#checked = true;
      return headers;
    };
    headersOfParsedBytes = (bytes, index) => {
      const headers = new KafkaHeaders(NO_HEADERS);
      headers.#raw = undefined;
      headers.#copied = bytes;
      headers.#index = index;
      return headers;
    };
  }

  constructor(raw: RawHeaders | Array<[string, Buffer]>) {
    if (raw.length > 0 && Array.isArray(raw[0])) this.#entries = raw as Array<[string, Buffer]>;
    else this.#raw = raw as RawHeaders;
  }

  /** Builds headers from name/value pairs, strings encoded as UTF-8. */
  static from(pairs: Iterable<readonly [string, string | Buffer]>): KafkaHeaders {
    const entries: Array<[string, Buffer]> = [];
    for (const [name, value] of pairs)
      entries.push([name, typeof value === 'string' ? Buffer.from(value) : value]);
    return new KafkaHeaders(entries);
  }

  /** Number of headers, repeats included. */
  get size(): number {
    return this.#list().length;
  }

  /** The last value of `name` (Kafka's convention for a repeated header), or undefined. */
  get(name: string): Buffer | undefined {
    // Asked for a header the record does not have (a deserializer probing for `__value_schema_id`):
    // answered from the names alone, without copying every header's bytes.
    if (this.#raw && !rawHas(this.#raw, name)) return undefined;
    if (this.#copied && !copiedHas(this.#copied, this.#index, name)) return undefined;
    const list = this.#list();
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i]!;
      if (entry[0] === name) return entry[1];
    }
    return undefined;
  }

  /** The last value of `name` decoded as UTF-8, or undefined. */
  getString(name: string): string | undefined {
    return this.get(name)?.toString('utf8');
  }

  /** Every value of `name`, in order. */
  getAll(name: string): Buffer[] {
    const values: Buffer[] = [];
    for (const [entryName, value] of this.#list()) if (entryName === name) values.push(value);
    return values;
  }

  /** Whether at least one header is called `name`. */
  has(name: string): boolean {
    return this.#list().some(([entryName]) => entryName === name);
  }

  /** The distinct names, in first-seen order. */
  names(): string[] {
    return [...new Set(this.#list().map(([name]) => name))];
  }

  [Symbol.iterator](): Iterator<[string, Buffer]> {
    return this.#list()[Symbol.iterator]();
  }

  /** Name/value pairs, ready to be produced again (e.g. to a dead-letter topic). */
  toArray(): Array<[string, Buffer]> {
    return this.#list().slice();
  }

  /**
   * A readable form for logs: values as UTF-8 strings, a repeated name's as a list. Every name is an
   * own property, whatever it is: `__proto__`, `constructor` or `toString` are header names here,
   * not the object's prototype or methods (assigned, `__proto__` was dropped and `toString` became
   * `[Object.prototype.toString, value]`).
   */
  toJSON(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of this.#list()) {
      const text = value.toString('utf8');
      const existing = Object.hasOwn(out, name) ? out[name] : undefined;
      if (existing === undefined)
        Object.defineProperty(out, name, {
          value: text,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else if (Array.isArray(existing)) existing.push(text);
      else out[name] = [existing, text];
    }
    return out;
  }

  #list(): Array<[string, Buffer]> {
    if (this.#entries) return this.#entries;
    const copied = this.#copied;
    if (copied) {
      // Sized up front: `[]` + push reserves 17 slots for what is mostly one header (≈64 B a record).
      const first = copied.first(this.#index);
      const entries = new Array<[string, Buffer]>(copied.count(this.#index));
      for (let h = 0; h < entries.length; h++) entries[h] = [copied.name(first + h), copied.value(first + h)];
      this.#copied = undefined;
      this.#entries = entries;
      return entries;
    }
    const entries: Array<[string, Buffer]> = [];
    for (const header of this.#raw ?? []) {
      for (const name in header) {
        const bytes = header[name]!;
        // Checked integers only: the typed-array copy keeps the low 8 bits (b & 0xff).
        entries.push([name, this.#checked ? copyBytes(bytes) : headerBytes(name, bytes)]);
      }
    }
    this.#raw = undefined;
    this.#entries = entries;
    return entries;
  }
}

/**
 * AWS sends header bytes as signed Java bytes (-128..127); mask them into 0..255. Anything that is not a
 * byte is rejected rather than silently turned into other bytes.
 */
function headerBytes(name: string, bytes: RawHeaderBytes): Buffer {
  for (let i = 0; i < bytes.length; i++) {
    if (!isHeaderByte(bytes[i])) {
      throw new InvalidEventError(`headers.${name}[${i}]`, 'a byte (-128..255)');
    }
  }
  return copyBytes(bytes);
}

/**
 * What `Buffer.from(array)` does (a slice of Node's pool, then a typed-array copy) without its type
 * dispatch (two `isAnyArrayBuffer` calls and a `valueOf`): ≈25% less per header.
 */
function copyBytes(bytes: RawHeaderBytes): Buffer {
  const buffer = Buffer.allocUnsafe(bytes.length);
  buffer.set(bytes);
  return buffer;
}
