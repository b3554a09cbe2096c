import type { RegisteredSchema, SchemaDefinition, SchemaRegistry } from '@kafka-lambda/serdes';
import { schemaRegistry } from '@kafka-lambda/serdes';
import { REGISTRY_URL } from './config.js';
import { AVRO_SCHEMA, PROTO_TEXT } from './fixtures.js';
import { REAL_AVRO_SCHEMA, REAL_PROTO_TEXT } from './realistic-fixtures.js';

export interface BenchRegistry {
  registry: SchemaRegistry;
  kind: string;
  avroId: number;
  protobufId: number;
  realAvroId: number;
  realProtobufId: number;
}

/**
 * The real local registry when it answers (schemas registered once, before any timing; serdes caches
 * them by id, so the timed runs never reach it), else an in-process stub of the client interface.
 */
export async function benchRegistry(): Promise<BenchRegistry> {
  const avro: SchemaDefinition = { schema: JSON.stringify(AVRO_SCHEMA), schemaType: 'AVRO' };
  const proto: SchemaDefinition = { schema: PROTO_TEXT, schemaType: 'PROTOBUF' };
  const realAvro: SchemaDefinition = { schema: JSON.stringify(REAL_AVRO_SCHEMA), schemaType: 'AVRO' };
  const realProto: SchemaDefinition = { schema: REAL_PROTO_TEXT, schemaType: 'PROTOBUF' };
  try {
    const registry = schemaRegistry({ url: REGISTRY_URL, retries: 0, timeoutMs: 2_000 });
    const [a, p, ra, rp] = await Promise.all([
      registry.register('bench.trades-avro-value', avro),
      registry.register('bench.trades-protobuf-value', proto),
      registry.register('bench.real-trades-avro-value', realAvro),
      registry.register('bench.real-trades-protobuf-value', realProto),
    ]);
    return {
      registry,
      kind: `real registry at ${REGISTRY_URL}`,
      avroId: a.id,
      protobufId: p.id,
      realAvroId: ra.id,
      realProtobufId: rp.id,
    };
  } catch (error) {
    return {
      registry: stubRegistry(
        new Map([[1, avro] as const, [2, proto] as const, [3, realAvro] as const, [4, realProto] as const]),
      ),
      kind: `in-process stub registry (${REGISTRY_URL} did not answer: ${(error as Error).message})`,
      avroId: 1,
      protobufId: 2,
      realAvroId: 3,
      realProtobufId: 4,
    };
  }
}

function stubRegistry(schemas: Map<number, SchemaDefinition>): SchemaRegistry {
  const unsupported = () => Promise.reject(new Error('not used by the benchmark'));
  return {
    latestTtlMs: 60_000,
    async getSchemaById(id: number): Promise<RegisteredSchema> {
      const found = schemas.get(id);
      if (!found) throw new Error(`no schema ${id}`);
      return { id, schema: found.schema, schemaType: found.schemaType ?? 'AVRO', references: [] };
    },
    getSchemaByGuid: unsupported,
    getLatestVersion: unsupported,
    getVersion: unsupported,
    lookup: unsupported,
    register: unsupported,
    resolveReferences: async () => [],
  };
}
