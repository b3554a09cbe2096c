// An in-process SchemaRegistry object (no HTTP) with one schema of each type, for the property tests
// and the malformed-payload corpus. Unknown ids and GUIDs answer SchemaNotFoundError, as a registry would.
import { KafkaHeaders } from '@kafka-lambda/core';
import type { DeserializeContext, EsmSchemaMetadata } from '@kafka-lambda/core/serde';
import { type RegisteredSchema, SchemaNotFoundError, type SchemaRegistry } from '@kafka-lambda/serdes';

export const AVRO_ID = 1;
export const PROTOBUF_ID = 2;
export const JSON_ID = 3;
export const AVRO_GUID = '6f1c2a3b-0000-4000-8000-000000000001';
export const PROTOBUF_GUID = '6f1c2a3b-0000-4000-8000-000000000002';
export const JSON_GUID = '6f1c2a3b-0000-4000-8000-000000000003';
export const GLUE_AVRO_UUID = '7a2b3c4d-0000-4000-8000-0000000000a1';

export const avroSchema = JSON.stringify({
  type: 'record',
  name: 'Trade',
  namespace: 'reliability',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
    { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL'] } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'ratio', type: 'double' },
    { name: 'id', type: { type: 'fixed', name: 'Id', size: 4 } },
  ],
});

export const protobufSchema = `syntax = "proto3";
package reliability;
message Trade {
  string symbol = 1;
  int32 qty = 2;
  repeated string tags = 3;
  map<string, int64> attrs = 4;
  Side side = 5;
  oneof extra { string note = 6; double ratio = 7; }
  Leg leg = 8;
  message Leg { bytes id = 1; sint64 delta = 2; fixed32 venue = 3; }
  enum Side { BUY = 0; SELL = 1; }
}
message Other { repeated Trade trades = 1; bool flag = 2; }
`;

export const jsonSchemaText = JSON.stringify({
  type: 'object',
  properties: { symbol: { type: 'string' }, qty: { type: 'integer', minimum: 0 } },
  required: ['symbol'],
});

const schemas: RegisteredSchema[] = [
  { id: AVRO_ID, guid: AVRO_GUID, schema: avroSchema, schemaType: 'AVRO', references: [] },
  { id: PROTOBUF_ID, guid: PROTOBUF_GUID, schema: protobufSchema, schemaType: 'PROTOBUF', references: [] },
  { id: JSON_ID, guid: JSON_GUID, schema: jsonSchemaText, schemaType: 'JSON', references: [] },
];

export function stubRegistry(): SchemaRegistry & { calls: number } {
  const registry = {
    calls: 0,
    latestTtlMs: 60_000,
    async getSchemaById(id: number) {
      registry.calls++;
      const found = schemas.find((s) => s.id === id);
      if (!found)
        throw new SchemaNotFoundError(
          `GET /schemas/ids/${id} answered 404 (error 40403)`,
          { id },
          404,
          40403,
        );
      return found;
    },
    async getSchemaByGuid(guid: string) {
      registry.calls++;
      const found = schemas.find((s) => s.guid === guid);
      if (!found)
        throw new SchemaNotFoundError(`GET /schemas/guids/${guid} answered 404`, { guid }, 404, 40403);
      return found;
    },
    async getLatestVersion(): Promise<never> {
      throw new Error('not used');
    },
    async getVersion(): Promise<never> {
      throw new Error('not used');
    },
    async lookup(): Promise<never> {
      throw new Error('not used');
    },
    async register(): Promise<never> {
      throw new Error('not used');
    },
    async resolveReferences() {
      return [];
    },
  };
  return registry;
}

/** Resolves AWS Glue schema version UUIDs: one Avro schema, the rest unknown. */
export async function stubGlue(uuid: string): Promise<{ schema: string; dataFormat: string }> {
  if (uuid === GLUE_AVRO_UUID) return { schema: avroSchema, dataFormat: 'AVRO' };
  throw new SchemaNotFoundError(`Glue schema version ${uuid} not found`, { guid: uuid }, 404);
}

export function context(
  opts: {
    headers?: Array<[string, Buffer]>;
    schemaMetadata?: EsmSchemaMetadata;
    part?: 'key' | 'value';
  } = {},
): DeserializeContext {
  return {
    topic: 'fuzz',
    partition: 0,
    offset: 1,
    part: opts.part ?? 'value',
    headers: opts.headers ? new KafkaHeaders(opts.headers) : KafkaHeaders.EMPTY,
    schemaMetadata: opts.schemaMetadata,
  };
}
