import { inflateSync } from 'node:zlib';
import {
  EmptyPayloadError,
  InvalidFrameError,
  type KnownLocation,
  TruncatedPayloadError,
  UnknownMagicByteError,
} from './errors.js';
import type { WireFormat } from './format.js';
import { formatUuid, parseUuid } from './header-mode.js';

/** AWS Glue Schema Registry header version byte. */
export const GLUE_MAGIC = 0x03;
export const GLUE_COMPRESSION_NONE = 0x00;
export const GLUE_COMPRESSION_ZLIB = 0x05;
const GLUE_HEADER_SIZE = 18;
/**
 * Largest inflated Glue payload accepted. Kafka messages are ~1 MB by default and a Lambda event at
 * most 6 MB: a payload inflating beyond this is corrupt or a zlib bomb, not a record.
 */
export const GLUE_MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** A decoded AWS Glue frame. */
export interface GlueFrame {
  /** The schema version UUID. */
  readonly schemaVersionId: string;
  readonly compression: 'none' | 'zlib';
  /** The (decompressed) payload. */
  readonly payload: Buffer;
}

/**
 * Reads an AWS Glue Schema Registry frame: `0x03`, compression (`0x00` none, `0x05` zlib), 16-byte
 * schema version UUID, payload.
 *
 * @example
 * ```ts
 * const { schemaVersionId, payload } = readGlueFrame(bytes);
 * ```
 */
export function readGlueFrame(bytes: Buffer, location?: KnownLocation): GlueFrame {
  if (bytes.length === 0) throw new EmptyPayloadError(location);
  if (bytes[0] !== GLUE_MAGIC) throw new UnknownMagicByteError([GLUE_MAGIC], bytes[0]!, location);
  if (bytes.length < GLUE_HEADER_SIZE) {
    throw new TruncatedPayloadError('AWS Glue header', GLUE_HEADER_SIZE, bytes.length, location);
  }
  const compressionByte = bytes[1]!;
  const schemaVersionId = formatUuid(bytes, 2);
  const body = bytes.subarray(GLUE_HEADER_SIZE);
  if (compressionByte === GLUE_COMPRESSION_NONE)
    return { schemaVersionId, compression: 'none', payload: body };
  if (compressionByte === GLUE_COMPRESSION_ZLIB) {
    let payload: Buffer;
    try {
      payload = inflateSync(body, { maxOutputLength: GLUE_MAX_INFLATED_BYTES });
    } catch (cause) {
      throw new InvalidFrameError(
        `invalid AWS Glue payload: zlib data is corrupt (${(cause as Error).message})`,
        location,
      );
    }
    return { schemaVersionId, compression: 'zlib', payload };
  }
  throw new InvalidFrameError(
    `unknown AWS Glue compression: expected 0x00 or 0x05, found 0x${compressionByte.toString(16).padStart(2, '0')}`,
    location,
  );
}

/**
 * Writes an AWS Glue frame, uncompressed. Mostly for tests and tools: this SDK reads Glue, it does not
 * register schemas there.
 *
 * @example
 * ```ts
 * writeGlueFrame('b6f0c1de-0b5a-4d6e-9f00-000000000001', payload);
 * ```
 */
export function writeGlueFrame(schemaVersionId: string, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(GLUE_HEADER_SIZE + payload.length);
  out[0] = GLUE_MAGIC;
  out[1] = GLUE_COMPRESSION_NONE;
  parseUuid(schemaVersionId, out, 2);
  out.set(payload, GLUE_HEADER_SIZE);
  return out;
}

/**
 * AWS Glue framing as a wire format (`0x03`); the deserializers use it only with a `glue` resolver.
 *
 * @example
 * ```ts
 * const frame = newFrame();
 * glueFormat.read(writeGlueFrame(uuid, payload), undefined, frame, false); // frame.key === uuid
 * ```
 */
export const glueFormat: WireFormat = {
  magic: GLUE_MAGIC,
  read(bytes, ctx, frame) {
    if (bytes.length === 0 || bytes[0] !== GLUE_MAGIC) return false;
    const glue = readGlueFrame(bytes, ctx);
    frame.kind = 'glue';
    frame.key = glue.schemaVersionId;
    frame.payload = glue.payload;
    frame.start = 0;
    frame.indexes = undefined;
    return true;
  },
};
