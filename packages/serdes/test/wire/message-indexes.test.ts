import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidFrameError, TruncatedPayloadError } from '../../src/wire/errors.js';
import { readMessageIndexes, writeMessageIndexes } from '../../src/wire/message-indexes.js';

describe('Protobuf message indexes', () => {
  it('writes [0] as the single byte 0x00 and reads it back', () => {
    expect(writeMessageIndexes([0])).toEqual(Buffer.from([0]));
    expect(readMessageIndexes(Buffer.from([0, 0x08]), 0)).toEqual({ indexes: [0], next: 1 });
  });

  it('zigzag-encodes the count and each index: [1, 0] is 04 02 00', () => {
    expect(writeMessageIndexes([1, 0])).toEqual(Buffer.from([0x04, 0x02, 0x00]));
    expect(readMessageIndexes(Buffer.from([0x04, 0x02, 0x00, 0xff]), 0)).toEqual({
      indexes: [1, 0],
      next: 3,
    });
  });

  it('writes [2] with an explicit count (02 04), not the [0] shortcut', () => {
    expect(writeMessageIndexes([2])).toEqual(Buffer.from([0x02, 0x04]));
  });

  it('uses multi-byte varints for large indexes (64 → zigzag 128 → 80 01)', () => {
    expect(writeMessageIndexes([64])).toEqual(Buffer.from([0x02, 0x80, 0x01]));
    expect(readMessageIndexes(Buffer.from([0x02, 0x80, 0x01]), 0).indexes).toEqual([64]);
  });

  it('reads from an offset (after the 5-byte Confluent header)', () => {
    const bytes = Buffer.from([0, 0, 0, 0, 1, 0x04, 0x06, 0x02, 0x2a]);
    expect(readMessageIndexes(bytes, 5)).toEqual({ indexes: [3, 1], next: 8 });
  });

  it('round-trips arbitrary index paths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0x3fffffff }), { minLength: 1, maxLength: 8 }),
        (indexes) => {
          const bytes = writeMessageIndexes(indexes);
          expect(readMessageIndexes(bytes, 0)).toEqual({ indexes, next: bytes.length });
        },
      ),
    );
  });

  it('rejects a negative count (a protobuf tag where indexes should be)', () => {
    // 0x01 is zigzag for -1
    expect(() => readMessageIndexes(Buffer.from([0x01, 0x00]), 0)).toThrow(InvalidFrameError);
  });

  it('rejects a count larger than the bytes left', () => {
    expect(() => readMessageIndexes(Buffer.from([0x14, 0x00]), 0)).toThrow(
      /expected a count in \[0, 1\], found 10/,
    );
  });

  it('rejects a negative index', () => {
    expect(() => readMessageIndexes(Buffer.from([0x02, 0x03]), 0)).toThrow(/expected >= 0, found -2/);
  });

  it('rejects missing and truncated indexes', () => {
    expect(() => readMessageIndexes(Buffer.from([0, 0, 0, 0, 1]), 5)).toThrow(TruncatedPayloadError);
    expect(() => readMessageIndexes(Buffer.from([0x02, 0x80]), 0)).toThrow(TruncatedPayloadError);
  });

  it('rejects varints longer than 5 bytes', () => {
    expect(() => readMessageIndexes(Buffer.from([0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0)).toThrow(
      /longer than 5 bytes/,
    );
  });

  it('refuses to write negative or fractional indexes', () => {
    expect(() => writeMessageIndexes([-1])).toThrow(RangeError);
    expect(() => writeMessageIndexes([0.5, 1])).toThrow(RangeError);
  });
});
