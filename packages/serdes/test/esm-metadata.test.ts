// Records delivered by the ESM's own schema-registry integration carry `valueSchemaMetadata`. One with
// a dataFormat but no schemaId must fail that record with a typed error, never ask the registry for
// the schema "undefined".
import type { EsmSchemaMetadata } from '@kafka-lambda/core/serde';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { avro } from '../src/avro.js';
import { jsonSchema } from '../src/json-schema.js';
import { protobuf } from '../src/protobuf.js';
import { schemaRegistry } from '../src/registry/client.js';
import { InvalidSchemaMetadataError, WireFormatError } from '../src/wire/errors.js';
import { deserializeContext } from './support/context.js';
import { FakeRegistry } from './support/fake-registry.js';

let fake: FakeRegistry;
beforeEach(async () => {
  fake = await new FakeRegistry().start();
});
afterEach(() => fake.stop());

// What a JSON event carries when the integration sends metadata without an id.
const withoutId = [
  { dataFormat: 'AVRO' },
  { dataFormat: 'AVRO', schemaId: null },
  { dataFormat: 'AVRO', schemaId: '' },
] as unknown as EsmSchemaMetadata[];

describe('ESM schema metadata without a schemaId', () => {
  const serdes = {
    avro: () => avro(schemaRegistry(fake.url)),
    protobuf: () => protobuf(schemaRegistry(fake.url)),
    'jsonSchema (validating)': () => jsonSchema(schemaRegistry(fake.url), { validate: true }),
  };
  for (const [name, make] of Object.entries(serdes)) {
    for (const metadata of withoutId) {
      it(`${name}: ${JSON.stringify(metadata)} with SOURCE bytes is an InvalidSchemaMetadataError, and nothing is fetched`, async () => {
        const serde = make();
        const ctx = deserializeContext({ schemaMetadata: metadata });
        const error = await Promise.resolve()
          .then(() => serde.deserialize(Buffer.from([0x02, 0x61, 0x62]), ctx))
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(InvalidSchemaMetadataError);
        expect(error).toBeInstanceOf(WireFormatError);
        expect(error).toMatchObject({ topic: 'trades', partition: 2, offset: 17 });
        expect((error as Error).message).toMatch(/no schemaId/);
        expect(fake.requests).toEqual([]);
      });
    }
  }

  it('a JSON record (EventRecordFormat JSON) needs no id: it is parsed, nothing is fetched', async () => {
    const serde = avro(schemaRegistry(fake.url), { esmRecordFormat: 'JSON' });
    const ctx = deserializeContext({ schemaMetadata: withoutId[0]! });
    await expect(Promise.resolve(serde.deserialize(Buffer.from('{"a":1}'), ctx))).resolves.toEqual({ a: 1 });
    expect(fake.requests).toEqual([]);
  });
});
