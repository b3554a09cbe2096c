// Protobuf records from the ESM's schema-registry integration in SOURCE format, in the shape AWS
// delivers them (a captured event is in Powertools for AWS Lambda's Kafka tests,
// events/protobuf-complex.confluent.json): the ESM strips the Confluent 5-byte prefix (magic byte and
// schema id, which moves to valueSchemaMetadata) but keeps the message indexes. Reading from byte 0
// decoded the indexes as fields of the file's first message: another message's defaults, no error.
import type { EsmSchemaMetadata } from '@kafka-lambda/core/serde';
import type pb from 'protobufjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { protobuf } from '../src/protobuf.js';
import { parseProto } from '../src/protobuf-root.js';
import { schemaRegistry } from '../src/registry/client.js';
import { InvalidFrameError, InvalidPayloadError, WireFormatError } from '../src/wire/errors.js';
import { writeMessageIndexes } from '../src/wire/message-indexes.js';
import { deserializeContext } from './support/context.js';
import { FakeRegistry } from './support/fake-registry.js';

// The field numbers and types of the captured records' schema; Address is the file's first message,
// UserProfile its second. Badge (nested, [1, 0]) is ours: it changes no encoding of the others.
const PROFILES = `syntax = "proto3";
package com.example.protobuf;
message Address { string street = 1; string city = 2; string zip = 3; }
message UserProfile {
  message Badge { string label = 1; int32 level = 2; }
  string userId = 1;
  string name = 2;
  string email = 3;
  int32 age = 4;
  bool isActive = 5;
  string signupDate = 6;
  repeated string tags = 7;
  double score = 8;
  map<string, string> preferences = 9;
  Address address = 10;
}
`;

// The first record of the captured event, as its `value` arrived (base64): 02 02 = indexes [1].
const RECORDED_VALUE =
  'AgIKJGE4ZTQwOTcxLTE1NTItNDIwZC1hN2M5LWI4OTgyMzI1NzAyZBIDQm9iGg9ib2JAZXhhbXBsZS5jb20gHCgBMgoyMDI0LTAyLTAyOgR0YWcxOgR0YWcyQQAAAAAAAFZASg4KBXRoZW1lEgVsaWdodFIZCgcxMjMgQXZlEgdTZWF0dGxlGgU5ODEwMQ==';

const local = parseProto({ name: 'profiles.proto', text: PROFILES }, []).root;
const Address = local.lookupType('com.example.protobuf.Address');
const UserProfile = local.lookupType('com.example.protobuf.UserProfile');
const Badge = local.lookupType('com.example.protobuf.UserProfile.Badge');

let fake: FakeRegistry;
let metadata: EsmSchemaMetadata;
beforeEach(async () => {
  fake = await new FakeRegistry().start();
  metadata = {
    dataFormat: 'PROTOBUF',
    schemaId: String(fake.add('confluent_proto-value', PROFILES, 'PROTOBUF')),
  };
});
afterEach(() => fake.stop());

/** What the ESM hands the function in SOURCE format: the message indexes, then the message. */
function sourceRecord(type: pb.Type, value: Record<string, unknown>, indexes: number[]): Buffer {
  return Buffer.concat([writeMessageIndexes(indexes), type.encode(type.fromObject(value)).finish()]);
}

const ctx = () => deserializeContext({ topic: 'confluent_proto', schemaMetadata: metadata });

async function failure(run: () => unknown): Promise<unknown> {
  return Promise.resolve()
    .then(run)
    .then(
      (value) => ({ decoded: value }),
      (error: unknown) => error,
    );
}

describe('protobuf(registry) on ESM SOURCE records (Confluent registry)', () => {
  it('the captured AWS record: indexes [1] pick UserProfile, the second message of the file', async () => {
    const serde = protobuf(schemaRegistry(fake.url));
    await expect(serde.deserialize(Buffer.from(RECORDED_VALUE, 'base64'), ctx())).resolves.toEqual({
      userId: 'a8e40971-1552-420d-a7c9-b8982325702d',
      name: 'Bob',
      email: 'bob@example.com',
      age: 28,
      isActive: true,
      signupDate: '2024-02-02',
      tags: ['tag1', 'tag2'],
      score: 88,
      preferences: { theme: 'light' },
      address: { street: '123 Ave', city: 'Seattle', zip: '98101' },
    });
  });

  it('a record whose bytes also parse as the first message decodes as its own, not as Address defaults', async () => {
    // 02 02 20 1c read from byte 0 as Address: a length-delimited field 0 of 2 bytes, skipped; no error.
    const bytes = sourceRecord(UserProfile, { age: 28 }, [1]);
    expect([...bytes]).toEqual([0x02, 0x02, 0x20, 0x1c]);
    const decoded = await protobuf(schemaRegistry(fake.url)).deserialize(bytes, ctx());
    expect(decoded).toMatchObject({ userId: '', age: 28 });
    expect(decoded).not.toHaveProperty('street');
  });

  it('with `type` naming the message, the same record decodes with that type', async () => {
    const serde = protobuf(schemaRegistry(fake.url), {
      type: 'com.example.protobuf.UserProfile',
      esmRecordFormat: 'SOURCE',
    });
    const decoded = (await serde.deserialize(Buffer.from(RECORDED_VALUE, 'base64'), ctx())) as {
      name: string;
    };
    expect(decoded.name).toBe('Bob');
  });

  it('the first message: indexes [0] written as the single byte 0x00, as Confluent does', async () => {
    const bytes = sourceRecord(Address, { street: '1 Main', city: 'Oslo', zip: '0150' }, [0]);
    expect(bytes[0]).toBe(0x00);
    expect(bytes[1]).toBe(0x0a); // Address.street's tag follows at once: no count byte
    await expect(protobuf(schemaRegistry(fake.url)).deserialize(bytes, ctx())).resolves.toEqual({
      street: '1 Main',
      city: 'Oslo',
      zip: '0150',
    });
  });

  it('a nested message: indexes [1, 0] (04 02 00) pick UserProfile.Badge', async () => {
    const bytes = sourceRecord(Badge, { label: 'gold', level: 3 }, [1, 0]);
    expect([...bytes.subarray(0, 3)]).toEqual([0x04, 0x02, 0x00]);
    await expect(protobuf(schemaRegistry(fake.url)).deserialize(bytes, ctx())).resolves.toEqual({
      label: 'gold',
      level: 3,
    });
  });

  it('indexes naming no message of the schema ([7]) are an InvalidPayloadError naming the record', async () => {
    const bytes = sourceRecord(Address, { street: 'x' }, [7]);
    const error = await failure(() => protobuf(schemaRegistry(fake.url)).deserialize(bytes, ctx()));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error).toMatchObject({ topic: 'confluent_proto', partition: 2, offset: 17 });
    expect((error as Error).message).toMatch(/\[7\] names no message/);
  });

  it('a corrupt index list (count beyond the bytes, negative index, truncated varint) is a WireFormatError naming the record', async () => {
    const message = UserProfile.encode(UserProfile.fromObject({ name: 'Bob' })).finish();
    const corrupt = [
      Buffer.from([0x7e]), // count 63, nothing after it
      Buffer.concat([Buffer.from([0x02, 0x03]), message]), // count 1, index -2
      Buffer.from([0x02, 0x80]), // count 1, the index's varint never ends
    ];
    for (const bytes of corrupt) {
      const error = await failure(() => protobuf(schemaRegistry(fake.url)).deserialize(bytes, ctx()));
      expect(error).toBeInstanceOf(WireFormatError);
      expect(error).toMatchObject({ topic: 'confluent_proto', partition: 2, offset: 17 });
    }
  });

  it('a record without its indexes (the bare message) fails, typed, instead of decoding as another message', async () => {
    // UserProfile's first bytes (0a 03: userId's tag and length) read as a count of 5 and an index of -2.
    const bare = Buffer.from(
      UserProfile.encode(UserProfile.fromObject({ userId: 'u-1', name: 'Bob' })).finish(),
    );
    const error = await failure(() => protobuf(schemaRegistry(fake.url)).deserialize(bare, ctx()));
    expect(error).toBeInstanceOf(InvalidFrameError);
    expect(error).toMatchObject({ topic: 'confluent_proto', partition: 2, offset: 17 });
    expect((error as Error).message).toMatch(/Protobuf message index/);
  });

  it('the indexes of a Confluent GUID schemaId are read the same way', async () => {
    const guid = fake.byId(Number(metadata.schemaId))!.guid;
    const bytes = sourceRecord(Badge, { label: 'silver' }, [1, 0]);
    const context = deserializeContext({ schemaMetadata: { dataFormat: 'PROTOBUF', schemaId: guid } });
    await expect(protobuf(schemaRegistry(fake.url)).deserialize(bytes, context)).resolves.toEqual({
      label: 'silver',
      level: 0,
    });
  });

  it('JSON records (EventRecordFormat JSON, or auto on `{`) are still parsed, no indexes read, nothing fetched', async () => {
    const json = Buffer.from('{"name":"Bob","age":28}');
    expect(protobuf(schemaRegistry(fake.url), { esmRecordFormat: 'JSON' }).deserialize(json, ctx())).toEqual({
      name: 'Bob',
      age: 28,
    });
    expect(protobuf(schemaRegistry(fake.url)).deserialize(json, ctx())).toEqual({ name: 'Bob', age: 28 });
    expect(fake.requests).toEqual([]);
  });
});
