/**
 * The largest chunk: just under half of Node's 8 KiB Buffer pool, so that every chunk is a slice of
 * that pool (as `Buffer.from(array)` is) — a header a user keeps holds 8 KiB, not the event — and no
 * chunk is an ArrayBuffer of its own (an 8 KiB one per invocation cost ≈11 µs at batches of 1).
 */
const MAX_CHUNK_BYTES = 4095;
/** The first chunk of a partition: a batch of one record with a `traceparent` needs 55 bytes. */
const FIRST_CHUNK_BYTES = 256;
/** The chunk before the first: full, so the first header allocates one. */
const NO_CHUNK = Buffer.alloc(0);

/**
 * Whether `byte` is a header byte as the ESM sends them: Java's signed bytes (-128..127), unsigned
 * ones (..255) accepted too. `(byte | 0) === byte` holds only for int32 numbers (no string, NaN or
 * fraction passes it). Called per byte in plain indexed loops, where V8 inlines it.
 */
export function isHeaderByte(byte: unknown): byte is number {
  return ((byte as number) | 0) === byte && byte >= -128 && byte <= 255;
}

/**
 * The header bytes of one partition of an event, checked and copied by `parseKafkaEvent` in the
 * one pass it makes over the event anyway. Copying them later, when `process` reads the headers,
 * read every header array a second time, by then out of the CPU caches: on the realistic
 * 10,000-record event that copy cost ≈3.5 ms, more than the check. Internal: the handler's path.
 *
 * @example
 * ```ts
 * const bytes = new ParsedHeaderBytes(1);
 * bytes.copy(0, [{ traceparent: [48, 48] }]); // true: record 0's headers are bytes, now copied
 * bytes.end(1);
 * console.log(bytes.count(0), bytes.name(bytes.first(0)), bytes.value(bytes.first(0))); // 1 traceparent <Buffer 30 30>
 * ```
 */
export class ParsedHeaderBytes {
  readonly #chunks: Buffer[] = [];
  #chunk: Buffer = NO_CHUNK;
  #used = 0;
  /** Chunks double from FIRST_CHUNK_BYTES up to MAX_CHUNK_BYTES. */
  #nextChunkBytes = FIRST_CHUNK_BYTES;
  /** Per header, in the order the records list them: name, then chunk index, start and length. */
  readonly #names: string[];
  readonly #places: number[];
  /** Headers copied so far: the next one's slot in the lists. */
  #headerCount = 0;
  /** Per record of the partition: the index of its first header; the next record's marks its end. */
  readonly #firsts: number[];
  #marked = 0;

  /**
   * Sized for `records` records of one header each (a `traceparent`): grown by push from empty, the
   * three lists left ≈80 B of discarded backing stores per record.
   */
  constructor(records: number) {
    this.#names = new Array(records);
    this.#places = new Array(records * 3);
    this.#firsts = new Array(records + 1);
  }

  /**
   * Checks and copies record `index`'s headers (records are copied in order). False when a value is
   * not an array of bytes (integers -128..255): the event is refused, and this object with it.
   */
  copy(index: number, headers: readonly unknown[]): boolean {
    this.#mark(index);
    // The chunk and its fill level live in locals while a record's headers are copied: the byte
    // loop then stores into a local typed array (through the private fields it measured 2-3x slower).
    let chunk = this.#chunk;
    let used = this.#used;
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h];
      if (typeof header !== 'object' || header === null || Array.isArray(header)) return false;
      for (const name in header) {
        const bytes = (header as Record<string, unknown>)[name];
        if (!Array.isArray(bytes)) return false;
        const length = bytes.length;
        if (used + length > chunk.length) {
          chunk = this.#newChunk(length);
          used = 0;
        }
        // The check and the copy in one loop; `b & 0xff` is what a Uint8Array stores of a signed byte.
        for (let i = 0; i < length; i++) {
          const byte = bytes[i];
          if (!isHeaderByte(byte)) return false;
          chunk[used + i] = byte;
        }
        const slot = this.#headerCount++;
        const places = this.#places;
        places[slot * 3] = this.#chunks.length - 1;
        places[slot * 3 + 1] = used;
        places[slot * 3 + 2] = length;
        this.#names[slot] = name;
        used += length;
      }
    }
    this.#used = used;
    return true;
  }

  /** Marks the end of the partition's `records` records (those without headers included). */
  end(records: number): void {
    this.#mark(records);
  }

  /** Index of record `index`'s first header. */
  first(index: number): number {
    return this.#firsts[index]!;
  }

  /** How many headers record `index` has. */
  count(index: number): number {
    return this.#firsts[index + 1]! - this.#firsts[index]!;
  }

  name(header: number): string {
    return this.#names[header]!;
  }

  /** The header's bytes: a view of the chunk they were copied into. */
  value(header: number): Buffer {
    const at = header * 3;
    const places = this.#places;
    const length = places[at + 2]!;
    if (length === 0) return Buffer.alloc(0);
    const start = places[at + 1]!;
    return this.#chunks[places[at]!]!.subarray(start, start + length);
  }

  /** Records from the last marked up to `index` (exclusive) have no headers of their own. */
  #mark(index: number): void {
    while (this.#marked <= index) this.#firsts[this.#marked++] = this.#headerCount;
  }

  /** A new chunk with room for `length` bytes, now the one being filled. */
  #newChunk(length: number): Buffer {
    // A value over half the largest chunk gets a buffer of its own; the next header starts a new chunk.
    const bytes = length > MAX_CHUNK_BYTES / 2 ? length : Math.max(length, this.#nextChunkBytes);
    if (bytes === this.#nextChunkBytes) this.#nextChunkBytes = Math.min(bytes * 2, MAX_CHUNK_BYTES);
    this.#chunk = Buffer.allocUnsafe(bytes);
    this.#chunks.push(this.#chunk);
    return this.#chunk;
  }
}
