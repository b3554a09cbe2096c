import { InvalidFrameError, type KnownLocation, TruncatedPayloadError } from './errors.js';

/** The result of reading message indexes: the path to the message type and where the payload starts. */
export interface MessageIndexes {
  readonly indexes: number[];
  /** Offset of the first payload byte. */
  readonly next: number;
}

// Reused for the overwhelmingly common case: the first message of the file.
const FIRST: readonly number[] = Object.freeze([0]);

/**
 * Reads Confluent Protobuf message indexes at `start`: a zigzag varint count, then that many zigzag
 * varint indexes (the path of the message type through the file's nested declarations). A single
 * `0x00` means `[0]`. The returned `[0]` array is shared and frozen: do not mutate it.
 *
 * @example
 * ```ts
 * readMessageIndexes(Buffer.from([0x04, 0x02, 0x00]), 0); // { indexes: [1, 0], next: 3 }
 * ```
 */
export function readMessageIndexes(
  bytes: Uint8Array,
  start: number,
  location?: KnownLocation,
): MessageIndexes {
  if (start >= bytes.length)
    throw new TruncatedPayloadError('Protobuf message indexes', start + 1, bytes.length, location);
  if (bytes[start] === 0) return { indexes: FIRST as number[], next: start + 1 };
  let pos = start;
  const read = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.length) {
        throw new TruncatedPayloadError('Protobuf message indexes', pos + 1, bytes.length, location);
      }
      const byte = bytes[pos++]!;
      // 5 bytes cover int32; indexes and counts beyond that are corrupt, not big.
      if (shift > 28)
        throw new InvalidFrameError('invalid Protobuf message index: varint longer than 5 bytes', location);
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  };
  const count = read();
  // Each index takes at least one byte, so a count above the remaining length cannot be honest.
  if (count < 0 || count > bytes.length - pos) {
    throw new InvalidFrameError(
      `invalid Protobuf message indexes: expected a count in [0, ${bytes.length - pos}], found ${count}`,
      location,
    );
  }
  const indexes = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const index = read();
    if (index < 0) {
      throw new InvalidFrameError(`invalid Protobuf message index: expected >= 0, found ${index}`, location);
    }
    indexes[i] = index;
  }
  return { indexes, next: pos };
}

/**
 * Encodes message indexes the Confluent way (`[0]` as the single byte `0x00`).
 *
 * @example
 * ```ts
 * writeMessageIndexes([1, 0]); // <04 02 00>
 * ```
 */
export function writeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const bytes: number[] = [];
  const write = (value: number): void => {
    if (!Number.isInteger(value) || value < 0 || value > 0x3fffffff) {
      throw new RangeError(`message index must be an integer in [0, 1073741823], got ${value}`);
    }
    let zigzag = value * 2;
    while (zigzag >= 0x80) {
      bytes.push((zigzag & 0x7f) | 0x80);
      zigzag = Math.floor(zigzag / 128);
    }
    bytes.push(zigzag);
  };
  write(indexes.length);
  for (const index of indexes) write(index);
  return Buffer.from(bytes);
}
