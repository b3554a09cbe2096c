import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createKafkaHandler, type KafkaRecord, type Logger } from '@kafka-lambda/core';
import {
  avro,
  IncompatibleSchemaError,
  jsonSchema,
  protobuf,
  RegistryUnavailableError,
  SchemaNotFoundError,
  type SchemaRegistry,
} from '@kafka-lambda/serdes';
import { describe, expect, it } from 'vitest';
import { memorySchemaRegistry } from '../src/entry/registry.js';
import { encodeRecord, lambdaContext, mskEvent } from '../src/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const TRADE = {
  type: 'record',
  name: 'Trade',
  namespace: 'demo',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'quantity', type: 'int' },
  ],
};
interface Trade {
  symbol: string;
  quantity: number;
}

describe('memorySchemaRegistry', () => {
  it('implements the serdes SchemaRegistry interface', () => {
    const registry: SchemaRegistry = memorySchemaRegistry();
    expect(typeof registry.getSchemaById).toBe('function');
  });

  it('gives one id per schema across subjects, idempotent registration, versions per subject', async () => {
    const registry = memorySchemaRegistry({ firstId: 100 });
    const a = await registry.register('a-value', { schema: JSON.stringify(TRADE) });
    const again = await registry.register('a-value', { schema: JSON.stringify(TRADE, null, 2) });
    const b = await registry.register('b-value', { schema: JSON.stringify(TRADE) });
    const other = await registry.register('a-value', { schema: '"string"' });
    expect(a.id).toBe(100);
    expect(again).toEqual(a);
    expect(b.id).toBe(100);
    expect(other.id).toBe(101);
    expect(a.guid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await registry.getLatestVersion('a-value')).version).toBe(2);
    expect(await registry.getVersion('a-value', 1)).toMatchObject({
      id: 100,
      subject: 'a-value',
      schemaType: 'AVRO',
    });
    expect(await registry.lookup('b-value', { schema: JSON.stringify(TRADE) })).toMatchObject({
      id: 100,
      version: 1,
    });
    expect(await registry.getSchemaByGuid(a.guid!)).toMatchObject({ id: 100 });
    expect(registry.subjects()).toEqual(['a-value', 'b-value']);
  });

  it('fails like the REST client: not found codes, unavailability, incompatibility', async () => {
    const registry = memorySchemaRegistry({
      compatibility: (_subject, _candidate, previous) => previous.length === 0,
    });
    await expect(registry.getSchemaById(7)).rejects.toMatchObject({
      name: 'SchemaNotFoundError',
      errorCode: 40403,
      ref: { id: 7 },
    });
    await expect(registry.getLatestVersion('nope')).rejects.toMatchObject({ errorCode: 40401 });
    registry.add('s', '"string"');
    await expect(registry.getVersion('s', 2)).rejects.toBeInstanceOf(SchemaNotFoundError);
    await expect(registry.lookup('s', { schema: '"int"' })).rejects.toMatchObject({ errorCode: 40403 });
    await expect(registry.register('s', { schema: '"int"' })).rejects.toBeInstanceOf(IncompatibleSchemaError);
    registry.failNext(1);
    await expect(registry.getSchemaById(1)).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(registry.getSchemaById(1)).resolves.toMatchObject({ schema: '"string"' });
  });

  it('resolves references transitively, dependencies first', async () => {
    const registry = memorySchemaRegistry();
    registry.add('base', { schema: '{"type":"fixed","name":"Id","size":4}' });
    registry.add('mid', {
      schema: '{"type":"record","name":"M","fields":[{"name":"id","type":"Id"}]}',
      references: [{ name: 'Id', subject: 'base', version: 1 }],
    });
    const refs = await registry.resolveReferences({
      references: [{ name: 'M', subject: 'mid', version: 1 }],
    });
    expect(refs.map((r) => r.name)).toEqual(['Id', 'M']);
  });
});

describe('serdes run against the memory registry, events built with encodeRecord', () => {
  it('avro: serialize with autoRegister, decode in a handler; the schema is fetched once', async () => {
    const registry = memorySchemaRegistry();
    const serde = avro<Trade>(registry, { schema: JSON.stringify(TRADE), autoRegister: true });
    const records = await Promise.all(
      ['AAPL', 'MSFT', 'NVDA'].map((symbol, i) =>
        encodeRecord({
          topic: 'trades',
          key: symbol,
          value: { symbol, quantity: i },
          valueSerializer: serde,
        }),
      ),
    );
    const event = mskEvent(records);
    expect(registry.subjects()).toEqual(['trades-value']);
    const seen: Trade[] = [];
    const reader = memorySchemaRegistry();
    reader.add('trades-value', JSON.stringify(TRADE));
    const handler = createKafkaHandler({
      value: avro<Trade>(reader),
      logger: silent,
      process: (record: KafkaRecord<string, Trade>) => void seen.push(record.value),
    });
    await handler(event, lambdaContext());
    expect(seen).toEqual([
      { symbol: 'AAPL', quantity: 0 },
      { symbol: 'MSFT', quantity: 1 },
      { symbol: 'NVDA', quantity: 2 },
    ]);
    expect(reader.calls.getSchemaById).toBe(1);
  });

  it('avro in header mode: the schema GUID travels in a header the builders keep', async () => {
    const registry = memorySchemaRegistry();
    const writer = avro<Trade>(registry, {
      schema: JSON.stringify(TRADE),
      autoRegister: true,
      schemaIdLocation: 'header',
    });
    const event = mskEvent([
      await encodeRecord({ topic: 'hm', value: { symbol: 'X', quantity: 1 }, valueSerializer: writer }),
    ]);
    expect(Object.keys(event.records['hm-0']![0]!.headers![0]!)).toEqual(['__value_schema_id']);
    const seen: Trade[] = [];
    await createKafkaHandler({
      value: avro<Trade>(registry),
      logger: silent,
      process: (record: KafkaRecord<string, Trade>) => void seen.push(record.value),
    })(event, lambdaContext());
    expect(seen).toEqual([{ symbol: 'X', quantity: 1 }]);
    expect(registry.calls.getSchemaByGuid).toBe(1);
  });

  it('json schema and protobuf register and round-trip too', async () => {
    const registry = memorySchemaRegistry();
    const js = jsonSchema<{ id: number }>(registry, {
      schema: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
      autoRegister: true,
    });
    const jsRecord = await encodeRecord({ topic: 'j', value: { id: 5 }, valueSerializer: js });
    expect(await js.deserialize(jsRecord.value!)).toEqual({ id: 5 });

    const dir = mkdtempSync(path.join(tmpdir(), 'proto-'));
    const protoFile = path.join(dir, 'ping.proto');
    writeFileSync(
      protoFile,
      'syntax = "proto3";\npackage demo;\nmessage Ping { string id = 1; int32 n = 2; }\n',
    );
    const pb = protobuf<{ id: string; n: number }>(registry, {
      protoFile,
      type: 'demo.Ping',
      autoRegister: true,
    });
    const pbRecord = await encodeRecord({ topic: 'p', value: { id: 'a', n: 3 }, valueSerializer: pb });
    expect(await pb.deserialize(pbRecord.value!)).toEqual({ id: 'a', n: 3 });
    expect(registry.versions('p-value')[0]).toMatchObject({ schemaType: 'PROTOBUF' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unavailable registry fails the record, and the report policy hands it back to the ESM', async () => {
    const registry = memorySchemaRegistry();
    const writer = avro<Trade>(registry, { schema: JSON.stringify(TRADE), autoRegister: true });
    const event = mskEvent([
      await encodeRecord({ topic: 'u', value: { symbol: 'A', quantity: 1 }, valueSerializer: writer }),
    ]);
    const reader = memorySchemaRegistry();
    reader.add('u-value', JSON.stringify(TRADE));
    reader.failNext(1);
    const handler = createKafkaHandler({
      value: avro<Trade>(reader),
      onError: 'report',
      logger: silent,
      process() {},
    });
    await expect(handler(event, lambdaContext())).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'u-0', offset: 100 } }],
    });
    await expect(handler(event, lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
  });
});
