import { describe, expect, it } from 'vitest';
import {
  EmptyPayloadError,
  InvalidFrameError,
  TruncatedPayloadError,
  UnknownMagicByteError,
} from '../../src/wire/errors.js';
import {
  formatUuid,
  parseUuid,
  readSchemaIdHeader,
  schemaIdHeaderName,
  writeSchemaIdHeader,
} from '../../src/wire/header-mode.js';

const guid = '0b7c4d2e-8f1a-4c3b-9d2e-1f0a2b3c4d5e';

describe('Confluent header mode', () => {
  it('names the key and value headers', () => {
    expect(schemaIdHeaderName('key')).toBe('__key_schema_id');
    expect(schemaIdHeaderName('value')).toBe('__value_schema_id');
  });

  it('writes 0x01 + the 16 GUID bytes', () => {
    const header = writeSchemaIdHeader(guid);
    expect(header.length).toBe(17);
    expect(header[0]).toBe(1);
    expect(header.subarray(1).toString('hex')).toBe(guid.replace(/-/g, ''));
    expect(readSchemaIdHeader(header)).toEqual({ guid });
  });

  it('appends Protobuf message indexes and reads them back', () => {
    const header = writeSchemaIdHeader(guid, [1, 0]);
    expect(header.subarray(17)).toEqual(Buffer.from([4, 2, 0]));
    expect(readSchemaIdHeader(header, true)).toEqual({ guid, indexes: [1, 0] });
  });

  it('also reads an int id header (0x00 + int32), as Confluent does', () => {
    expect(readSchemaIdHeader(Buffer.from([0, 0, 0, 1, 0]))).toEqual({ id: 256 });
    expect(readSchemaIdHeader(Buffer.from([0, 0, 0, 0, 7, 0]), true)).toEqual({ id: 7, indexes: [0] });
  });

  it('rejects unknown magic, truncation, empty values and missing indexes', () => {
    expect(() => readSchemaIdHeader(Buffer.from([2, 1, 2]))).toThrow(UnknownMagicByteError);
    expect(() => readSchemaIdHeader(Buffer.from([2]))).toThrow(/expected 0x01 or 0x00, found 0x02/);
    expect(() => readSchemaIdHeader(Buffer.from([1, 1, 2, 3]))).toThrow(TruncatedPayloadError);
    expect(() => readSchemaIdHeader(Buffer.from([0, 1]))).toThrow(TruncatedPayloadError);
    expect(() => readSchemaIdHeader(Buffer.alloc(0))).toThrow(EmptyPayloadError);
    expect(() => readSchemaIdHeader(writeSchemaIdHeader(guid), true)).toThrow(TruncatedPayloadError);
    expect(() => readSchemaIdHeader(Buffer.from([0, 0x80, 0, 0, 0]))).toThrow(InvalidFrameError);
  });

  it('formats and parses UUIDs, and refuses malformed ones', () => {
    expect(formatUuid(parseUuid(guid))).toBe(guid);
    expect(formatUuid(Buffer.alloc(16))).toBe('00000000-0000-0000-0000-000000000000');
    expect(formatUuid(Buffer.concat([Buffer.from([9]), parseUuid(guid)]), 1)).toBe(guid);
    expect(() => parseUuid('not-a-uuid')).toThrow(InvalidFrameError);
  });
});
