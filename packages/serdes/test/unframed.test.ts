// Powertools for AWS Lambda's default mode: bare Avro / Protobuf, written without a registry and read
// with a schema the function has. Chosen with wireFormat: 'none'; nothing is fetched.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avsc from 'avsc';
import pb from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { avro } from '../src/avro.js';
import { protobuf } from '../src/protobuf.js';
import type { SchemaRegistry } from '../src/registry/client.js';
import { InvalidPayloadError, UnknownMagicByteError } from '../src/wire/errors.js';
import { deserializeContext } from './support/context.js';

const trade = {
  type: 'record',
  name: 'Trade',
  namespace: 'acme',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};
const value = { symbol: 'ACME', qty: 7, tags: ['a', 'b'] };
// What a producer without a registry writes: the Avro binary encoding and nothing else.
const bare = avsc.Type.forSchema(trade as avsc.Schema).toBuffer(value);

/** A registry that fails the test if it is asked anything. */
const untouchable = new Proxy({} as SchemaRegistry, {
  get(_target, key) {
    if (key === 'getSchemaById') return () => Promise.reject(new Error('the registry was asked'));
    if (key === 'then') return undefined;
    if (key === 'latestTtlMs') return 60_000; // read when the serde is built, not a request
    throw new Error(`the registry was asked for ${String(key)}`);
  },
});

describe("avro({ schema, wireFormat: 'none' })", () => {
  it('decodes bare Avro with a schema object or JSON text, synchronously, without a registry', () => {
    for (const schema of [trade as avsc.Schema, JSON.stringify(trade)]) {
      const serde = avro<typeof value>({ schema, wireFormat: 'none' });
      expect(serde.deserialize(bare, deserializeContext())).toEqual(value);
    }
  });

  it('with a registry given too, still asks it nothing', () => {
    const serde = avro(untouchable, { schema: trade as avsc.Schema, wireFormat: 'none' });
    expect(serde.deserialize(bare, deserializeContext())).toEqual(value);
  });

  it('writes bare Avro that the same serde reads back', async () => {
    const serde = avro<typeof value>({ schema: trade as avsc.Schema, wireFormat: 'none' });
    const written = await serde.serialize(value);
    expect(Buffer.compare(written, bare)).toBe(0);
  });

  it('fails a corrupt or forged payload with an InvalidPayloadError naming the record', () => {
    const serde = avro({ schema: trade as avsc.Schema, wireFormat: 'none' });
    const forged = Buffer.from([0x08, 0x41, 0x43, 0x4d, 0x45, 0x0e, 0x80, 0x80, 0x80, 0x80, 0x08]);
    for (const bytes of [bare.subarray(0, 3), forged]) {
      const error = catchError(() => serde.deserialize(bytes, deserializeContext()));
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect(error).toMatchObject({ topic: 'trades', partition: 2, offset: 17, schemaId: undefined });
    }
  });

  it('is a choice: without it the same bytes are not registry-framed (UnknownMagicByteError)', () => {
    const serde = avro(untouchable, { schema: trade as avsc.Schema });
    expect(() => serde.deserialize(bare, deserializeContext())).toThrow(UnknownMagicByteError);
  });

  it('needs the schema, and without wireFormat none needs a registry', () => {
    expect(() => avro({ wireFormat: 'none' } as never)).toThrow(/needs `schema`/);
    expect(() => avro(undefined as never)).toThrow(/give a schema registry/);
    expect(() => protobuf(undefined as never)).toThrow(/give a schema registry/);
  });
});

const PROTO = `syntax = "proto3";
package acme;
message Header { string source = 1; }
message Trade { string symbol = 1; int64 qty = 2; repeated string tags = 3; }
`;

describe("protobuf({ type, wireFormat: 'none' })", () => {
  const root = pb.parse(PROTO).root;
  const Trade = root.lookupType('acme.Trade');
  const message = { symbol: 'ACME', qty: '9007199254740993', tags: ['x'] };
  const bareMessage = Buffer.from(Trade.encode(Trade.fromObject(message)).finish());

  it('decodes the bare message with a Type, a name in a root, or a name in a .proto file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unframed-'));
    const protoFile = join(dir, 'trade.proto');
    writeFileSync(protoFile, PROTO);
    const serdes = [
      protobuf({ type: Trade, wireFormat: 'none' }),
      protobuf({ type: 'acme.Trade', root, wireFormat: 'none' }),
      protobuf({ type: 'acme.Trade', protoFile, wireFormat: 'none' }),
      protobuf(untouchable, { type: Trade, wireFormat: 'none' }),
    ];
    for (const serde of serdes) expect(serde.deserialize(bareMessage, deserializeContext())).toEqual(message);
  });

  it('writes the bare message', async () => {
    const serde = protobuf({ type: Trade, wireFormat: 'none' });
    expect(Buffer.compare(await serde.serialize(message), bareMessage)).toBe(0);
  });

  it('fails a truncated message with an InvalidPayloadError naming the record', () => {
    const serde = protobuf({ type: Trade, wireFormat: 'none' });
    const error = catchError(() => serde.deserialize(bareMessage.subarray(0, 4), deserializeContext()));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error).toMatchObject({ topic: 'trades', partition: 2, offset: 17 });
  });

  it('needs a message it can decode without a registry', () => {
    expect(() => protobuf({ type: 'acme.Trade', wireFormat: 'none' })).toThrow(/wireFormat 'none' needs/);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
