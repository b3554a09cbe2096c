import type avsc from 'avsc';

/**
 * Zero-size items (nulls, empty records) one record may claim in all its array blocks together:
 * they take no bytes, so only a count can bound them.
 */
export const MAX_ZERO_SIZE_ITEMS = 1_000_000;

/**
 * Walks an Avro payload with the writer schema, reading no values, and returns why its block counts
 * cannot be honest — or `undefined` when they are.
 *
 * avsc trusts the block counts of arrays and maps, in `_read` and in `_skip` (a writer field the
 * reader schema drops): 5 bytes claiming 2^30 items make it read past the end of the buffer until the
 * process runs out of memory, or skip for minutes, and in Lambda both repeat on every retry of the
 * batch. Instead of patching avsc's prototypes (shared by every avsc user in the process), the
 * payload is checked first with our own walk: each item of a block takes at least one byte unless its
 * type always encodes to nothing, so a count above the bytes left cannot be right; zero-size items
 * are bounded by {@link MAX_ZERO_SIZE_ITEMS} per record. The walk costs one pass over the bytes and
 * runs only for schemas that contain an array or a map.
 *
 * @example
 * ```ts
 * const check = avroBoundsCheck(avsc.Type.forSchema({ type: 'array', items: 'string' }));
 * check?.(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]), 0); // 'block count 1073741824 at byte 0 exceeds the 0 bytes left'
 * ```
 *
 * @returns `undefined` when the schema has no array or map (nothing to check), else the check.
 */
export function avroBoundsCheck(
  writer: avsc.Type,
): ((bytes: Buffer, start: number) => string | undefined) | undefined {
  if (!hasCollection(writer, new Set())) return undefined;
  const walk = compile(writer, new Map());
  if (!walk) return undefined;
  const state: Walk = { buf: Buffer.alloc(0), pos: 0, zeroItems: 0 };
  return (bytes, start) => {
    state.buf = bytes;
    state.pos = start;
    state.zeroItems = 0;
    try {
      walk(state);
      return undefined;
    } catch (error) {
      if (error instanceof Violation) return error.message;
      throw error;
    } finally {
      state.buf = EMPTY;
    }
  };
}

const EMPTY = Buffer.alloc(0);

interface Walk {
  buf: Buffer;
  pos: number;
  zeroItems: number;
}

type Step = (walk: Walk) => void;

/** A payload that cannot be what it claims. Internal: the check returns its message. */
class Violation extends Error {}

function truncated(): never {
  throw new Violation('truncated');
}

/** Reads a zigzag varint long as a number (exact up to 2^53, which is all a count can sensibly be). */
function readLong(walk: Walk): number {
  const { buf } = walk;
  // Most counts and lengths fit in one byte.
  if (walk.pos < buf.length) {
    const first = buf[walk.pos]!;
    if (first < 0x80) {
      walk.pos++;
      return first & 1 ? -((first + 1) >> 1) : first >> 1;
    }
  }
  let result = 0;
  let factor = 1;
  for (let i = 0; i < 10; i++) {
    if (walk.pos >= buf.length) truncated();
    const byte = buf[walk.pos++]!;
    result += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    factor *= 128;
  }
  throw new Violation(`varint longer than 10 bytes at byte ${walk.pos - 10}`);
}

function skipVarint(walk: Walk): void {
  const { buf } = walk;
  for (let i = 0; i < 10; i++) {
    if (walk.pos >= buf.length) truncated();
    if ((buf[walk.pos++]! & 0x80) === 0) return;
  }
  throw new Violation(`varint longer than 10 bytes at byte ${walk.pos - 10}`);
}

function skipBytes(walk: Walk, length: number): void {
  walk.pos += length;
  if (walk.pos > walk.buf.length) truncated();
}

const skipLengthPrefixed: Step = (walk) => {
  const at = walk.pos;
  const length = readLong(walk);
  if (length < 0) throw new Violation(`negative length ${length} at byte ${at}`);
  skipBytes(walk, length);
};
const nothing: Step = () => {};
const fixedSize =
  (size: number): Step =>
  (walk) =>
    skipBytes(walk, size);

/** Structure of avsc's public Type objects, read only (never written). */
interface Shape {
  readonly typeName: string;
  readonly fields?: ReadonlyArray<{ readonly type: avsc.Type }>;
  readonly itemsType?: avsc.Type;
  readonly valuesType?: avsc.Type;
  readonly types?: readonly avsc.Type[];
  readonly size?: number;
  readonly underlyingType?: avsc.Type;
}

function shape(type: avsc.Type): Shape {
  return type as unknown as Shape;
}

function children(type: avsc.Type): avsc.Type[] {
  const s = shape(type);
  if (s.fields) return s.fields.map((field) => field.type);
  if (s.itemsType) return [s.itemsType];
  if (s.valuesType) return [s.valuesType];
  if (s.types) return [...s.types];
  if (s.underlyingType) return [s.underlyingType];
  return [];
}

function hasCollection(type: avsc.Type, seen: Set<avsc.Type>): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  const s = shape(type);
  if (s.typeName === 'array' || s.typeName === 'map') return true;
  return children(type).some((child) => hasCollection(child, seen));
}

/** Whether every value of the type encodes to zero bytes (null, a record of such, `fixed` of size 0). */
function alwaysEmpty(type: avsc.Type, visiting: Set<avsc.Type>): boolean {
  const s = shape(type);
  if (s.typeName === 'null') return true;
  if (s.typeName === 'fixed') return s.size === 0;
  if (s.underlyingType) return alwaysEmpty(s.underlyingType, visiting);
  if (s.typeName === 'record' || s.typeName === 'error') {
    if (visiting.has(type)) return false; // a record that contains itself directly has no finite value
    visiting.add(type);
    const empty = s.fields!.every((field) => alwaysEmpty(field.type, visiting));
    visiting.delete(type);
    return empty;
  }
  return false;
}

/**
 * Compiles the type into a step that advances over one value. `undefined` for a type this walk does
 * not know (a custom avsc type): then no check is made rather than a wrong one.
 */
function compile(type: avsc.Type, memo: Map<avsc.Type, Step | undefined>): Step | undefined {
  if (memo.has(type)) return memo.get(type);
  const s = shape(type);
  switch (s.typeName) {
    case 'null':
      return nothing;
    case 'boolean':
      return fixedSize(1);
    case 'int':
    case 'long':
    case 'enum':
      return skipVarint;
    case 'float':
      return fixedSize(4);
    case 'double':
      return fixedSize(8);
    case 'string':
    case 'bytes':
      return skipLengthPrefixed;
    case 'fixed':
      return fixedSize(s.size!);
  }
  if (s.underlyingType) {
    const underlying = compile(s.underlyingType, memo);
    memo.set(type, underlying);
    return underlying;
  }
  // Named types may recur: register an indirection before compiling the children.
  let self: Step | undefined;
  memo.set(type, (walk) => self!(walk));
  self = compileComposite(type, s, memo);
  if (!self) memo.set(type, undefined);
  return self;
}

function compileComposite(
  type: avsc.Type,
  s: Shape,
  memo: Map<avsc.Type, Step | undefined>,
): Step | undefined {
  if (s.typeName === 'record' || s.typeName === 'error') {
    const steps = s.fields!.map((field) => compile(field.type, memo));
    if (steps.some((step) => step === undefined)) return undefined;
    const fields = steps as Step[];
    return (walk) => {
      for (let i = 0; i < fields.length; i++) fields[i]!(walk);
    };
  }
  if (s.typeName.startsWith('union')) {
    const steps = s.types!.map((branch) => compile(branch, memo));
    if (steps.some((step) => step === undefined)) return undefined;
    const branches = steps as Step[];
    return (walk) => {
      const at = walk.pos;
      const index = readLong(walk);
      const branch = branches[index];
      if (!branch) throw new Violation(`union branch ${index} at byte ${at} does not exist`);
      branch(walk);
    };
  }
  if (s.typeName === 'array' || s.typeName === 'map') {
    const isMap = s.typeName === 'map';
    const inner = compile(isMap ? s.valuesType! : s.itemsType!, memo);
    if (!inner) return undefined;
    // Map entries start with their key, so they always take a byte.
    const empty = !isMap && alwaysEmpty(s.itemsType!, new Set([type]));
    const item: Step = isMap
      ? (walk) => {
          skipLengthPrefixed(walk);
          inner(walk);
        }
      : inner;
    return (walk) => {
      for (;;) {
        const at = walk.pos;
        let count = readLong(walk);
        if (count === 0) return;
        if (count < 0) {
          count = -count;
          const size = readLong(walk);
          if (size < 0) throw new Violation(`negative block size ${size} at byte ${at}`);
        }
        if (empty) {
          walk.zeroItems += count;
          if (walk.zeroItems > MAX_ZERO_SIZE_ITEMS) {
            throw new Violation(
              `block count ${count} at byte ${at}: more than ${MAX_ZERO_SIZE_ITEMS} empty items in one record`,
            );
          }
          continue;
        }
        const left = walk.buf.length - walk.pos;
        if (count > left)
          throw new Violation(`block count ${count} at byte ${at} exceeds the ${left} bytes left`);
        for (let i = 0; i < count; i++) item(walk);
      }
    };
  }
  return undefined;
}
