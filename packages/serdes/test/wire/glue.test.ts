import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  EmptyPayloadError,
  InvalidFrameError,
  TruncatedPayloadError,
  UnknownMagicByteError,
} from '../../src/wire/errors.js';
import { readGlueFrame, writeGlueFrame } from '../../src/wire/glue.js';
import { parseUuid } from '../../src/wire/header-mode.js';

const uuid = 'b6f0c1de-0b5a-4d6e-9f00-000000000001';

describe('AWS Glue framing', () => {
  it('reads an uncompressed frame', () => {
    const bytes = writeGlueFrame(uuid, Buffer.from('payload'));
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([3, 0]));
    expect(readGlueFrame(bytes)).toEqual({
      schemaVersionId: uuid,
      compression: 'none',
      payload: Buffer.from('payload'),
    });
  });

  it('inflates a zlib frame (0x05)', () => {
    const bytes = Buffer.concat([
      Buffer.from([3, 5]),
      parseUuid(uuid),
      deflateSync(Buffer.from('hello glue')),
    ]);
    const frame = readGlueFrame(bytes);
    expect(frame.compression).toBe('zlib');
    expect(frame.payload.toString()).toBe('hello glue');
  });

  it('rejects corrupt zlib data, unknown compression, unknown magic, truncation and empty payloads', () => {
    const head = Buffer.concat([Buffer.from([3, 5]), parseUuid(uuid)]);
    expect(() => readGlueFrame(Buffer.concat([head, Buffer.from([1, 2, 3])]))).toThrow(InvalidFrameError);
    head[1] = 9;
    expect(() => readGlueFrame(head)).toThrow(/expected 0x00 or 0x05, found 0x09/);
    expect(() => readGlueFrame(Buffer.from([0, 0, 0, 0, 1]))).toThrow(UnknownMagicByteError);
    expect(() => readGlueFrame(Buffer.from([3, 0, 1]))).toThrow(TruncatedPayloadError);
    expect(() => readGlueFrame(Buffer.alloc(0))).toThrow(EmptyPayloadError);
  });
});
