import type avsc from 'avsc';
import { Type, types } from './avsc-types.js';

type Schema = { type: unknown; precision?: number; scale?: number; size?: number };

/**
 * `timestamp-millis` and `local-timestamp-millis` ↔ `Date`. Writing also accepts epoch milliseconds.
 */
class TimestampMillis extends types.LogicalType {
  protected override _fromValue(value: number): Date {
    return new Date(value);
  }
  protected override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) return value.getTime();
    return typeof value === 'number' ? value : undefined;
  }
  protected override _resolve(type: avsc.Type): ((value: number) => number) | undefined {
    if (Type.isType(type, 'long', 'int', 'logical:timestamp-millis', 'logical:local-timestamp-millis')) {
      return (value) => value;
    }
    return undefined;
  }
}

const DAY_MS = 86_400_000;

/** `date` (days since epoch) ↔ `Date` at UTC midnight. */
class DateOnly extends types.LogicalType {
  protected override _fromValue(days: number): Date {
    return new Date(days * DAY_MS);
  }
  protected override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) return Math.floor(value.getTime() / DAY_MS);
    return typeof value === 'number' ? value : undefined;
  }
  protected override _resolve(type: avsc.Type): ((value: number) => number) | undefined {
    return Type.isType(type, 'int', 'logical:date') ? (value) => value : undefined;
  }
}

/**
 * `decimal` (bytes or fixed, two's complement big-endian unscaled value) ↔ an exact decimal string
 * with `scale` fraction digits, e.g. `"-12.50"`. Writing accepts a string, a bigint (the unscaled
 * value is `bigint × 10^scale`) or a safe-integer-backed number; excess fraction digits throw
 * instead of rounding silently.
 */
class Decimal extends types.LogicalType {
  readonly #scale: number;
  readonly #precision: number;
  readonly #size: number | undefined;

  constructor(schema: Schema, opts?: unknown) {
    super(schema as avsc.Schema, opts);
    this.#scale = schema.scale ?? 0;
    this.#precision = schema.precision ?? 0;
    this.#size = schema.type === 'fixed' ? schema.size : undefined;
    if (!Number.isInteger(this.#precision) || this.#precision <= 0)
      throw new Error('decimal: invalid precision');
    if (!Number.isInteger(this.#scale) || this.#scale < 0 || this.#scale > this.#precision) {
      throw new Error('decimal: invalid scale');
    }
  }

  protected override _fromValue(bytes: Buffer): string {
    return formatDecimal(bigintOf(bytes), this.#scale);
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    const unscaled = parseDecimal(value, this.#scale);
    if (unscaled === undefined) return undefined;
    return twosComplement(unscaled, this.#size);
  }

  protected override _resolve(type: avsc.Type): ((value: Buffer) => Buffer) | undefined {
    if (type instanceof Decimal && type.#scale === this.#scale) {
      // Bytes of another width (bytes vs fixed) carry the same unscaled value.
      return (value) => (this.#size === undefined ? value : twosComplement(bigintOf(value), this.#size)!);
    }
    return undefined;
  }
}

function bigintOf(bytes: Buffer): bigint {
  let unscaled = 0n;
  for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
  if (bytes.length > 0 && bytes[0]! & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
  return unscaled;
}

function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

function parseDecimal(value: unknown, scale: number): bigint | undefined {
  if (typeof value === 'bigint') return value * 10n ** BigInt(scale);
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = value.toFixed(Math.min(scale, 100));
    if (Number(text) !== value) return undefined; // would round
  } else if (typeof value === 'string') text = value.trim();
  else return undefined;
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && !match[3])) return undefined;
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) return undefined;
  const unscaled = BigInt(`${match[2] || '0'}${fraction.padEnd(scale, '0')}`);
  return match[1] === '-' ? -unscaled : unscaled;
}

function twosComplement(value: bigint, size: number | undefined): Buffer | undefined {
  const bytes: number[] = [];
  let rest = value;
  // Minimal length unless a fixed size is asked for, like Java's BigInteger.toByteArray().
  do {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  } while (!(rest === 0n && (bytes[0]! & 0x80) === 0) && !(rest === -1n && (bytes[0]! & 0x80) !== 0));
  if (size === undefined) return Buffer.from(bytes);
  if (bytes.length > size) return undefined;
  const fill = value < 0n ? 0xff : 0x00;
  while (bytes.length < size) bytes.unshift(fill);
  return Buffer.from(bytes);
}

/**
 * The logical types this package maps to richer JS values (see the README). `uuid` needs no class:
 * its underlying string is the natural representation. Others (`time-millis`, `timestamp-micros`, …)
 * decode as their underlying int/long.
 */
export const AVRO_LOGICAL_TYPES = {
  'timestamp-millis': TimestampMillis,
  'local-timestamp-millis': TimestampMillis,
  date: DateOnly,
  decimal: Decimal,
} as unknown as Record<string, new (schema: avsc.Schema, opts?: unknown) => avsc.types.LogicalType>;
