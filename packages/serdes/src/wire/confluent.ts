import {
  EmptyPayloadError,
  InvalidFrameError,
  type KnownLocation,
  TruncatedPayloadError,
  UnknownMagicByteError,
} from './errors.js';
import type { WireFormat } from './format.js';
import { readMessageIndexes } from './message-indexes.js';

/** Confluent's magic byte: `0x00` + int32 big-endian schema id + payload. */
export const CONFLUENT_MAGIC = 0x00;
/** Bytes before the payload (or before Protobuf message indexes). */
export const CONFLUENT_HEADER_SIZE = 5;

/**
 * Reads the schema id of a Confluent-framed message. The payload (or Protobuf message indexes)
 * starts at `CONFLUENT_HEADER_SIZE`. Ids are read as signed int32 like Confluent's Java client, and
 * a negative id is rejected: the registry never issues one.
 *
 * @example
 * ```ts
 * readConfluentSchemaId(Buffer.from([0, 0, 0, 0, 42, 2, 0x61])); // 42
 * ```
 */
export function readConfluentSchemaId(bytes: Uint8Array, location?: KnownLocation): number {
  if (bytes.length === 0) throw new EmptyPayloadError(location);
  if (bytes[0] !== CONFLUENT_MAGIC) throw new UnknownMagicByteError([CONFLUENT_MAGIC], bytes[0]!, location);
  if (bytes.length < CONFLUENT_HEADER_SIZE) {
    throw new TruncatedPayloadError('Confluent header', CONFLUENT_HEADER_SIZE, bytes.length, location);
  }
  const id = (bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]! | 0;
  if (id < 0)
    throw new InvalidFrameError(`invalid schema id: expected a non-negative int32, found ${id}`, location);
  return id;
}

/**
 * Frames a payload the Confluent way: `0x00`, the id as int32 big-endian, optional prefix bytes
 * (Protobuf message indexes), then the payload.
 *
 * @example
 * ```ts
 * writeConfluentFrame(42, Buffer.from('hi')); // <00 00 00 00 2a 68 69>
 * ```
 */
export function writeConfluentFrame(schemaId: number, payload: Uint8Array, prefix?: Uint8Array): Buffer {
  assertSchemaId(schemaId);
  const extra = prefix?.length ?? 0;
  const out = Buffer.allocUnsafe(CONFLUENT_HEADER_SIZE + extra + payload.length);
  out[0] = CONFLUENT_MAGIC;
  out.writeInt32BE(schemaId, 1);
  if (prefix) out.set(prefix, CONFLUENT_HEADER_SIZE);
  out.set(payload, CONFLUENT_HEADER_SIZE + extra);
  return out;
}

/** Schema ids are non-negative int32 values; anything else cannot be written as 4 bytes. */
export function assertSchemaId(schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw new RangeError(`schema id must be an integer in [0, 2147483647], got ${schemaId}`);
  }
}

/**
 * The Confluent prefix as a wire format: `0x00` + int32 schema id (+ Protobuf message indexes).
 *
 * @example
 * ```ts
 * const frame = newFrame();
 * confluentFormat.read(Buffer.from([0, 0, 0, 0, 42, 2, 0x61]), undefined, frame, false); // frame.id === 42
 * ```
 */
export const confluentFormat: WireFormat = {
  magic: CONFLUENT_MAGIC,
  read(bytes, ctx, frame, protobuf) {
    if (bytes.length === 0 || bytes[0] !== CONFLUENT_MAGIC) return false;
    frame.kind = 'id';
    frame.id = readConfluentSchemaId(bytes, ctx);
    frame.payload = bytes;
    if (protobuf) {
      const { indexes, next } = readMessageIndexes(bytes, CONFLUENT_HEADER_SIZE, ctx);
      frame.indexes = indexes;
      frame.start = next;
    } else {
      frame.indexes = undefined;
      frame.start = CONFLUENT_HEADER_SIZE;
    }
    return true;
  },
};
