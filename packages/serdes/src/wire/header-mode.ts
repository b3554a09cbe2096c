import type { MessagePart } from '@kafka-lambda/core/serde';
import { CONFLUENT_MAGIC } from './confluent.js';
import {
  EmptyPayloadError,
  InvalidFrameError,
  type KnownLocation,
  TruncatedPayloadError,
  UnknownMagicByteError,
} from './errors.js';
import type { WireFormat } from './format.js';
import { readMessageIndexes, writeMessageIndexes } from './message-indexes.js';

/** Magic byte of a GUID schema id (Confluent header mode). */
export const GUID_MAGIC = 0x01;
/**
 * Header carrying the key's schema id in Confluent header mode.
 *
 * @example
 * ```ts
 * const id = record.headers.get(KEY_SCHEMA_ID_HEADER);
 * ```
 */
export const KEY_SCHEMA_ID_HEADER = '__key_schema_id';
/**
 * Header carrying the value's schema id in Confluent header mode.
 *
 * @example
 * ```ts
 * const { guid } = readSchemaIdHeader(record.headers.get(VALUE_SCHEMA_ID_HEADER)!);
 * ```
 */
export const VALUE_SCHEMA_ID_HEADER = '__value_schema_id';

/** The schema id a header carries: a GUID (`0x01`) or, as Confluent's reader also accepts, an int id (`0x00`). */
export interface HeaderSchemaId {
  readonly guid?: string;
  readonly id?: number;
  /** Protobuf only. */
  readonly indexes?: number[];
}

/**
 * The header that carries the schema id of the key or the value in Confluent header mode.
 *
 * @example
 * ```ts
 * schemaIdHeaderName('value'); // '__value_schema_id'
 * ```
 */
export function schemaIdHeaderName(part: MessagePart): string {
  return part === 'key' ? KEY_SCHEMA_ID_HEADER : VALUE_SCHEMA_ID_HEADER;
}

/**
 * Parses a `__key_schema_id` / `__value_schema_id` header value: `0x01` + 16-byte GUID, or `0x00` +
 * int32 id, followed by message indexes when `protobuf` is true. The payload itself is unprefixed.
 *
 * @example
 * ```ts
 * readSchemaIdHeader(writeSchemaIdHeader('0b7c4d2e-8f1a-4c3b-9d2e-1f0a2b3c4d5e')).guid;
 * ```
 */
export function readSchemaIdHeader(
  value: Uint8Array,
  protobuf = false,
  location?: KnownLocation,
): HeaderSchemaId {
  if (value.length === 0) throw new EmptyPayloadError(location);
  const magic = value[0]!;
  let next: number;
  let result: { guid?: string; id?: number; indexes?: number[] };
  if (magic === GUID_MAGIC) {
    if (value.length < 17)
      throw new TruncatedPayloadError('schema id header (GUID)', 17, value.length, location);
    result = { guid: formatUuid(value, 1) };
    next = 17;
  } else if (magic === CONFLUENT_MAGIC) {
    if (value.length < 5)
      throw new TruncatedPayloadError('schema id header (int id)', 5, value.length, location);
    const id = (value[1]! << 24) | (value[2]! << 16) | (value[3]! << 8) | value[4]! | 0;
    if (id < 0)
      throw new InvalidFrameError(`invalid schema id: expected a non-negative int32, found ${id}`, location);
    result = { id };
    next = 5;
  } else {
    throw new UnknownMagicByteError([GUID_MAGIC, CONFLUENT_MAGIC], magic, location);
  }
  if (protobuf) result.indexes = readMessageIndexes(value, next, location).indexes;
  return result;
}

/**
 * Confluent header mode as a wire format: the schema id is in `__key_schema_id`/`__value_schema_id`
 * and the payload is unprefixed. Asked before the prefix formats: such a payload may start with `0x00`.
 *
 * @example
 * ```ts
 * const frame = newFrame();
 * headerModeFormat.read(payload, ctx, frame, false); // true when ctx.headers has the part's header
 * ```
 */
export const headerModeFormat: WireFormat = {
  read(bytes, ctx, frame, protobuf) {
    const header = ctx?.headers?.get(schemaIdHeaderName(ctx.part));
    if (header === undefined) return false;
    const ref = readSchemaIdHeader(header, protobuf, ctx);
    if (ref.guid !== undefined) {
      frame.kind = 'guid';
      frame.key = ref.guid;
    } else {
      frame.kind = 'id';
      frame.id = ref.id!;
    }
    frame.payload = bytes;
    frame.start = 0;
    frame.indexes = ref.indexes;
    return true;
  },
};

/**
 * Builds a header-mode schema id value: `0x01` + the GUID's 16 bytes (+ message indexes).
 *
 * @example
 * ```ts
 * headers.push(['__value_schema_id', writeSchemaIdHeader(guid)]);
 * ```
 */
export function writeSchemaIdHeader(guid: string, indexes?: readonly number[]): Buffer {
  const head = Buffer.allocUnsafe(17);
  head[0] = GUID_MAGIC;
  parseUuid(guid, head, 1);
  return indexes ? Buffer.concat([head, writeMessageIndexes(indexes)]) : head;
}

/**
 * Formats 16 bytes as a lower-case 8-4-4-4-12 UUID string.
 *
 * @example
 * ```ts
 * formatUuid(Buffer.alloc(16)); // '00000000-0000-0000-0000-000000000000'
 * ```
 */
export function formatUuid(bytes: Uint8Array, offset = 0): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Writes a UUID string's 16 bytes into `target` at `offset` (a new buffer when omitted).
 *
 * @example
 * ```ts
 * parseUuid('00000000-0000-0000-0000-000000000001').at(-1); // 1
 * ```
 */
export function parseUuid(uuid: string, target: Buffer = Buffer.allocUnsafe(16), offset = 0): Buffer {
  if (!UUID.test(uuid))
    throw new InvalidFrameError(`invalid UUID: expected 8-4-4-4-12 hex digits, found '${uuid}'`);
  target.write(uuid.replace(/-/g, ''), offset, 16, 'hex');
  return target;
}
