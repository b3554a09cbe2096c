import avsc from 'avsc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { avro } from '../src/avro.js';
import { schemaRegistry } from '../src/registry/client.js';
import { SchemaNotFoundError, SchemaRegistryError } from '../src/registry/errors.js';
import { writeConfluentFrame } from '../src/wire/confluent.js';
import { InvalidPayloadError, TruncatedPayloadError, UnknownMagicByteError } from '../src/wire/errors.js';
import { writeGlueFrame } from '../src/wire/glue.js';
import { writeSchemaIdHeader } from '../src/wire/header-mode.js';
import { deserializeContext, readBack, serializeContext } from './support/context.js';
import { FakeRegistry } from './support/fake-registry.js';

const tradeV1 = {
  type: 'record',
  name: 'Trade',
  namespace: 'acme',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'qty', type: 'int' },
  ],
};
const tradeV2 = {
  ...tradeV1,
  fields: [...tradeV1.fields, { name: 'venue', type: 'string', default: 'XNYS' }],
};

let fake: FakeRegistry;
beforeEach(async () => {
  fake = await new FakeRegistry().start();
});
afterEach(() => fake.stop());

function frame(id: number, schema: object, value: unknown): Buffer {
  return writeConfluentFrame(id, avsc.Type.forSchema(schema as avsc.Schema).toBuffer(value));
}

describe('avro()', () => {
  it('decodes Confluent-framed bytes with the writer schema from the registry', async () => {
    const id = fake.add('trades-value', JSON.stringify(tradeV1));
    const serde = avro(schemaRegistry(fake.url));
    await expect(serde.deserialize(frame(id, tradeV1, { symbol: 'AAPL', qty: 5 }))).resolves.toEqual({
      symbol: 'AAPL',
      qty: 5,
    });
  });

  it('is synchronous once the schema is cached, and fetches it once', async () => {
    const id = fake.add('trades-value', JSON.stringify(tradeV1));
    const serde = avro(schemaRegistry(fake.url));
    const bytes = frame(id, tradeV1, { symbol: 'MSFT', qty: 1 });
    await serde.deserialize(bytes, deserializeContext());
    for (let i = 0; i < 100; i++) {
      const result = serde.deserialize(bytes, deserializeContext());
      expect(result).not.toBeInstanceOf(Promise);
      expect(result).toEqual({ symbol: 'MSFT', qty: 1 });
    }
    expect(fake.requests).toEqual([`GET /schemas/ids/${id}`]);
  });

  it('collapses the first records of a new schema into one fetch', async () => {
    const id = fake.add('trades-value', JSON.stringify(tradeV1));
    fake.delayMs = 20;
    const serde = avro(schemaRegistry(fake.url));
    const bytes = frame(id, tradeV1, { symbol: 'A', qty: 1 });
    await Promise.all(Array.from({ length: 50 }, () => serde.deserialize(bytes)));
    expect(fake.requests).toHaveLength(1);
  });

  it('resolves old writer data into a newer reader schema (evolution)', async () => {
    const id = fake.add('trades-value', JSON.stringify(tradeV1));
    const serde = avro(schemaRegistry(fake.url), { schema: tradeV2 as avsc.Schema });
    await expect(serde.deserialize(frame(id, tradeV1, { symbol: 'IBM', qty: 3 }))).resolves.toEqual({
      symbol: 'IBM',
      qty: 3,
      venue: 'XNYS',
    });
  });

  it('fails with the registry error when the id is unknown', async () => {
    const serde = avro(schemaRegistry(fake.url));
    await expect(serde.deserialize(frame(77, tradeV1, { symbol: 'X', qty: 1 }))).rejects.toBeInstanceOf(
      SchemaNotFoundError,
    );
  });

  it('throws typed wire errors synchronously, with topic/partition/offset', () => {
    const serde = avro(schemaRegistry(fake.url));
    expect(() => serde.deserialize(Buffer.from([9, 0, 0, 0, 1]), deserializeContext())).toThrow(
      UnknownMagicByteError,
    );
    expect(() => serde.deserialize(Buffer.from([0, 0, 0]), deserializeContext())).toThrow(
      /truncated Confluent header: expected at least 5 bytes, found 3 \(topic trades, partition 2, offset 17\)/,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects truncated and over-long Avro bodies', async () => {
    const id = fake.add('trades-value', JSON.stringify(tradeV1));
    const serde = avro(schemaRegistry(fake.url));
    const bytes = frame(id, tradeV1, { symbol: 'LONGNAME', qty: 1 });
    await expect(serde.deserialize(bytes.subarray(0, bytes.length - 3))).rejects.toBeInstanceOf(
      InvalidPayloadError,
    );
    // now cached: errors are thrown synchronously
    expect(() => serde.deserialize(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    expect(() => serde.deserialize(Buffer.concat([bytes, Buffer.from([1])]))).toThrow(/1 trailing bytes/);
  });

  it('refuses a schema of another type', async () => {
    const id = fake.add('x', 'syntax = "proto3"; message M {}', 'PROTOBUF');
    await expect(
      avro(schemaRegistry(fake.url)).deserialize(frame(id, tradeV1, { symbol: 'a', qty: 1 })),
    ).rejects.toThrow(SchemaRegistryError);
  });

  it('maps logical types: timestamp-millis and date → Date, decimal → exact string, uuid → string', async () => {
    const schema = {
      type: 'record',
      name: 'L',
      fields: [
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        {
          name: 'fixedPrice',
          type: { type: 'fixed', name: 'F', size: 4, logicalType: 'decimal', precision: 8, scale: 3 },
        },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
      ],
    };
    const serde = avro<Record<string, unknown>>(schemaRegistry(fake.url), {
      schema: schema as avsc.Schema,
      autoRegister: true,
    });
    const value = {
      at: new Date('2024-05-01T12:34:56.789Z'),
      day: new Date('2024-05-01T00:00:00Z'),
      price: '-12.50',
      fixedPrice: '1.5',
      id: '0b7c4d2e-8f1a-4c3b-9d2e-1f0a2b3c4d5e',
    };
    const bytes = await serde.serialize(value, serializeContext());
    // decimal -12.50 at scale 2 is unscaled -1250 = 0xfb1e in two's complement
    expect(bytes.includes(Buffer.from([0x04, 0xfb, 0x1e]))).toBe(true);
    const back = await serde.deserialize(bytes);
    expect(back).toEqual({ ...value, fixedPrice: '1.500' });
    // A reader without our logical types sees the raw encoding
    const raw = avsc.Type.forSchema(schema as avsc.Schema).fromBuffer(bytes.subarray(5)) as Record<
      string,
      unknown
    >;
    expect(raw.at).toBe(Date.parse('2024-05-01T12:34:56.789Z'));
    expect(raw.day).toBe(19844);
    expect(raw.fixedPrice).toEqual(Buffer.from([0, 0, 0x05, 0xdc]));
  });

  it('refuses decimals it would have to round', async () => {
    const schema = { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 };
    const serde = avro(schemaRegistry(fake.url), { schema: schema as avsc.Schema, autoRegister: true });
    expect(await serde.serialize('1.230', serializeContext())).toBeInstanceOf(Buffer);
    expect(() => serde.serialize('1.234', serializeContext())).toThrow(/invalid/);
  });

  describe('serializer', () => {
    it('auto-registers under <topic>-value and round-trips; later calls are synchronous', async () => {
      const serde = avro(schemaRegistry(fake.url), { schema: tradeV1 as avsc.Schema, autoRegister: true });
      const bytes = await serde.serialize({ symbol: 'A', qty: 1 }, serializeContext());
      expect(fake.requests).toEqual(['POST /subjects/trades-value/versions']);
      expect(bytes.readInt32BE(1)).toBe(1);
      const again = serde.serialize({ symbol: 'B', qty: 2 }, serializeContext());
      expect(again).toBeInstanceOf(Buffer);
      await expect(serde.deserialize(again as Buffer)).resolves.toEqual({ symbol: 'B', qty: 2 });
    });

    it('uses <topic>-key for keys', async () => {
      const serde = avro(schemaRegistry(fake.url), { schema: 'string', autoRegister: true });
      await serde.serialize('k', serializeContext('trades', 'key'));
      expect(fake.requests).toEqual(['POST /subjects/trades-key/versions']);
    });

    it('looks up (and does not register) by default', async () => {
      const serde = avro(schemaRegistry(fake.url), { schema: tradeV1 as avsc.Schema });
      await expect(serde.serialize({ symbol: 'A', qty: 1 }, serializeContext())).rejects.toBeInstanceOf(
        SchemaNotFoundError,
      );
      const id = fake.add('trades-value', JSON.stringify(tradeV1));
      const bytes = await serde.serialize({ symbol: 'A', qty: 1 }, serializeContext());
      expect(bytes.readInt32BE(1)).toBe(id);
      expect(fake.requests).toEqual(['POST /subjects/trades-value', 'POST /subjects/trades-value']);
    });

    it.each([
      ['RecordName', 'acme.Trade'],
      ['TopicRecordName', 'trades-acme.Trade'],
    ] as const)('supports the %s strategy', async (strategy, subject) => {
      const serde = avro(schemaRegistry(fake.url), {
        schema: tradeV1 as avsc.Schema,
        autoRegister: true,
        subjectNameStrategy: strategy,
      });
      await serde.serialize({ symbol: 'A', qty: 1 }, serializeContext());
      expect(fake.requests).toEqual([`POST /subjects/${subject}/versions`]);
    });

    it('writes with the latest registered schema (useLatest)', async () => {
      fake.add('trades-value', JSON.stringify(tradeV1));
      const v2 = fake.add('trades-value', JSON.stringify(tradeV2));
      const serde = avro(schemaRegistry(fake.url), { useLatest: true });
      const bytes = await serde.serialize({ symbol: 'A', qty: 1, venue: 'XLON' }, serializeContext());
      expect(bytes.readInt32BE(1)).toBe(v2);
      // the latest version's answer filled the by-id cache: no second request
      await expect(serde.deserialize(bytes)).resolves.toEqual({ symbol: 'A', qty: 1, venue: 'XLON' });
      expect(fake.requests).toEqual(['GET /subjects/trades-value/versions/latest']);
    });

    it('writes with a fixed schema id, even without a context', async () => {
      const id = fake.add('whatever', JSON.stringify(tradeV1));
      const serde = avro(schemaRegistry(fake.url), { schemaId: id });
      const bytes = await serde.serialize({ symbol: 'A', qty: 1 });
      expect(bytes.readInt32BE(1)).toBe(id);
    });

    it('needs a topic for the TopicName strategy', () => {
      const serde = avro(schemaRegistry(fake.url), { schema: tradeV1 as avsc.Schema });
      expect(() => serde.serialize({ symbol: 'A', qty: 1 })).toThrow(/topic/);
    });

    it('rejects values that do not match the schema', async () => {
      const serde = avro(schemaRegistry(fake.url), { schema: tradeV1 as avsc.Schema, autoRegister: true });
      await serde.serialize({ symbol: 'A', qty: 1 }, serializeContext());
      expect(() => serde.serialize({ symbol: 1 } as never, serializeContext())).toThrow(/invalid/);
    });

    it('header mode: unprefixed payload, GUID in __value_schema_id, read back', async () => {
      const serde = avro(schemaRegistry(fake.url), {
        schema: tradeV1 as avsc.Schema,
        autoRegister: true,
        schemaIdLocation: 'header',
      });
      const ctx = serializeContext();
      const bytes = await serde.serialize({ symbol: 'H', qty: 9 }, ctx);
      const guid = fake.byId(1)!.guid;
      expect(ctx.headers).toEqual([['__value_schema_id', writeSchemaIdHeader(guid)]]);
      expect(bytes).toEqual(avsc.Type.forSchema(tradeV1 as avsc.Schema).toBuffer({ symbol: 'H', qty: 9 }));
      const reader = avro(schemaRegistry(fake.url));
      await expect(reader.deserialize(bytes, readBack(ctx))).resolves.toEqual({ symbol: 'H', qty: 9 });
      expect(fake.requests.at(-1)).toBe(`GET /schemas/guids/${guid}`);
    });

    it('header mode reads the header even when the payload starts with 0x00', async () => {
      const schema = { type: 'record', name: 'Z', fields: [{ name: 's', type: 'string' }] };
      const id = fake.add('t', JSON.stringify(schema));
      const payload = avsc.Type.forSchema(schema as avsc.Schema).toBuffer({ s: '' }); // <00>
      expect(payload[0]).toBe(0);
      const ctx = deserializeContext({
        headers: [['__value_schema_id', writeSchemaIdHeader(fake.byId(id)!.guid)]],
      });
      await expect(avro(schemaRegistry(fake.url)).deserialize(payload, ctx)).resolves.toEqual({ s: '' });
    });
  });

  describe('ESM schema-registry integration', () => {
    it('parses JSON when the ESM delivered JSON', () => {
      const serde = avro(schemaRegistry(fake.url));
      const ctx = deserializeContext({ schemaMetadata: { dataFormat: 'AVRO', schemaId: '1' } });
      expect(serde.deserialize(Buffer.from('{"symbol":"A","qty":1}'), ctx)).toEqual({ symbol: 'A', qty: 1 });
      expect(fake.requests).toHaveLength(0);
    });

    it('decodes SOURCE bytes (no prefix) with the numeric schema id of the metadata', async () => {
      const id = fake.add('trades-value', JSON.stringify(tradeV1));
      const bytes = avsc.Type.forSchema(tradeV1 as avsc.Schema).toBuffer({ symbol: '{', qty: 1 });
      for (const esmRecordFormat of ['SOURCE', 'auto'] as const) {
        const serde = avro(schemaRegistry(fake.url), { esmRecordFormat });
        const ctx = deserializeContext({ schemaMetadata: { dataFormat: 'AVRO', schemaId: String(id) } });
        await expect(serde.deserialize(bytes, ctx)).resolves.toEqual({ symbol: '{', qty: 1 });
      }
    });

    it('decodes SOURCE bytes with a Glue schema version UUID through the Glue resolver', async () => {
      const uuid = 'b6f0c1de-0b5a-4d6e-9f00-000000000001';
      const glue = async (id: string) => ({
        schema: id === uuid ? JSON.stringify(tradeV1) : '',
        dataFormat: 'AVRO',
      });
      const serde = avro(schemaRegistry(fake.url), { glue, esmRecordFormat: 'SOURCE' });
      const ctx = deserializeContext({ schemaMetadata: { dataFormat: 'AVRO', schemaId: uuid } });
      const bytes = avsc.Type.forSchema(tradeV1 as avsc.Schema).toBuffer({ symbol: 'G', qty: 2 });
      await expect(serde.deserialize(bytes, ctx)).resolves.toEqual({ symbol: 'G', qty: 2 });
    });
  });

  it('reads AWS Glue framed records when given a resolver, caching per schema version', async () => {
    const uuid = 'b6f0c1de-0b5a-4d6e-9f00-000000000002';
    let calls = 0;
    const serde = avro(schemaRegistry(fake.url), {
      glue: async () => {
        calls++;
        return { schema: JSON.stringify(tradeV1), dataFormat: 'AVRO' };
      },
    });
    const bytes = writeGlueFrame(
      uuid,
      avsc.Type.forSchema(tradeV1 as avsc.Schema).toBuffer({ symbol: 'G', qty: 2 }),
    );
    await expect(serde.deserialize(bytes)).resolves.toEqual({ symbol: 'G', qty: 2 });
    expect(serde.deserialize(bytes)).toEqual({ symbol: 'G', qty: 2 });
    expect(calls).toBe(1);
    // Without a resolver, 0x03 is an unknown magic byte
    expect(() => avro(schemaRegistry(fake.url)).deserialize(bytes)).toThrow(UnknownMagicByteError);
  });

  it('resolves Avro named-type references', async () => {
    const money = {
      type: 'record',
      name: 'Money',
      namespace: 'acme',
      fields: [{ name: 'cents', type: 'long' }],
    };
    fake.add('acme.Money', JSON.stringify(money));
    const order = {
      type: 'record',
      name: 'Order',
      namespace: 'acme',
      fields: [{ name: 'total', type: 'acme.Money' }],
    };
    const id = fake.add('orders-value', JSON.stringify(order), undefined, [
      { name: 'acme.Money', subject: 'acme.Money', version: 1 },
    ]);
    const full = avsc.Type.forSchema({ ...order, fields: [{ name: 'total', type: money }] } as avsc.Schema);
    const bytes = writeConfluentFrame(id, full.toBuffer({ total: { cents: 1234 } }));
    await expect(avro(schemaRegistry(fake.url)).deserialize(bytes)).resolves.toEqual({
      total: { cents: 1234 },
    });
  });

  it('a truncated message is a TruncatedPayloadError before any fetch', () => {
    expect(() => avro(schemaRegistry(fake.url)).deserialize(Buffer.from([0]))).toThrow(TruncatedPayloadError);
  });
});
