import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  avro,
  jsonSchema,
  protobuf,
  RegistryUnavailableError,
  SchemaNotFoundError,
  schemaRegistry,
} from '../src/index.js';
import { delayingProxy, failingServer, REGISTRY_URL, uniqueTopic } from './integration/helpers.js';
import { deserializeContext, serializeContext } from './support/context.js';

const tradeV1 = {
  type: 'record',
  name: 'Trade',
  namespace: 'acme.int',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};
const tradeV2 = {
  ...tradeV1,
  fields: [...tradeV1.fields, { name: 'venue', type: 'string', default: 'XNYS' }],
};

describe('against the real registry', () => {
  it('Avro: registers, serializes and deserializes', async () => {
    const topic = uniqueTopic('avro');
    const registry = schemaRegistry(REGISTRY_URL);
    const serde = avro<{ symbol: string; qty: number; at: Date }>(registry, {
      schema: tradeV1 as avsc.Schema,
      autoRegister: true,
    });
    const value = { symbol: 'AAPL', qty: 10, at: new Date('2024-01-02T03:04:05.006Z') };
    const bytes = await serde.serialize(value, serializeContext(topic));
    expect(bytes[0]).toBe(0);
    const reader = avro(schemaRegistry(REGISTRY_URL));
    expect(await reader.deserialize(bytes, deserializeContext({ topic }))).toEqual(value);
    const latest = await registry.getLatestVersion(`${topic}-value`);
    expect(latest.id).toBe(bytes.readInt32BE(1));
  });

  it('Avro evolution: written with v1, read with v2', async () => {
    const topic = uniqueTopic('evolution');
    const writer = avro(schemaRegistry(REGISTRY_URL), { schema: tradeV1 as avsc.Schema, autoRegister: true });
    const at = new Date(1_700_000_000_000);
    const bytes = await writer.serialize({ symbol: 'IBM', qty: 1, at }, serializeContext(topic));
    // v2 registered under the same subject (BACKWARD compatible: a field with a default)
    const writerV2 = avro(schemaRegistry(REGISTRY_URL), {
      schema: tradeV2 as avsc.Schema,
      autoRegister: true,
    });
    const bytesV2 = await writerV2.serialize(
      { symbol: 'IBM', qty: 2, at, venue: 'XLON' },
      serializeContext(topic),
    );
    expect(bytesV2.readInt32BE(1)).not.toBe(bytes.readInt32BE(1));
    const reader = avro(schemaRegistry(REGISTRY_URL), { schema: tradeV2 as avsc.Schema });
    expect(await reader.deserialize(bytes)).toEqual({ symbol: 'IBM', qty: 1, at, venue: 'XNYS' });
    expect(await reader.deserialize(bytesV2)).toEqual({ symbol: 'IBM', qty: 2, at, venue: 'XLON' });
  });

  it('Protobuf: nested messages and an imported .proto registered as a reference', async () => {
    const topic = uniqueTopic('proto');
    const dir = mkdtempSync(join(tmpdir(), 'serdes-int-'));
    const common = `${topic.replace(/[^a-z0-9]/g, '_')}_common.proto`;
    writeFileSync(
      join(dir, common),
      'syntax = "proto3";\npackage acme.common;\nmessage Money { string currency = 1; int64 units = 2; }\n',
    );
    writeFileSync(
      join(dir, 'settlement.proto'),
      `syntax = "proto3";
package acme.settle;
import "${common}";
import "google/protobuf/timestamp.proto";
message Envelope { string id = 1; }
message TradeSettlement {
  message Leg { string account = 1; acme.common.Money amount = 2; }
  string trade_id = 1;
  repeated Leg legs = 2;
  google.protobuf.Timestamp settled_at = 3;
  enum Status { PENDING = 0; DONE = 1; }
  Status status = 4;
}
`,
    );
    const serde = protobuf(schemaRegistry(REGISTRY_URL), {
      protoFile: join(dir, 'settlement.proto'),
      type: 'acme.settle.TradeSettlement.Leg',
      autoRegister: true,
    });
    const leg = { account: 'ACC-1', amount: { currency: 'EUR', units: '9007199254740993' } };
    const bytes = await serde.serialize(leg, serializeContext(topic));
    expect([...bytes.subarray(5, 8)]).toEqual([4, 2, 0]); // [1, 0]
    const reader = protobuf(schemaRegistry(REGISTRY_URL));
    expect(await reader.deserialize(bytes)).toEqual(leg);

    const main = protobuf(schemaRegistry(REGISTRY_URL), {
      protoFile: join(dir, 'settlement.proto'),
      type: 'acme.settle.TradeSettlement',
      autoRegister: true,
    });
    const settlement = {
      tradeId: 'T-9',
      legs: [leg],
      settledAt: { seconds: '1700000000', nanos: 0 },
      status: 'DONE',
    };
    const settlementBytes = await main.serialize(settlement, serializeContext(topic));
    expect(await reader.deserialize(settlementBytes)).toEqual(settlement);
    const registered = await schemaRegistry(REGISTRY_URL).getSchemaById(settlementBytes.readInt32BE(1));
    expect(registered.schemaType).toBe('PROTOBUF');
    expect(registered.references.map((ref) => ref.name)).toEqual([common]);
  });

  it('JSON Schema: registers, serializes with validation and deserializes', async () => {
    const topic = uniqueTopic('json');
    const schema = {
      type: 'object',
      properties: { id: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['id'],
    };
    const serde = jsonSchema<{ id: number; tags?: string[] }>(schemaRegistry(REGISTRY_URL), {
      schema,
      autoRegister: true,
      validate: true,
    });
    const bytes = await serde.serialize({ id: 7, tags: ['a'] }, serializeContext(topic));
    const reader = jsonSchema(schemaRegistry(REGISTRY_URL), { validate: true });
    expect(await reader.deserialize(bytes)).toEqual({ id: 7, tags: ['a'] });
    expect(() => serde.serialize({ tags: [] } as never, serializeContext(topic))).toThrow(
      /missing required property "id"/,
    );
  });

  it('10,000 records of one schema make exactly one registry request', async () => {
    const topic = uniqueTopic('count');
    const writer = avro(schemaRegistry(REGISTRY_URL), { schema: tradeV1 as avsc.Schema, autoRegister: true });
    const records: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) {
      records.push(
        (await writer.serialize(
          { symbol: `S${i}`, qty: i, at: new Date(i) },
          serializeContext(topic),
        )) as Buffer,
      );
    }
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const reader = avro<{ qty: number }>(schemaRegistry({ url: REGISTRY_URL, fetch: counting }));
    // like a batch: all records started before the first fetch completes
    const results = await Promise.all(
      records.map((bytes) => reader.deserialize(bytes, deserializeContext({ topic }))),
    );
    expect(results.at(-1)!.qty).toBe(9999);
    expect(requests).toBe(1);
  });

  it('an unknown id is SchemaNotFoundError', async () => {
    const bytes = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 0]);
    await expect(avro(schemaRegistry(REGISTRY_URL)).deserialize(bytes)).rejects.toBeInstanceOf(
      SchemaNotFoundError,
    );
  });

  it('the registry down (a closed port) gives RegistryUnavailableError', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const serde = avro(schemaRegistry({ url: `http://127.0.0.1:${port}`, retries: 2, backoffMs: 10 }));
    await expect(serde.deserialize(Buffer.from([0, 0, 0, 0, 1, 0]))).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
  });

  it('a slow registry (delaying proxy) times out with RegistryUnavailableError, and works when patient', async () => {
    const topic = uniqueTopic('slow');
    const writer = avro(schemaRegistry(REGISTRY_URL), { schema: tradeV1 as avsc.Schema, autoRegister: true });
    const bytes = await writer.serialize({ symbol: 'S', qty: 1, at: new Date(0) }, serializeContext(topic));
    const proxy = await delayingProxy(REGISTRY_URL, 300);
    try {
      const impatient = avro(schemaRegistry({ url: proxy.url, timeoutMs: 100, retries: 1, backoffMs: 10 }));
      const error = await Promise.resolve(impatient.deserialize(bytes)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error as Error).message).toContain('timed out after 100 ms');
      expect(proxy.count()).toBe(2);
      const patient = avro(schemaRegistry({ url: proxy.url, timeoutMs: 5000 }));
      expect(await patient.deserialize(bytes)).toMatchObject({ symbol: 'S' });
    } finally {
      await proxy.close();
    }
  });

  it('a registry answering 500 gives RegistryUnavailableError after bounded retries', async () => {
    const server = await failingServer(500);
    try {
      const serde = avro(schemaRegistry({ url: server.url, retries: 3, backoffMs: 5 }));
      const error = await Promise.resolve(serde.deserialize(Buffer.from([0, 0, 0, 0, 1, 0]))).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect(error).toMatchObject({ status: 500 });
      expect(server.count()).toBe(4);
    } finally {
      await server.close();
    }
  });
});
