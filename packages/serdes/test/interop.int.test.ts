// Interop with Confluent's own JavaScript serdes (@confluentinc/schemaregistry), both directions, all
// three formats, through the same registry.
import { createRequire } from 'node:module';
import {
  AvroDeserializer,
  AvroSerializer,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  type SchemaInfo,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import pb from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { describe, expect, it } from 'vitest';
import { avro, jsonSchema, protobuf, schemaRegistry } from '../src/index.js';
import { parseProto } from '../src/protobuf-root.js';
import { REGISTRY_URL, uniqueTopic } from './integration/helpers.js';
import { deserializeContext, serializeContext } from './support/context.js';

// @bufbuild/protobuf is Confluent's dependency, not ours: load it from their package.
const fromConfluent = createRequire(createRequire(import.meta.url).resolve('@confluentinc/schemaregistry'));
interface Bufbuild {
  fromBinary(schema: unknown, bytes: Uint8Array): unknown;
  createFileRegistry(...input: unknown[]): { getMessage(name: string): unknown };
  createMutableRegistry(...input: unknown[]): never;
  create(schema: unknown, init: object): unknown;
}
const bufbuild = fromConfluent('@bufbuild/protobuf') as Bufbuild;
const wkt = fromConfluent('@bufbuild/protobuf/wkt') as { FileDescriptorSetSchema: unknown };

/**
 * Workaround: Confluent's Protobuf deserializer asks for `?format=serialized` and base64-decodes the
 * answer as a FileDescriptorProto. Apicurio's ccompat API returns the .proto text whatever the
 * format, so we convert the text here (with protobufjs) when Confluent's client asks for that format.
 */
class DescriptorConvertingClient extends SchemaRegistryClient {
  override async getBySubjectAndId(subject: string, id: number, format?: string): Promise<SchemaInfo> {
    const info = await super.getBySubjectAndId(subject, id, format);
    return format === 'serialized' ? asSerialized(info) : info;
  }
}

function asSerialized(info: SchemaInfo): SchemaInfo {
  if (info.schemaType !== 'PROTOBUF' || !/\b(syntax|message)\b/.test(info.schema)) return info;
  return { ...info, schema: Buffer.from(fileDescriptor('registry.proto', info.schema)).toString('base64') };
}

/** The FileDescriptorProto of a self-contained .proto file. */
function fileDescriptor(name: string, text: string): Uint8Array {
  const parsed = parseProto({ name, text }, []);
  const ns = (parsed.package ? parsed.root.lookup(parsed.package) : parsed.root) as pb.Namespace;
  const toDescriptor = (object: pb.ReflectionObject) => {
    const built = (object as unknown as { toDescriptor(e: string): MessageDescriptor }).toDescriptor(
      'proto3',
    );
    if (object instanceof pb.Type) qualify(built, object);
    return built;
  };
  const file = descriptor.FileDescriptorProto.create({
    name,
    package: parsed.package,
    syntax: 'proto3',
    messageType: ns.nestedArray.filter((o) => o instanceof pb.Type).map(toDescriptor),
    enumType: ns.nestedArray.filter((o) => o instanceof pb.Enum).map(toDescriptor),
  });
  return descriptor.FileDescriptorProto.encode(file).finish();
}

interface MessageDescriptor {
  name: string;
  field?: Array<{ name: string; typeName?: string }>;
  nestedType?: MessageDescriptor[];
}

/** protobufjs writes relative type names (`Inner`); bufbuild wants them fully qualified (`.acme.interop.Outer.Inner`). */
function qualify(built: MessageDescriptor, type: pb.Type): void {
  for (const field of built.field ?? []) {
    const resolved = type.fields[field.name]?.resolvedType;
    if (field.typeName && resolved) field.typeName = resolved.fullName;
  }
  for (const nested of built.nestedType ?? []) {
    const inner = type.nested?.[nested.name];
    if (inner instanceof pb.Type) qualify(nested, inner);
  }
}

const confluentClient = () =>
  new DescriptorConvertingClient({ baseURLs: [REGISTRY_URL], cacheCapacity: 100 });

const person = {
  type: 'record',
  name: 'Person',
  namespace: 'acme.interop',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'age', type: 'int' },
    { name: 'email', type: ['null', 'string'], default: null },
  ],
};

const PROTO = `syntax = "proto3";
package acme.interop;
message First { string id = 1; }
message Outer {
  message Inner { string name = 1; int64 count = 2; Kind kind = 3; }
  Inner inner = 1;
}
enum Kind { KIND_UNSPECIFIED = 0; BIG = 1; }
`;

describe('interop with @confluentinc/schemaregistry', () => {
  it('Avro: ours → theirs and theirs → ours', async () => {
    const topic = uniqueTopic('interop-avro');
    const ours = avro(schemaRegistry(REGISTRY_URL), { schema: JSON.stringify(person), autoRegister: true });
    const value = { name: 'Ada', age: 36, email: 'ada@example.com' };
    const bytes = await ours.serialize(value, serializeContext(topic));
    const theirDeserializer = new AvroDeserializer(confluentClient(), SerdeType.VALUE, {});
    expect(await theirDeserializer.deserialize(topic, bytes)).toEqual(value);

    const theirSerializer = new AvroSerializer(confluentClient(), SerdeType.VALUE, {
      useLatestVersion: true,
    });
    const theirBytes = await theirSerializer.serialize(topic, { name: 'Bob', age: 7, email: null });
    expect(theirBytes.readInt32BE(1)).toBe(bytes.readInt32BE(1));
    expect(
      await avro(schemaRegistry(REGISTRY_URL)).deserialize(theirBytes, deserializeContext({ topic })),
    ).toEqual({
      name: 'Bob',
      age: 7,
      email: null,
    });
  });

  it('JSON Schema: ours → theirs and theirs → ours', async () => {
    const topic = uniqueTopic('interop-json');
    const schema = {
      type: 'object',
      properties: { id: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
    };
    const ours = jsonSchema(schemaRegistry(REGISTRY_URL), { schema, autoRegister: true, validate: true });
    const bytes = await ours.serialize({ id: 1, tags: ['x'] }, serializeContext(topic));
    const theirDeserializer = new JsonDeserializer(confluentClient(), SerdeType.VALUE, {});
    expect(await theirDeserializer.deserialize(topic, bytes)).toEqual({ id: 1, tags: ['x'] });

    const theirSerializer = new JsonSerializer(confluentClient(), SerdeType.VALUE, {
      useLatestVersion: true,
    });
    const theirBytes = await theirSerializer.serialize(topic, { id: 2, tags: [] });
    expect(
      await jsonSchema(schemaRegistry(REGISTRY_URL), { validate: true }).deserialize(theirBytes),
    ).toEqual({
      id: 2,
      tags: [],
    });
  });

  it('Protobuf (nested type, message indexes [1, 0]): ours → theirs and theirs → ours', async () => {
    const topic = uniqueTopic('interop-proto');
    const registry = schemaRegistry(REGISTRY_URL);
    const { id } = await registry.register(`${topic}-value`, { schema: PROTO, schemaType: 'PROTOBUF' });
    const ours = protobuf(registry, { type: 'acme.interop.Outer.Inner', useLatest: true });
    const bytes = await ours.serialize(
      { name: 'n1', count: '9007199254740993', kind: 'BIG' },
      serializeContext(topic),
    );
    expect([...bytes.subarray(5, 8)]).toEqual([4, 2, 0]);

    const theirDeserializer = new ProtobufDeserializer(confluentClient(), SerdeType.VALUE, {});
    const theirs = (await theirDeserializer.deserialize(topic, bytes)) as {
      $typeName: string;
      name: string;
      count: bigint;
      kind: number;
    };
    expect(theirs.$typeName).toBe('acme.interop.Outer.Inner');
    expect(theirs.name).toBe('n1');
    expect(theirs.count).toBe(9007199254740993n);
    expect(theirs.kind).toBe(1);

    // Their serializer needs bufbuild descriptors of the message: built from the same .proto text.
    const set = bufbuild.fromBinary(
      wkt.FileDescriptorSetSchema,
      descriptor.FileDescriptorSet.encode({
        file: [descriptor.FileDescriptorProto.decode(fileDescriptor('interop.proto', PROTO))],
      }).finish(),
    );
    const files = bufbuild.createFileRegistry(set);
    const Inner = files.getMessage('acme.interop.Outer.Inner')!;
    const theirSerializer = new ProtobufSerializer(confluentClient(), SerdeType.VALUE, {
      useLatestVersion: true,
      registry: bufbuild.createMutableRegistry(Inner),
    });
    const theirBytes = await theirSerializer.serialize(
      topic,
      bufbuild.create(Inner, { name: 'n2', count: 5n, kind: 1 }),
    );
    expect(theirBytes.readInt32BE(1)).toBe(id);
    expect(await protobuf(schemaRegistry(REGISTRY_URL)).deserialize(theirBytes)).toEqual({
      name: 'n2',
      count: '5',
      kind: 'BIG',
    });
  });
});
