// Using the serdes must leave third-party modules as they were: other code in the process (another
// library's avsc types, the user's own protobufjs parsing) shares them.
import avsc from 'avsc';
import pb from 'protobufjs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { avro } from '../src/avro.js';
import { protobuf } from '../src/protobuf.js';
import { schemaRegistry } from '../src/registry/client.js';
import { writeConfluentFrame } from '../src/wire/confluent.js';
import { writeMessageIndexes } from '../src/wire/message-indexes.js';
import { deserializeContext, serializeContext } from './support/context.js';
import { FakeRegistry } from './support/fake-registry.js';

let fake: FakeRegistry;
beforeEach(async () => {
  fake = await new FakeRegistry().start();
});
afterEach(() => fake.stop());

/** Every own property of every avsc type prototype, by identity. */
function avscPrototypes(): Map<string, unknown> {
  const snapshot = new Map<string, unknown>();
  const classes: Record<string, { prototype: object }> = {
    Type: avsc.Type as unknown as { prototype: object },
    ...(avsc.types as unknown as Record<string, { prototype: object }>),
  };
  for (const [name, cls] of Object.entries(classes)) {
    for (const key of Reflect.ownKeys(cls.prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key)!;
      snapshot.set(`${name}.${String(key)}`, descriptor.value ?? descriptor.get);
    }
  }
  return snapshot;
}

describe('avro() leaves avsc untouched', () => {
  it('reading arrays and maps, resolved and skipped, changes no avsc prototype', async () => {
    const before = avscPrototypes();
    expect(before.get('ArrayType._read')).toBeTypeOf('function');
    const writer = {
      type: 'record',
      name: 'Basket',
      fields: [
        { name: 'items', type: { type: 'array', items: 'string' } },
        { name: 'prices', type: { type: 'map', values: 'long' } },
        { name: 'dropped', type: { type: 'array', items: { type: 'map', values: 'int' } } },
      ],
    };
    const reader = { ...writer, fields: writer.fields.slice(0, 2) };
    const id = fake.add('baskets-value', JSON.stringify(writer));
    const value = { items: ['a', 'b'], prices: { a: 1 }, dropped: [{ x: 1 }] };
    const bytes = writeConfluentFrame(id, avsc.Type.forSchema(writer as avsc.Schema).toBuffer(value));

    const registry = schemaRegistry(fake.url);
    await expect(avro(registry).deserialize(bytes, deserializeContext())).resolves.toEqual(value);
    await expect(
      avro(registry, { schema: reader as avsc.Schema }).deserialize(bytes, deserializeContext()),
    ).resolves.toEqual({ items: ['a', 'b'], prices: { a: 1 } });
    await avro(registry, { schemaId: id }).serialize(value, serializeContext());

    expect(avscPrototypes()).toEqual(before);
  });
});

describe('protobuf() leaves protobufjs untouched', () => {
  // Records every assignment to protobufjs' module-level `parse.filename` while the test runs.
  const original = Object.getOwnPropertyDescriptor(pb.parse, 'filename')!;
  const writes: unknown[] = [];
  let current: unknown = original.value;
  Object.defineProperty(pb.parse, 'filename', {
    configurable: true,
    get: () => current,
    set: (value: unknown) => {
      writes.push(value);
      current = value;
    },
  });
  afterAll(() => Object.defineProperty(pb.parse, 'filename', { ...original, value: current }));

  it('parsing schemas with imports sets no file name on protobufjs.parse', async () => {
    const common = 'syntax = "proto3";\npackage acme.common;\nmessage Money { string currency = 1; }\n';
    fake.add('common.proto', common, 'PROTOBUF');
    const main = `syntax = "proto3";
package acme;
import "common.proto";
message Header { string source = 1; }
message Trade { string id = 1; acme.common.Money amount = 2; }
`;
    const id = fake.add('trades-value', main, 'PROTOBUF', [
      { name: 'common.proto', subject: 'common.proto', version: 1 },
    ]);
    const trade = pb
      .parse(main.replace('import "common.proto";', '').replace('acme.common.Money', 'string'))
      .root.lookupType('acme.Trade');
    writes.length = 0; // the line above is protobufjs' own parse, not ours
    const before = current;
    const bytes = writeConfluentFrame(
      id,
      pb.Type.prototype.encode.call(trade, { id: 'T1' }).finish(),
      writeMessageIndexes([1]),
    );
    const serde = protobuf(schemaRegistry(fake.url), { type: 'acme.Trade' });
    await expect(serde.deserialize(bytes, deserializeContext())).resolves.toMatchObject({ id: 'T1' });
    await protobuf(schemaRegistry(fake.url), { type: 'acme.Trade', schemaId: id }).serialize(
      { id: 'T2' },
      serializeContext(),
    );
    // protobufjs' parse() itself resets the name to null when it ends; a file name is ours.
    expect(writes.filter((value) => value !== null)).toEqual([]);
    expect(current).toBe(before);
  });
});
