// Shared by the wire property tests: input generators and the "only typed errors" check.
import { JsonSchemaValidationError, SchemaRegistryError, WireFormatError } from '@kafka-lambda/serdes';
import fc from 'fast-check';

export const RUNS = 10_000;
/** A fixed seed: a failure reproduces; change it to explore further. */
export const propertyParams = { numRuns: RUNS, seed: 20_250_808 };

export const bytes = (maxLength = 64) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
/** Varint-heavy bytes: more continuation bits, more edge cases for Avro/Protobuf length prefixes. */
export const varintish = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x80, 0xff, 0x7f, 0x01, 0x00)), {
    maxLength: 64,
  })
  .map((a) => Buffer.from(a));
export const payload = fc.oneof(bytes(), varintish);

/** The errors a deserializer may throw: wire-format, registry, or JSON Schema validation errors. */
export function isTypedError(error: unknown): boolean {
  return (
    error instanceof WireFormatError ||
    error instanceof SchemaRegistryError ||
    error instanceof JsonSchemaValidationError
  );
}

/** Runs `fn` (sync or async); an error other than a typed one fails the property. */
export async function onlyTyped(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!isTypedError(error)) {
      throw new Error(`untyped error ${(error as Error)?.name}: ${(error as Error)?.message}`, {
        cause: error,
      });
    }
  }
}
