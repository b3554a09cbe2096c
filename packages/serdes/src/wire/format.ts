import type { DeserializeContext } from '@kafka-lambda/core/serde';

/**
 * What a wire format learnt about one record: where its writer schema is and where the payload
 * starts. One object is reused for every record of a deserializer (no allocation per record), so it
 * is read right after `read` returns.
 */
export interface Frame {
  /**
   * `id`: a registry schema id; `guid`: a registry GUID; `glue`: an AWS Glue schema version UUID;
   * `local`: the schema the user gave (no framing); `value`: already decoded (the ESM's JSON records).
   */
  kind: 'id' | 'guid' | 'glue' | 'local' | 'value';
  /** The schema id, when `kind` is `id`. */
  id: number;
  /** The GUID or UUID, when `kind` is `guid` or `glue`. */
  key: string;
  /** The bytes holding the payload (the record's, or Glue's inflated ones) and where it starts. */
  payload: Buffer;
  start: number;
  /** Protobuf message indexes, when the framing carries them. */
  indexes: readonly number[] | undefined;
  /** The decoded value, when `kind` is `value`. */
  value: unknown;
}

/**
 * One way a record can say which schema wrote it (Confluent prefix, header mode, Glue, the ESM's
 * metadata, or nothing at all). A deserializer asks its formats in order; the first whose `read`
 * returns true has filled the frame. A new framing is one more implementation of this interface.
 *
 * @example
 * ```ts
 * const upperCaseMagic: WireFormat = {
 *   magic: 0x7f,
 *   read(bytes, _ctx, frame) {
 *     if (bytes[0] !== 0x7f) return false;
 *     frame.kind = 'id'; frame.id = bytes.readInt32BE(1); frame.payload = bytes; frame.start = 5; frame.indexes = undefined;
 *     return true;
 *   },
 * };
 * ```
 */
export interface WireFormat {
  /** The first byte this format's payloads start with, for the error when no format matched. */
  readonly magic?: number;
  /**
   * Fills `frame` and returns true when the record is in this format, returns false to let the next
   * format try, and throws a `WireFormatError` (with the record's location) when the record is in this
   * format but broken. `protobuf`: whether message indexes follow the schema id.
   */
  read(bytes: Buffer, ctx: DeserializeContext | undefined, frame: Frame, protobuf: boolean): boolean;
}

/**
 * A blank frame, to be reused by one deserializer.
 *
 * @example
 * ```ts
 * const frame = newFrame();
 * if (confluentFormat.read(bytes, ctx, frame, false)) console.log(frame.id);
 * ```
 */
export function newFrame(): Frame {
  return { kind: 'id', id: 0, key: '', payload: EMPTY, start: 0, indexes: undefined, value: undefined };
}

const EMPTY = Buffer.alloc(0);
