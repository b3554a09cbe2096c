// Issue 15, item 5: Standard Schema validation of keys and values of every format, sync and async,
// with real zod and valibot schemas (their own `~standard` implementations, not fakes).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createKafkaHandler,
  type Deserializer,
  hooks,
  json,
  RecordDecodeError,
  string,
  validated,
} from '@kafka-lambda/core';
import { RecordProcessingError, RecordValidationError } from '@kafka-lambda/core/errors';
import { avro, jsonSchema, protobuf } from '@kafka-lambda/serdes';
import { encodeRecord, lambdaContext, memoryProducer, mskEvent } from '@kafka-lambda/testing';
import { memorySchemaRegistry } from '@kafka-lambda/testing/registry';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

const Order = z.object({
  id: z.string(),
  total: z.number().nonnegative(),
  items: z.array(z.object({ sku: z.string().min(3) })).default([]),
});

/** Runs `value` deserializers over the events' records under 'log'; returns what process saw and the failures. */
async function run<V>(value: Deserializer<V>, event: unknown, key?: Deserializer<unknown>) {
  const seen: V[] = [];
  const failures: Error[] = [];
  const handler = createKafkaHandler({
    ...(key ? { key } : {}),
    value,
    logger: silent,
    use: [hooks({ onRecordError: (error) => void failures.push(error) })],
    process(record) {
      seen.push(record.value);
    },
  });
  await handler(event, lambdaContext());
  return { seen, failures };
}

describe('validated(deserializer, schema)', () => {
  it('json + zod: record.value is the schema output (defaults applied); a failing value names the record and the path', async () => {
    const event = mskEvent(
      [
        { key: 'a', value: { id: 'o-1', total: 5 } },
        { key: 'b', value: { id: 'o-2', total: -1, items: [{ sku: 'x' }] } },
      ],
      { topic: 'orders' },
    );
    const { seen, failures } = await run(validated(json(), Order), event);
    expectTypeOf(seen).toEqualTypeOf<Array<z.output<typeof Order>>>();
    expect(seen).toEqual([{ id: 'o-1', total: 5, items: [] }]);
    const [failure] = failures as RecordDecodeError[];
    expect(failure).toBeInstanceOf(RecordDecodeError);
    const cause = failure!.cause as RecordValidationError;
    expect(cause).toBeInstanceOf(RecordValidationError);
    expect(cause.record).toEqual({ topic: 'orders', partition: 0, offset: 101 });
    expect(cause.part).toBe('value');
    expect(cause.vendor).toBe('zod');
    expect(cause.issues.map((issue) => issue.path)).toEqual(['total', 'items[0].sku']);
    expect(cause.message).toMatch(
      /^value of orders-0@101 failed validation \(zod\): total: .+ \(and 1 more\)$/,
    );
    expect(failure!.message.split('orders-0@101')).toHaveLength(2);
    // Never the value itself.
    expect(cause.message).not.toContain('o-2');
  });

  it('async schemas (zod refine with a promise) and async deserializers are awaited', async () => {
    const known = new Set(['o-1']);
    const Known = z.object({ id: z.string().refine(async (id) => known.has(id), 'unknown order') });
    const slowJson: Deserializer<unknown> = {
      deserialize: async (bytes) => JSON.parse(bytes.toString('utf8')),
    };
    const event = mskEvent([{ value: { id: 'o-1' } }, { value: { id: 'o-9' } }], { topic: 't' });
    for (const inner of [json(), slowJson]) {
      const { seen, failures } = await run(validated(inner, Known), event);
      expect(seen).toEqual([{ id: 'o-1' }]);
      expect((failures[0]!.cause as RecordValidationError).issues).toEqual([
        { path: 'id', message: 'unknown order' },
      ]);
    }
  });

  it('keys too, and valibot schemas', async () => {
    const event = mskEvent(
      [
        { key: '0b9c6f6e-4f4e-4d8a-9d55-0c2a9f1f7f11', value: 'x' },
        { key: 'not-a-uuid', value: 'y' },
      ],
      { topic: 'k' },
    );
    const seen: string[] = [];
    const failures: Error[] = [];
    const handler = createKafkaHandler({
      key: validated(string(), v.pipe(v.string(), v.uuid())),
      value: validated(string(), v.string()),
      logger: silent,
      use: [hooks({ onRecordError: (error) => void failures.push(error) })],
      process(record) {
        expectTypeOf(record.key).toEqualTypeOf<string | null>();
        seen.push(record.key!);
      },
    });
    await handler(event, lambdaContext());
    expect(seen).toEqual(['0b9c6f6e-4f4e-4d8a-9d55-0c2a9f1f7f11']);
    const cause = failures[0]!.cause as RecordValidationError;
    expect([cause.part, cause.vendor, cause.record.offset]).toEqual(['key', 'valibot', 101]);
  });

  it('avro, json-schema and protobuf values from a registry are validated after decoding', async () => {
    const registry = memorySchemaRegistry();
    const Trade = z.object({ symbol: z.string().length(4), quantity: z.number().int().positive() });
    const trade = { symbol: 'AAPL', quantity: 10 };
    const bad = { symbol: 'AAPL', quantity: 0 };

    const avroSerde = avro(registry, {
      schema: JSON.stringify({
        type: 'record',
        name: 'Trade',
        fields: [
          { name: 'symbol', type: 'string' },
          { name: 'quantity', type: 'int' },
        ],
      }),
      autoRegister: true,
    });
    const jsonSchemaSerde = jsonSchema(registry, {
      schema: { type: 'object', properties: { symbol: { type: 'string' }, quantity: { type: 'integer' } } },
      autoRegister: true,
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'validated-proto-'));
    const protoFile = path.join(dir, 'trade.proto');
    writeFileSync(
      protoFile,
      'syntax = "proto3";\npackage demo;\nmessage Trade { string symbol = 1; int32 quantity = 2; }\n',
    );
    const protobufSerde = protobuf(registry, { protoFile, type: 'demo.Trade', autoRegister: true });
    try {
      for (const [name, serde] of [
        ['avro', avroSerde],
        ['json-schema', jsonSchemaSerde],
        ['protobuf', protobufSerde],
      ] as const) {
        const event = mskEvent([
          await encodeRecord({ topic: name, value: trade, valueSerializer: serde }),
          await encodeRecord({ topic: name, value: bad, valueSerializer: serde }),
        ]);
        const { seen, failures } = await run(validated(serde, Trade), event);
        expect({ name, seen: seen.map((t) => ({ ...t })) }).toEqual({ name, seen: [trade] });
        expect((failures[0]!.cause as RecordValidationError).issues.map((i) => i.path)).toEqual(['quantity']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('under retry-batch the invocation fails naming the record once; under dead-letter the record goes to the DLQ', async () => {
    const event = mskEvent([{ key: 'a', value: { id: 'o-1', total: -3 } }], { topic: 'orders' });
    const retry = createKafkaHandler({
      value: validated(json(), Order),
      onError: 'retry-batch',
      logger: silent,
      process() {},
    });
    const error = (await retry(event, lambdaContext()).catch((e: unknown) => e)) as RecordProcessingError;
    expect(error).toBeInstanceOf(RecordProcessingError);
    expect(error.message).toMatch(/^cannot decode value of orders-0@100: failed validation \(zod\): total: /);

    const producer = memoryProducer();
    const dlq = createKafkaHandler({
      value: validated(json(), Order),
      onError: 'dead-letter',
      deadLetterTopic: 'orders.dlq',
      producer,
      logger: silent,
      process() {},
    });
    await dlq(event, lambdaContext());
    expect(producer.messagesFor('orders.dlq')).toHaveLength(1);
  });

  it('refuses what is not a Standard Schema or not a deserializer', () => {
    expect(() => validated(json(), {} as never)).toThrow(/Standard Schema v1/);
    expect(() => validated({} as never, Order)).toThrow(/needs a deserializer/);
  });
});
