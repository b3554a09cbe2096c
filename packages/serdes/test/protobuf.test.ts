import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pb from 'protobufjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { protobuf } from '../src/protobuf.js';
import { parseProto } from '../src/protobuf-root.js';
import { schemaRegistry } from '../src/registry/client.js';
import { writeConfluentFrame } from '../src/wire/confluent.js';
import { InvalidPayloadError } from '../src/wire/errors.js';
import { writeSchemaIdHeader } from '../src/wire/header-mode.js';
import { writeMessageIndexes } from '../src/wire/message-indexes.js';
import { deserializeContext, readBack, serializeContext } from './support/context.js';
import { FakeRegistry } from './support/fake-registry.js';

const COMMON = `syntax = "proto3";
package acme.common;
message Money { string currency = 1; int64 units = 2; }
`;

const TRADES = `syntax = "proto3";
package acme;
import "google/protobuf/timestamp.proto";
import "common.proto";

enum Side { SIDE_UNSPECIFIED = 0; BUY = 1; SELL = 2; }
message Header { string source = 1; }
message TradeSettlement {
  message Leg {
    string account = 1;
    acme.common.Money amount = 2;
    message Fee { int32 bps = 1; }
  }
  string trade_id = 1;
  Side side = 2;
  int64 quantity = 3;
  repeated Leg legs = 4;
  google.protobuf.Timestamp settled_at = 5;
}
`;

let fake: FakeRegistry;
beforeEach(async () => {
  fake = await new FakeRegistry().start();
});
afterEach(() => fake.stop());

function registerTrades(): number {
  fake.add('common.proto', COMMON, 'PROTOBUF');
  return fake.add('trades-value', TRADES, 'PROTOBUF', [
    { name: 'common.proto', subject: 'common.proto', version: 1 },
  ]);
}

const local = parseProto({ name: 'trades.proto', text: TRADES }, [
  { name: 'common.proto', text: COMMON },
]).root;
const Settlement = local.lookupType('acme.TradeSettlement');
const Leg = local.lookupType('acme.TradeSettlement.Leg');
const Fee = local.lookupType('acme.TradeSettlement.Leg.Fee');
const Header = local.lookupType('acme.Header');

function encode(type: pb.Type, value: Record<string, unknown>, indexes: number[], id: number): Buffer {
  return writeConfluentFrame(id, type.encode(type.fromObject(value)).finish(), writeMessageIndexes(indexes));
}

describe('protobuf()', () => {
  it('picks the message by its indexes, resolves imports from references, and returns plain objects', async () => {
    const id = registerTrades();
    const serde = protobuf(schemaRegistry(fake.url));
    const value = {
      tradeId: 'T-1',
      side: 'SELL',
      quantity: '9007199254740993', // > 2^53: exact as a string
      legs: [{ account: 'A', amount: { currency: 'EUR', units: '12' } }],
      settledAt: { seconds: '1700000000', nanos: 5 },
    };
    await expect(serde.deserialize(encode(Settlement, value, [1], id))).resolves.toEqual(value);
    expect(fake.requests).toEqual([`GET /schemas/ids/${id}`, 'GET /subjects/common.proto/versions/1']);
  });

  it('fills proto3 defaults and names enums', async () => {
    const id = registerTrades();
    const serde = protobuf(schemaRegistry(fake.url));
    await expect(serde.deserialize(encode(Settlement, {}, [1], id))).resolves.toEqual({
      tradeId: '',
      side: 'SIDE_UNSPECIFIED',
      quantity: '0',
      legs: [],
      settledAt: null,
    });
  });

  it.each([
    [[0], Header, { source: 'x' }],
    [[1, 0], Leg, { account: 'acc', amount: null }],
    [[1, 0, 0], Fee, { bps: 7 }],
  ] as const)('decodes index path %j as the right nested type', async (indexes, type, value) => {
    const id = registerTrades();
    const serde = protobuf(schemaRegistry(fake.url));
    await expect(serde.deserialize(encode(type, value, [...indexes], id))).resolves.toEqual(value);
  });

  it('is synchronous once cached', async () => {
    const id = registerTrades();
    const serde = protobuf(schemaRegistry(fake.url));
    const bytes = encode(Header, { source: 's' }, [0], id);
    await serde.deserialize(bytes);
    expect(serde.deserialize(bytes)).toEqual({ source: 's' });
  });

  it('rejects indexes that name no message, and corrupt payloads', async () => {
    const id = registerTrades();
    const serde = protobuf(schemaRegistry(fake.url));
    await expect(serde.deserialize(encode(Header, {}, [5], id))).rejects.toThrow(/\[5\] names no message/);
    const bad = writeConfluentFrame(id, Buffer.from([0x0a, 0x01, 0x41, 0x10]), Buffer.from([0])); // field 2 without its varint
    expect(() => serde.deserialize(bad)).toThrow(InvalidPayloadError);
  });

  it('returns message instances with toObject: false', async () => {
    const id = registerTrades();
    const serde = protobuf(schemaRegistry(fake.url), { toObject: false });
    const message = (await serde.deserialize(
      encode(Header, { source: 'z' }, [0], id),
    )) as unknown as pb.Message;
    expect(message).toBeInstanceOf(pb.Message);
  });

  it('decodes with the given class when the writer type matches it', async () => {
    const id = registerTrades();
    const ctor = Header.ctor as unknown as { new (): object };
    const serde = protobuf(schemaRegistry(fake.url), { type: Header, toObject: false });
    expect(await serde.deserialize(encode(Header, { source: 'z' }, [0], id))).toBeInstanceOf(ctor);
  });

  describe('serializer', () => {
    it('registers the .proto text generated from a Root, with the indexes of the type', async () => {
      const serde = protobuf(schemaRegistry(fake.url), {
        root: local,
        type: 'acme.TradeSettlement.Leg',
        autoRegister: true,
      });
      const bytes = await serde.serialize({ account: 'A1' }, serializeContext());
      // the other package becomes a file of its own, registered as a reference
      expect(fake.requests).toEqual([
        'POST /subjects/acme.common.proto/versions',
        'POST /subjects/acme.common.proto',
        'POST /subjects/trades-value/versions',
      ]);
      const registered = fake.byId(bytes.readInt32BE(1))!;
      expect(registered.schemaType).toBe('PROTOBUF');
      expect(registered.schema).toContain('package acme;');
      expect(registered.schema).toContain('import "google/protobuf/timestamp.proto";');
      expect(registered.schema).toContain('import "acme.common.proto";');
      expect(registered.references).toEqual([
        { name: 'acme.common.proto', subject: 'acme.common.proto', version: 1 },
      ]);
      // generated file order: Side, Header, TradeSettlement → Leg is [1, 0]
      expect(bytes.subarray(5, 8)).toEqual(Buffer.from([4, 2, 0]));
      await expect(protobuf(schemaRegistry(fake.url)).deserialize(bytes)).resolves.toEqual({
        account: 'A1',
        amount: null,
      });
    });

    it('accepts a protobufjs Type and a reflected class', async () => {
      for (const type of [Header, Header.ctor as never]) {
        const serde = protobuf(schemaRegistry(fake.url), { type, autoRegister: true });
        const bytes = await serde.serialize({ source: 'q' }, serializeContext('headers'));
        expect(bytes[5]).toBe(0); // [0]
        await expect(protobuf(schemaRegistry(fake.url)).deserialize(bytes)).resolves.toEqual({ source: 'q' });
      }
    });

    it('reads protoFile, registers its imports as references named by import path', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'serdes-proto-'));
      writeFileSync(join(dir, 'common.proto'), COMMON);
      writeFileSync(join(dir, 'trades.proto'), TRADES);
      const serde = protobuf(schemaRegistry(fake.url), {
        protoFile: join(dir, 'trades.proto'),
        type: 'acme.TradeSettlement',
        autoRegister: true,
      });
      const value = { tradeId: 'T', side: 'BUY', quantity: '5', legs: [], settledAt: null };
      const bytes = await serde.serialize(value, serializeContext());
      expect(fake.requests).toEqual([
        'POST /subjects/common.proto/versions',
        'POST /subjects/common.proto',
        'POST /subjects/trades-value/versions',
      ]);
      const main = fake.byId(bytes.readInt32BE(1))!;
      expect(main.schema).toBe(TRADES);
      expect(main.references).toEqual([{ name: 'common.proto', subject: 'common.proto', version: 1 }]);
      expect(bytes[5]).toBe(2); // count 1
      expect(bytes[6]).toBe(2); // index 1
      await expect(protobuf(schemaRegistry(fake.url)).deserialize(bytes)).resolves.toEqual(value);
    });

    it('uses the latest registered schema and the type by name', async () => {
      registerTrades();
      const serde = protobuf(schemaRegistry(fake.url), { type: 'acme.Header', useLatest: true });
      const bytes = await serde.serialize({ source: 'latest' }, serializeContext());
      expect(bytes.subarray(5, 6)).toEqual(Buffer.from([0]));
      await expect(protobuf(schemaRegistry(fake.url)).deserialize(bytes)).resolves.toEqual({
        source: 'latest',
      });
    });

    it('uses the RecordName strategy with the message full name', async () => {
      const serde = protobuf(schemaRegistry(fake.url), {
        type: Header,
        autoRegister: true,
        subjectNameStrategy: 'RecordName',
      });
      await serde.serialize({ source: 'q' });
      expect(fake.requests.at(-1)).toBe('POST /subjects/acme.Header/versions');
    });

    it('header mode puts GUID + indexes in the header', async () => {
      const serde = protobuf(schemaRegistry(fake.url), {
        root: local,
        type: 'acme.TradeSettlement.Leg.Fee',
        autoRegister: true,
        schemaIdLocation: 'header',
      });
      const ctx = serializeContext();
      const bytes = await serde.serialize({ bps: 3 }, ctx);
      const id = fake.subjects.get('trades-value')![0]!;
      expect(ctx.headers).toEqual([
        ['__value_schema_id', writeSchemaIdHeader(fake.byId(id)!.guid, [1, 0, 0])],
      ]);
      expect(bytes).toEqual(Buffer.from(Fee.encode(Fee.fromObject({ bps: 3 })).finish()));
      await expect(protobuf(schemaRegistry(fake.url)).deserialize(bytes, readBack(ctx))).resolves.toEqual({
        bps: 3,
      });
    });
  });

  describe('ESM schema-registry integration', () => {
    it('SOURCE: decodes the payload after the message indexes the ESM keeps (it strips only the 5-byte prefix)', async () => {
      const id = registerTrades();
      const serde = protobuf(schemaRegistry(fake.url), { type: 'acme.Header', esmRecordFormat: 'SOURCE' });
      const ctx = deserializeContext({ schemaMetadata: { dataFormat: 'PROTOBUF', schemaId: String(id) } });
      const payload = Buffer.from(Header.encode(Header.fromObject({ source: 'esm' })).finish());
      const source = Buffer.concat([writeMessageIndexes([0]), payload]);
      await expect(serde.deserialize(source, ctx)).resolves.toEqual({ source: 'esm' });
    });

    it('JSON: parses the JSON the ESM produced', () => {
      const serde = protobuf(schemaRegistry(fake.url), { esmRecordFormat: 'JSON' });
      const ctx = deserializeContext({ schemaMetadata: { dataFormat: 'PROTOBUF', schemaId: '1' } });
      expect(serde.deserialize(Buffer.from('{"source":"j"}'), ctx)).toEqual({ source: 'j' });
    });
  });
});
