// The Avro deserializer on arbitrary bytes after valid Confluent, Glue and ESM frames: only typed errors,
// never a crash or runaway allocation (corrupt block counts are bounded, see avro-bounds.test.ts).
import { deflateSync } from 'node:zlib';
import { avro, writeConfluentFrame, writeGlueFrame } from '@kafka-lambda/serdes';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  AVRO_GUID,
  AVRO_ID,
  context,
  GLUE_AVRO_UUID,
  stubGlue,
  stubRegistry,
} from '../support/stub-registry.js';
import { onlyTyped, payload, propertyParams } from './wire-arbitraries.js';

describe('avro deserializer fed arbitrary bytes after a valid frame (10,000 inputs each, stub registry)', {
  timeout: 120_000,
}, () => {
  const serde = avro(stubRegistry(), { glue: stubGlue });

  it('Confluent frame of schema 1 + arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(payload, (body) =>
        onlyTyped(() => serde.deserialize(writeConfluentFrame(AVRO_ID, body), context())),
      ),
      propertyParams,
    );
  });

  it('AWS Glue frames (known and unknown schema versions, raw and zlib)', async () => {
    const uuid = fc.oneof(fc.constant(GLUE_AVRO_UUID), fc.uuid());
    await fc.assert(
      fc.asyncProperty(uuid, payload, fc.boolean(), (id, body, compress) => {
        const frame = writeGlueFrame(id, compress ? deflateSync(body) : body);
        if (compress) frame[1] = 5;
        return onlyTyped(() => serde.deserialize(frame, context()));
      }),
      propertyParams,
    );
  });

  it('ESM schema-registry integration with arbitrary bytes, every record format', async () => {
    const formats = ['JSON', 'SOURCE', 'auto'] as const;
    const byFormat = Object.fromEntries(
      formats.map((f) => [f, avro(stubRegistry(), { esmRecordFormat: f })]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...formats),
        payload,
        fc.constantFrom(String(AVRO_ID), '999', AVRO_GUID),
        (format, body, schemaId) =>
          onlyTyped(() =>
            byFormat[format]!.deserialize(
              body,
              context({ schemaMetadata: { dataFormat: 'AVRO', schemaId } }),
            ),
          ),
      ),
      propertyParams,
    );
  });
});
