import { KafkaHeaders } from '@kafka-lambda/core';
import type { DeserializeContext, EsmSchemaMetadata, SerializeContext } from '@kafka-lambda/core/serde';

export function deserializeContext(
  overrides: {
    headers?: Array<[string, Buffer]>;
    schemaMetadata?: EsmSchemaMetadata;
    part?: 'key' | 'value';
    topic?: string;
  } = {},
): DeserializeContext {
  return {
    topic: overrides.topic ?? 'trades',
    partition: 2,
    offset: 17,
    part: overrides.part ?? 'value',
    headers: overrides.headers ? new KafkaHeaders(overrides.headers) : KafkaHeaders.EMPTY,
    schemaMetadata: overrides.schemaMetadata,
  };
}

export function serializeContext(topic = 'trades', part: 'key' | 'value' = 'value'): SerializeContext {
  return { topic, part, headers: [] };
}

/** Headers written by a serializer, as a consumer would see them. */
export function readBack(ctx: SerializeContext, overrides: Parameters<typeof deserializeContext>[0] = {}) {
  return deserializeContext({ ...overrides, topic: ctx.topic, part: ctx.part, headers: ctx.headers });
}
