import type { RecordLocation } from '@kafka-lambda/core';
import { sdkError } from '../sdk-error.js';

/** The SDK's one location type (core's), re-exported: serdes' errors name records the same way. */
export type { RecordLocation };

/** Where the offending bytes came from, as far as the caller knows (a serializer has no offset). */
export type KnownLocation = Partial<RecordLocation>;

function where(location: KnownLocation | undefined): string {
  if (!location || location.topic === undefined) return '';
  return ` (topic ${location.topic}, partition ${location.partition ?? '?'}, offset ${location.offset ?? '?'})`;
}

/**
 * The bytes do not follow the framing they claim (Confluent, header mode, Glue). Subclasses say
 * what was expected and what was found; topic/partition/offset are included when a context was given.
 *
 * @example
 * ```ts
 * try { serde.deserialize(bytes, ctx); } catch (err) { if (err instanceof WireFormatError) console.log(err.offset); }
 * ```
 */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: number | undefined;

  constructor(message: string, location?: KnownLocation) {
    super(message + where(location));
    this.topic = location?.topic;
    this.partition = location?.partition;
    this.offset = location?.offset;
  }
}
sdkError(WireFormatError);

/**
 * The first byte is not a known magic byte (`0x00` Confluent, `0x01` header GUID, `0x03` Glue).
 *
 * @example
 * ```ts
 * expect(() => readConfluentFrame(Buffer.from([7, 0, 0, 0, 1]))).toThrow(UnknownMagicByteError);
 * ```
 */
export class UnknownMagicByteError extends WireFormatError {
  override name = 'UnknownMagicByteError';
  constructor(
    readonly expected: readonly number[],
    readonly found: number,
    location?: KnownLocation,
  ) {
    super(`unknown magic byte: expected ${expected.map(hex).join(' or ')}, found ${hex(found)}`, location);
  }
}

/**
 * The buffer ends before the framing does (e.g. 3 bytes where a 5-byte Confluent header is needed).
 *
 * @example
 * ```ts
 * expect(() => readConfluentFrame(Buffer.from([0, 0, 1]))).toThrow(TruncatedPayloadError);
 * ```
 */
export class TruncatedPayloadError extends WireFormatError {
  override name = 'TruncatedPayloadError';
  constructor(
    readonly what: string,
    readonly expectedBytes: number,
    readonly foundBytes: number,
    location?: KnownLocation,
  ) {
    super(`truncated ${what}: expected at least ${expectedBytes} bytes, found ${foundBytes}`, location);
  }
}

/**
 * A zero-length key or value reached a deserializer that needs a schema id. (Null keys and tombstones
 * never get here: core skips them.)
 *
 * @example
 * ```ts
 * expect(() => readConfluentFrame(Buffer.alloc(0))).toThrow(EmptyPayloadError);
 * ```
 */
export class EmptyPayloadError extends WireFormatError {
  override name = 'EmptyPayloadError';
  constructor(location?: KnownLocation) {
    super('empty payload: expected a schema-registry framed message, found 0 bytes', location);
  }
}

/**
 * A field of the framing has an impossible value (negative schema id, malformed message indexes,
 * unknown Glue compression).
 *
 * @example
 * ```ts
 * expect(() => readConfluentFrame(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]))).toThrow(InvalidFrameError);
 * ```
 */
export class InvalidFrameError extends WireFormatError {
  override name = 'InvalidFrameError';
}

/**
 * The ESM's schema metadata (`valueSchemaMetadata` / `keySchemaMetadata`) names a data format but no
 * usable schema id, so the writer schema cannot be known. Nothing is asked of the registry.
 *
 * @example
 * ```ts
 * if (err instanceof InvalidSchemaMetadataError) console.log(err.dataFormat, err.offset);
 * ```
 */
export class InvalidSchemaMetadataError extends WireFormatError {
  override name = 'InvalidSchemaMetadataError';
  constructor(
    readonly dataFormat: string | undefined,
    location?: KnownLocation,
  ) {
    super(
      `invalid ESM schema metadata: dataFormat ${dataFormat ?? '(none)'} with no schemaId, so the writer schema is unknown`,
      location,
    );
  }
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * The framing was fine but the payload does not decode with the writer schema (corrupt or truncated
 * Avro/Protobuf/JSON body).
 *
 * @example
 * ```ts
 * if (err instanceof InvalidPayloadError) console.log(err.schemaId);
 * ```
 */
export class InvalidPayloadError extends WireFormatError {
  override name = 'InvalidPayloadError';
  constructor(
    message: string,
    readonly schemaId: number | string | undefined,
    location?: KnownLocation,
    options?: { cause?: unknown },
  ) {
    super(message, location);
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}
