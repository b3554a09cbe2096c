import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { avroBoundsCheck, MAX_ZERO_SIZE_ITEMS } from '../src/avro-bounds.js';

const zigzag = (n: number): number[] => {
  const out: number[] = [];
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return out;
};

const schemas: Record<string, avsc.Schema> = {
  collections: {
    type: 'record',
    name: 'C',
    fields: [
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'attrs', type: { type: 'map', values: ['null', 'long', { type: 'array', items: 'double' }] } },
      { name: 'grid', type: { type: 'array', items: { type: 'array', items: 'int' } } },
      { name: 'id', type: { type: 'fixed', name: 'Id', size: 3 } },
      { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL'] } },
      { name: 'flags', type: { type: 'array', items: 'boolean' } },
      { name: 'f', type: 'float' },
      { name: 'raw', type: 'bytes' },
    ],
  } as avsc.Schema,
  recursive: {
    type: 'record',
    name: 'Node',
    fields: [
      { name: 'value', type: 'int' },
      { name: 'children', type: { type: 'array', items: 'Node' } },
      { name: 'next', type: ['null', 'Node'] },
    ],
  } as avsc.Schema,
  logical: {
    type: 'record',
    name: 'L',
    fields: [
      {
        name: 'amounts',
        type: { type: 'array', items: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
      },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  } as avsc.Schema,
  empties: {
    type: 'record',
    name: 'E',
    fields: [
      { name: 'nulls', type: { type: 'array', items: 'null' } },
      { name: 'units', type: { type: 'array', items: { type: 'record', name: 'Unit', fields: [] } } },
    ],
  } as avsc.Schema,
};

describe('avroBoundsCheck', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    if (name === 'recursive') continue; // avsc's random() does not terminate on recursive types
    it(`accepts every honest payload of the ${name} schema (2,000 random values)`, () => {
      const type = avsc.Type.forSchema(schema);
      const check = avroBoundsCheck(type)!;
      expect(check).toBeTypeOf('function');
      for (let i = 0; i < 2000; i++) {
        const bytes = type.toBuffer(type.random());
        expect(check(bytes, 0)).toBeUndefined();
      }
    });
  }

  it('accepts honest payloads of a recursive schema (trees and lists of depth up to 6)', () => {
    const type = avsc.Type.forSchema(schemas.recursive!);
    const check = avroBoundsCheck(type)!;
    type Node = { value: number; children: Node[]; next: Node | null };
    const tree = (depth: number): Node => ({
      value: depth,
      children: depth === 0 ? [] : [tree(depth - 1), tree(depth - 1)],
      next: depth === 0 ? null : { value: -depth, children: [], next: null },
    });
    for (let depth = 0; depth <= 6; depth++) {
      const bytes = type.toBuffer(tree(depth));
      expect(check(bytes, 0)).toBeUndefined();
      expect(check(Buffer.concat([bytes.subarray(0, -1), Buffer.from([0x7f])]), 0)).toBeDefined();
    }
  });

  it('is not needed (undefined) for a schema without arrays or maps', () => {
    const flat = avsc.Type.forSchema({ type: 'record', name: 'F', fields: [{ name: 's', type: 'string' }] });
    expect(avroBoundsCheck(flat)).toBeUndefined();
  });

  it('accepts negative block counts with a byte size, as other writers emit them', () => {
    const check = avroBoundsCheck(avsc.Type.forSchema({ type: 'array', items: 'int' }))!;
    // -2 items, 2 bytes, items 1 and 2, end of array
    const bytes = Buffer.from([...zigzag(-2), ...zigzag(2), ...zigzag(1), ...zigzag(2), 0]);
    expect(check(bytes, 0)).toBeUndefined();
    expect(avsc.Type.forSchema({ type: 'array', items: 'int' }).fromBuffer(bytes)).toEqual([1, 2]);
  });

  it('refuses a block count larger than the bytes left, in arrays, maps and nested ones', () => {
    const type = avsc.Type.forSchema(schemas.collections!);
    const check = avroBoundsCheck(type)!;
    expect(check(Buffer.from([...zigzag(2 ** 30)]), 0)).toMatch(
      /block count 1073741824 at byte 0 exceeds the 0 bytes left/,
    );
    expect(check(Buffer.from([0, ...zigzag(5), 2, 0x61]), 0)).toMatch(/block count 5 at byte 1 exceeds/);
    expect(check(Buffer.from([0, 0, ...zigzag(1), ...zigzag(2 ** 40)]), 0)).toMatch(
      /block count 1099511627776/,
    );
  });

  it('bounds items of zero size by count, across the whole record', () => {
    const check = avroBoundsCheck(avsc.Type.forSchema(schemas.empties!))!;
    const half = MAX_ZERO_SIZE_ITEMS / 2;
    expect(check(Buffer.from([...zigzag(half), 0, ...zigzag(half), 0]), 0)).toBeUndefined();
    expect(check(Buffer.from([...zigzag(half), 0, ...zigzag(half + 1), 0]), 0)).toMatch(
      /more than 1000000 empty items/,
    );
  });

  it('reports truncation, a union branch that does not exist and a negative length', () => {
    const check = avroBoundsCheck(avsc.Type.forSchema(schemas.collections!))!;
    expect(check(Buffer.from([...zigzag(1), ...zigzag(5), 0x61]), 0)).toBe('truncated');
    expect(check(Buffer.from([0, ...zigzag(1), 2, 0x61, ...zigzag(7)]), 0)).toMatch(
      /union branch 7 at byte 4/,
    );
    expect(check(Buffer.from([...zigzag(1), ...zigzag(-3)]), 0)).toMatch(/negative length -3 at byte 1/);
  });

  it('starts where it is told (after a Confluent header)', () => {
    const type = avsc.Type.forSchema({ type: 'array', items: 'string' });
    const check = avroBoundsCheck(type)!;
    const body = type.toBuffer(['a', 'b']);
    expect(check(Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), body]), 5)).toBeUndefined();
  });
});
