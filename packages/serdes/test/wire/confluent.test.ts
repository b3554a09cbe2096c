import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readConfluentSchemaId, writeConfluentFrame } from '../../src/wire/confluent.js';
import {
  EmptyPayloadError,
  InvalidFrameError,
  TruncatedPayloadError,
  UnknownMagicByteError,
  WireFormatError,
} from '../../src/wire/errors.js';

const where = { topic: 'trades', partition: 3, offset: 42 };

describe('Confluent framing', () => {
  it('writes magic 0, the id big-endian, then the payload', () => {
    expect(writeConfluentFrame(0x01020304, Buffer.from('hi'))).toEqual(
      Buffer.from([0, 1, 2, 3, 4, 0x68, 0x69]),
    );
  });

  it('puts a prefix (message indexes) between the id and the payload', () => {
    expect(writeConfluentFrame(1, Buffer.from([9]), Buffer.from([0]))).toEqual(
      Buffer.from([0, 0, 0, 0, 1, 0, 9]),
    );
  });

  it('round-trips every non-negative int32 id', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.uint8Array({ maxLength: 20 }),
        (id, payload) => {
          const framed = writeConfluentFrame(id, payload);
          expect(readConfluentSchemaId(framed)).toBe(id);
          expect(framed.subarray(5)).toEqual(Buffer.from(payload));
        },
      ),
    );
  });

  it('reads the largest id', () => {
    expect(readConfluentSchemaId(Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]))).toBe(2147483647);
  });

  it('rejects a negative id (high bit set) with the value found', () => {
    const error = catchError(() => readConfluentSchemaId(Buffer.from([0, 0xff, 0xff, 0xff, 0xfe]), where));
    expect(error).toBeInstanceOf(InvalidFrameError);
    expect(error.message).toMatch(/non-negative int32, found -2/);
    expect(error.message).toMatch(/topic trades, partition 3, offset 42/);
  });

  it.each([-1, 2 ** 31, 1.5, Number.NaN])('refuses to write id %s', (id) => {
    expect(() => writeConfluentFrame(id, Buffer.alloc(0))).toThrow(RangeError);
  });

  it('names the unknown magic byte and the expected one', () => {
    const error = catchError(() => readConfluentSchemaId(Buffer.from([7, 0, 0, 0, 1]), where));
    expect(error).toBeInstanceOf(UnknownMagicByteError);
    expect(error).toMatchObject({ expected: [0], found: 7, topic: 'trades', partition: 3, offset: 42 });
    expect(error.message).toContain('expected 0x00, found 0x07');
  });

  it.each([1, 2, 3, 4])('rejects a header truncated to %i bytes', (length) => {
    const error = catchError(() => readConfluentSchemaId(Buffer.alloc(length)));
    expect(error).toBeInstanceOf(TruncatedPayloadError);
    expect(error).toMatchObject({ expectedBytes: 5, foundBytes: length });
  });

  it('rejects an empty payload', () => {
    const error = catchError(() => readConfluentSchemaId(Buffer.alloc(0), where));
    expect(error).toBeInstanceOf(EmptyPayloadError);
    expect(error).toBeInstanceOf(WireFormatError);
    expect(error.message).toContain('offset 42');
  });

  it('accepts a frame with an empty payload (5 bytes)', () => {
    expect(readConfluentSchemaId(Buffer.from([0, 0, 0, 0, 9]))).toBe(9);
  });
});

function catchError(fn: () => unknown): WireFormatError & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    return error as WireFormatError & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}
