// Property tests of every wire-format parser and of the registry deserializers fed arbitrary bytes
// after a valid frame: whatever the bytes, the result is a value or one of the typed errors —
// WireFormatError (and subclasses), a registry error, or JsonSchemaValidationError — never a crash,
// a hang, a TypeError/RangeError/SyntaxError from inside a parser.
import { deflateSync } from 'node:zlib';
import {
  avro,
  InvalidFrameError,
  jsonSchema,
  protobuf,
  readConfluentSchemaId,
  readGlueFrame,
  readMessageIndexes,
  readSchemaIdHeader,
  VALUE_SCHEMA_ID_HEADER,
  WireFormatError,
  writeConfluentFrame,
  writeGlueFrame,
  writeMessageIndexes,
  writeSchemaIdHeader,
} from '@kafka-lambda/serdes';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AVRO_GUID,
  context,
  GLUE_AVRO_UUID,
  JSON_ID,
  PROTOBUF_GUID,
  PROTOBUF_ID,
  stubGlue,
  stubRegistry,
} from '../support/stub-registry.js';
import { bytes, isTypedError, onlyTyped, payload, propertyParams } from './wire-arbitraries.js';

const params = propertyParams;

function syncOnlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isTypedError(error))
      throw new Error(`untyped error ${(error as Error)?.name}: ${(error as Error)?.message}`);
  }
}

describe('wire parsers on arbitrary bytes (10,000 inputs each)', { timeout: 60_000 }, () => {
  it('readConfluentSchemaId: a non-negative int32 read from bytes 1..4, or a WireFormatError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          bytes(),
          bytes(8).map((b) => Buffer.concat([Buffer.from([0]), b])),
        ),
        (input) => {
          try {
            const id = readConfluentSchemaId(input);
            expect(input[0]).toBe(0);
            expect(id).toBe(input.readInt32BE(1));
            expect(id).toBeGreaterThanOrEqual(0);
          } catch (error) {
            expect(error).toBeInstanceOf(WireFormatError);
          }
        },
      ),
      params,
    );
  });

  it('readMessageIndexes: indexes >= 0 and `next` inside the buffer, or a WireFormatError; write→read round-trips', () => {
    fc.assert(
      fc.property(payload, fc.nat({ max: 8 }), (input, start) => {
        try {
          const { indexes, next } = readMessageIndexes(input, start);
          expect(next).toBeGreaterThan(start);
          expect(next).toBeLessThanOrEqual(input.length);
          for (const index of indexes) expect(Number.isSafeInteger(index) && index >= 0).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(WireFormatError);
        }
      }),
      params,
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0x3fffffff }), { minLength: 1, maxLength: 6 }),
        bytes(8),
        (indexes, tail) => {
          const encoded = Buffer.concat([writeMessageIndexes(indexes), tail]);
          const read = readMessageIndexes(encoded, 0);
          expect(read.indexes).toEqual(indexes);
          expect(encoded.subarray(read.next)).toEqual(tail);
        },
      ),
      params,
    );
  });

  it('readSchemaIdHeader (header mode): a GUID or id (+ indexes), or a WireFormatError', () => {
    const headerish = fc.oneof(
      bytes(40),
      fc
        .tuple(fc.constantFrom(0, 1), bytes(40))
        .map(([magic, rest]) => Buffer.concat([Buffer.from([magic]), rest])),
    );
    fc.assert(
      fc.property(headerish, fc.boolean(), (input, isProtobuf) => {
        try {
          const ref = readSchemaIdHeader(input, isProtobuf);
          expect(ref.guid !== undefined || (ref.id !== undefined && ref.id >= 0)).toBe(true);
          if (isProtobuf) expect(Array.isArray(ref.indexes)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(WireFormatError);
        }
      }),
      params,
    );
  });

  it('readGlueFrame: a frame (payload inflated for zlib), or a WireFormatError', () => {
    const glueish = fc.oneof(
      bytes(40),
      fc
        .tuple(fc.constantFrom(0, 5, 1, 0xff), fc.uint8Array({ minLength: 16, maxLength: 16 }), payload)
        .map(([compression, uuid, body]) => Buffer.concat([Buffer.from([3, compression]), uuid, body])),
      fc
        .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), bytes(32))
        .map(([uuid, body]) => Buffer.concat([Buffer.from([3, 5]), uuid, deflateSync(body)])),
    );
    fc.assert(
      fc.property(glueish, (input) => {
        try {
          const frame = readGlueFrame(input);
          expect(frame.schemaVersionId).toMatch(/^[0-9a-f-]{36}$/);
        } catch (error) {
          expect(error).toBeInstanceOf(WireFormatError);
        }
      }),
      params,
    );
  });

  it('readGlueFrame refuses a zlib bomb instead of inflating it without bound', () => {
    // 128 MiB of zeros compress to ~130 KB; a record that small must not make a Lambda allocate 128 MiB.
    const bomb = writeGlueFrame(GLUE_AVRO_UUID, Buffer.alloc(0));
    const compressed = deflateSync(Buffer.alloc(128 * 1024 * 1024));
    const frame = Buffer.concat([bomb.subarray(0, 18), compressed]);
    frame[1] = 5;
    expect(() => readGlueFrame(frame)).toThrow(InvalidFrameError);
  });
});

describe('registry deserializers fed arbitrary bytes after a valid frame (10,000 inputs each, stub registry)', {
  timeout: 120_000,
}, () => {
  const registry = stubRegistry();
  const serdes = {
    avro: avro(registry, { glue: stubGlue }),
    protobuf: protobuf(registry),
    json: jsonSchema(registry, { validate: true }),
  };

  it('protobuf: Confluent frame of schema 2 + arbitrary (or valid) message indexes + arbitrary bytes', async () => {
    const indexes = fc.oneof(
      bytes(6),
      fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 3 }).map((i) => writeMessageIndexes(i)),
    );
    await fc.assert(
      fc.asyncProperty(indexes, payload, (prefix, body) =>
        onlyTyped(() =>
          serdes.protobuf.deserialize(writeConfluentFrame(PROTOBUF_ID, body, prefix), context()),
        ),
      ),
      params,
    );
  });

  it('json (validating): Confluent frame of schema 3 + arbitrary bytes or JSON texts', async () => {
    const body = fc.oneof(
      payload,
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      fc.string().map((s) => Buffer.from(s)),
    );
    await fc.assert(
      fc.asyncProperty(body, (b) =>
        onlyTyped(() => serdes.json.deserialize(writeConfluentFrame(JSON_ID, b), context())),
      ),
      params,
    );
  });

  it('header mode: arbitrary __value_schema_id headers (and valid GUID headers) with arbitrary payloads', async () => {
    const header = fc.oneof(
      bytes(40),
      fc.constant(writeSchemaIdHeader(AVRO_GUID)),
      fc.constant(writeSchemaIdHeader(PROTOBUF_GUID, [0])),
    );
    await fc.assert(
      fc.asyncProperty(
        header,
        payload,
        fc.constantFrom('avro', 'protobuf', 'json') as fc.Arbitrary<keyof typeof serdes>,
        (h, body, which) =>
          onlyTyped(() =>
            serdes[which].deserialize(body, context({ headers: [[VALUE_SCHEMA_ID_HEADER, h]] })),
          ),
      ),
      params,
    );
  });

  it('ESM schema-registry integration (schemaMetadata present, JSON serde) with arbitrary bytes, every record format', async () => {
    const formats = ['JSON', 'SOURCE', 'auto'] as const;
    const byFormat = Object.fromEntries(
      formats.map((format) => [format, jsonSchema(stubRegistry(), { esmRecordFormat: format })]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...formats),
        payload,
        fc.constantFrom(String(JSON_ID), '999', AVRO_GUID),
        (format, body, schemaId) =>
          onlyTyped(() =>
            byFormat[format]!.deserialize(
              body,
              context({ schemaMetadata: { dataFormat: 'JSON', schemaId } }),
            ),
          ),
      ),
      params,
    );
  });

  it('arbitrary bytes with no valid frame at all, every serde', async () => {
    await fc.assert(
      fc.asyncProperty(
        bytes(32),
        fc.constantFrom('avro', 'protobuf', 'json') as fc.Arbitrary<keyof typeof serdes>,
        (b, which) => onlyTyped(() => serdes[which].deserialize(b, context())),
      ),
      params,
    );
    syncOnlyTyped(() => readConfluentSchemaId(Buffer.alloc(0)));
  });
});
