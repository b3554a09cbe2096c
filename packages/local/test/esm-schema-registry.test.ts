import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createKafkaHandler, type Logger } from '@kafka-lambda/core';
import type { KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';
import { avro, jsonSchema, protobuf, writeConfluentFrame } from '@kafka-lambda/serdes';
import { InvalidTestInputError, lambdaContext, mskEvent } from '@kafka-lambda/testing';
import { memorySchemaRegistry } from '@kafka-lambda/testing/registry';
import { afterEach, describe, expect, it } from 'vitest';
import { SchemaRegistryIntegrationError } from '../src/runner/errors.js';
import { InProcessInvoker } from '../src/runner/in-process-invoker.js';
import type { EventSourceLoop } from '../src/runner/loop.js';
import { resolveSettings, startLoop } from '../src/runner/run-event-source.js';
import { jsonText } from '../src/runner/schema/json-text.js';
import type { EventSourceOptions, LocalHandler } from '../src/runner/types.js';
import { MemorySource } from './helpers/memory-source.js';

// SchemaRegistryConfig over the in-memory source and registry; the same on a real broker and the
// stack's registry is in esm-controls.int.test.ts.
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const running: EventSourceLoop[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((loop) => loop.stop().catch(() => undefined)));
});

const tradeSchema = JSON.stringify({
  type: 'record',
  name: 'Trade',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'qty', type: 'int' },
  ],
});
const keySchema = JSON.stringify({
  type: 'record',
  name: 'TradeKey',
  fields: [{ name: 'desk', type: 'string' }],
});
const ctx = (part: 'key' | 'value') => ({ topic: 't', part, headers: [] as Array<[string, Buffer]> });

async function start(source: MemorySource, handler: LocalHandler, options: Partial<EventSourceOptions>) {
  const settings = resolveSettings({
    brokers: 'memory:9092',
    topics: ['t'],
    handler,
    batchWindowMs: 20,
    retryBackoffMs: 1,
    logger: silent,
    ...options,
  });
  const loop = await startLoop(settings, source, new InProcessInvoker(handler, 'fn'));
  running.push(loop);
  return loop;
}

const recordsOf = (event: KafkaEvent): KafkaEventRecord[] => Object.values(event.records).flat();
const text = (base64: string | null | undefined) => Buffer.from(base64 ?? '', 'base64').toString();

describe('SchemaRegistryConfig', () => {
  it('JSON: the value decoded with the registry arrives as base64 JSON text with valueSchemaMetadata; the key as produced', async () => {
    const registry = memorySchemaRegistry();
    const trades = avro(registry, { schema: tradeSchema, autoRegister: true });
    const source = new MemorySource();
    source.append('t', 0, [await trades.serialize({ symbol: 'AAPL', qty: 3 }, ctx('value'))]);
    const seen: KafkaEventRecord[] = [];
    const loop = await start(source, (event) => void seen.push(...recordsOf(event)), {
      schemaRegistry: { registry, eventRecordFormat: 'JSON' },
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 1);
    expect(JSON.parse(text(seen[0]!.value))).toEqual({ symbol: 'AAPL', qty: 3 });
    expect(seen[0]!.valueSchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: '1' });
    expect(seen[0]!.keySchemaMetadata).toBeUndefined();
    expect(text(seen[0]!.key)).toBe('k0');
  });

  it('SOURCE with KEY and VALUE: both parts keep their bytes without the 5-byte Confluent prefix, Protobuf message indexes included', async () => {
    const registry = memorySchemaRegistry();
    const keys = avro(registry, { schema: keySchema, autoRegister: true });
    const proto =
      'syntax = "proto3"; message Other { string a = 1; } message Quote { string symbol = 1; int64 bid = 2; }';
    const keyBytes = await keys.serialize({ desk: 'fx' }, ctx('key'));
    const { id } = registry.add('t-value', { schema: proto, schemaType: 'PROTOBUF' });
    const quotes = protobuf(registry, { type: 'Quote', schemaId: id });
    const valueBytes = await quotes.serialize({ symbol: 'EUR', bid: '12' }, ctx('value'));
    const source = new MemorySource();
    source.append('t', 0, [valueBytes]);
    source.logs.get('t-0')![0] = { ...source.logs.get('t-0')![0]!, key: keyBytes };
    const seen: KafkaEventRecord[] = [];
    const loop = await start(source, (event) => void seen.push(...recordsOf(event)), {
      schemaRegistry: { registry, eventRecordFormat: 'SOURCE', attributes: ['KEY', 'VALUE'] },
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 1);
    const [record] = seen;
    expect(Buffer.from(record!.key!, 'base64')).toEqual(keyBytes.subarray(5));
    expect(Buffer.from(record!.value!, 'base64')).toEqual(valueBytes.subarray(5));
    // The message indexes of Quote (the second message: count 1, index 1, zigzag) stay in front.
    expect([...Buffer.from(record!.value!, 'base64').subarray(0, 2)]).toEqual([2, 2]);
    expect(record!.keySchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: '1' });
    expect(record!.valueSchemaMetadata).toEqual({ dataFormat: 'PROTOBUF', schemaId: '2' });
  });

  it('failures go to the destination with AWS’s reason codes, uninvoked: SCHEMA_NOT_FOUND, DESERIALIZATION_ERROR (no prefix, invalid JSON Schema value)', async () => {
    const registry = memorySchemaRegistry();
    const orders = jsonSchema(registry, {
      schema: { type: 'object', properties: { qty: { type: 'integer' } }, required: ['qty'] },
      autoRegister: true,
    });
    const good = await orders.serialize({ qty: 1 }, ctx('value'));
    const invalid = writeConfluentFrame(1, Buffer.from('{"qty":"many"}'));
    const unknown = writeConfluentFrame(99, Buffer.from('{"qty":1}'));
    const source = new MemorySource();
    source.append('t', 0, [good, unknown, Buffer.from('{"qty":2}'), invalid]);
    const dir = mkdtempSync(path.join(tmpdir(), 'h27-sr-'));
    const seen: number[] = [];
    const loop = await start(source, (event) => void seen.push(...recordsOf(event).map((r) => r.offset)), {
      schemaRegistry: { registry },
      onFailureDestination: 'arn:aws:s3:::bad-records',
      failureDir: dir,
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 4);
    expect(seen).toEqual([0]);
    expect(loop.stats).toMatchObject({ schemaFailures: 3, sentToDestination: 3, invocations: 1 });
    const folder = path.join(dir, 's3', 'bad-records');
    const objects = readdirSync(folder).map((f) => JSON.parse(readFileSync(path.join(folder, f), 'utf8')));
    const byCondition = Object.fromEntries(
      objects.map((o) => [
        o.requestContext.condition,
        Object.values(JSON.parse(o.payload).records as Record<string, KafkaEventRecord[]>)
          .flat()
          .map((r) => r.offset),
      ]),
    );
    expect(byCondition).toEqual({ SCHEMA_NOT_FOUND: [1], DESERIALIZATION_ERROR: [2, 3] });
    expect(objects.map((o) => o.responseContext)).toEqual([null, null]);
    // The records go on as they were read: the original bytes, no schema metadata.
    const original = Object.values(
      JSON.parse(objects.find((o) => o.requestContext.condition === 'SCHEMA_NOT_FOUND').payload)
        .records as Record<string, KafkaEventRecord[]>,
    ).flat()[0]!;
    expect(Buffer.from(original.value!, 'base64')).toEqual(unknown);
    expect(original.valueSchemaMetadata).toBeUndefined();
  });

  it('without a destination a record that does not decode is skipped at error level (AWS drops it), the others invoked', async () => {
    const registry = memorySchemaRegistry();
    const trades = avro(registry, { schema: tradeSchema, autoRegister: true });
    const source = new MemorySource();
    source.append('t', 0, ['not avro', await trades.serialize({ symbol: 'X', qty: 1 }, ctx('value'))]);
    const skipped: number[] = [];
    const seen: number[] = [];
    const loop = await start(source, (event) => void seen.push(...recordsOf(event).map((r) => r.offset)), {
      schemaRegistry: { registry },
      onSkip: (records) => skipped.push(...records.map((r) => r.offset)),
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 2);
    expect({ seen, skipped }).toEqual({ seen: [1], skipped: [0] });
    expect(loop.stats).toMatchObject({ schemaFailures: 1, skipped: 1 });
  });

  it('a registry that cannot be read stops the runner, nothing committed', async () => {
    const unreachable = {
      getSchemaById: async () => {
        throw Object.assign(new Error('GET /schemas/ids/1: connect ECONNREFUSED'), {
          name: 'RegistryUnavailableError',
        });
      },
    };
    const source = new MemorySource();
    source.append('t', 0, [writeConfluentFrame(1, Buffer.from([2, 0x41]))]);
    const loop = await start(source, () => undefined, { schemaRegistry: { registry: unreachable } });
    await expect(loop.done).rejects.toBeInstanceOf(SchemaRegistryIntegrationError);
    await expect(loop.done).rejects.toThrow(/ECONNREFUSED/);
    expect(source.committed.size).toBe(0);
  });

  it('refuses what it cannot emulate: a Glue ARN, with fromFailures, an unknown format or attribute', () => {
    const base = { brokers: 'b:9092', topics: ['t'], handler: () => undefined };
    const glue = 'arn:aws:glue:us-east-1:123456789012:registry/trades';
    expect(() => resolveSettings({ ...base, schemaRegistry: { uri: glue } })).toThrow(/Glue registry/);
    expect(() =>
      resolveSettings({ ...base, fromFailures: true, schemaRegistry: { uri: 'http://r:8081' } }),
    ).toThrow(InvalidTestInputError);
    expect(() =>
      resolveSettings({
        ...base,
        schemaRegistry: { uri: 'http://r:8081', eventRecordFormat: 'AVRO' as never },
      }),
    ).toThrow(/schemaRegistry\.eventRecordFormat/);
    expect(() =>
      resolveSettings({
        ...base,
        schemaRegistry: { uri: 'http://r:8081', attributes: ['HEADERS' as never] },
      }),
    ).toThrow(/schemaRegistry\.attributes/);
  });
});

describe('jsonText', () => {
  it('makes decoded values JSON: bytes base64, exact bigints as numbers, others as strings, dates ISO', () => {
    expect(
      jsonText({
        raw: Buffer.from('hi'),
        n: 7n,
        big: 2n ** 60n,
        at: new Date(0),
        m: new Map([[1, 'a']]),
        gone: undefined,
      }),
    ).toBe('{"raw":"aGk=","n":7,"big":"1152921504606846976","at":"1970-01-01T00:00:00.000Z","m":{"1":"a"}}');
  });
});

describe('FilterCriteria on registry-decoded records', () => {
  it('filters on the decoded value fields and the decoded key, with SOURCE records delivered as bytes', async () => {
    const registry = memorySchemaRegistry();
    const keys = avro(registry, { schema: keySchema, autoRegister: true });
    const trades = avro(registry, { schema: tradeSchema, autoRegister: true });
    const source = new MemorySource();
    const rows = [
      ['fx', 'EUR', 5],
      ['fx', 'USD', 5],
      ['rates', 'EUR', 5],
      ['fx', 'EUR', 500],
    ] as const;
    source.append(
      't',
      0,
      await Promise.all(rows.map(([, symbol, qty]) => trades.serialize({ symbol, qty }, ctx('value')))),
    );
    const log = source.logs.get('t-0')!;
    for (const [i, [desk]] of rows.entries())
      log[i] = { ...log[i]!, key: await keys.serialize({ desk }, ctx('key')) };
    const seen: number[] = [];
    const loop = await start(source, (event) => void seen.push(...recordsOf(event).map((r) => r.offset)), {
      schemaRegistry: { registry, eventRecordFormat: 'SOURCE', attributes: ['KEY', 'VALUE'] },
      filterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              key: { desk: ['fx'] },
              value: { symbol: ['EUR'], qty: [{ numeric: ['<', 100] }] },
            }),
          },
        ],
      },
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 4);
    expect(seen).toEqual([0]);
    expect(loop.stats.filtered).toBe(3);
  });
});

describe('what core and serdes make of the records the runner delivers', () => {
  // AWS keeps the Protobuf message indexes in a SOURCE record (only the magic byte and schema id go):
  // Powertools for AWS Lambda's captured event tests/events/protobuf-complex.confluent.json starts
  // with 0x02 0x02 (message index 1) and its deserializer skips them for a numeric schema id. serdes'
  // `protobuf(registry)` reads a SOURCE payload from its first byte and, for a message other than the
  // file's first, decodes it into another message's defaults without an error. Expected to fail until
  // serdes skips the indexes (packages/serdes/src/wire/esm-metadata.ts); then drop `.fails`.
  it('serdes protobuf(registry) decodes a SOURCE record of the file’s second message by the message indexes the ESM keeps', async () => {
    const registry = memorySchemaRegistry();
    const proto =
      'syntax = "proto3"; message Other { string a = 1; } message Quote { string symbol = 1; int64 bid = 2; }';
    const { id } = registry.add('t-value', { schema: proto, schemaType: 'PROTOBUF' });
    const quotes = protobuf(registry, { type: 'Quote', schemaId: id });
    const framed = await quotes.serialize({ symbol: 'EUR', bid: '12' }, ctx('value'));
    const seen: unknown[] = [];
    const handler = createKafkaHandler({
      value: protobuf(registry),
      process: (record) => void seen.push(record.value),
    });
    const event = mskEvent(
      [{ value: framed.subarray(5), valueSchemaMetadata: { dataFormat: 'PROTOBUF', schemaId: String(id) } }],
      {
        topic: 't',
      },
    );
    await handler(event, lambdaContext());
    expect(seen).toEqual([{ symbol: 'EUR', bid: '12' }]);
  });

  it('core and serdes decode the runner’s Avro SOURCE and JSON records by their schema metadata', async () => {
    const registry = memorySchemaRegistry();
    const trades = avro(registry, { schema: tradeSchema, autoRegister: true });
    const framed = await trades.serialize({ symbol: 'AAPL', qty: 3 }, ctx('value'));
    const metadata = { dataFormat: 'AVRO', schemaId: '1' };
    const seen: unknown[] = [];
    const handler = createKafkaHandler({
      value: avro(registry),
      process: (record) => void seen.push({ ...(record.value as object) }),
    });
    await handler(
      mskEvent(
        [
          { value: framed.subarray(5), valueSchemaMetadata: metadata },
          { value: Buffer.from('{"symbol":"MSFT","qty":4}'), valueSchemaMetadata: metadata },
        ],
        { topic: 't' },
      ),
      lambdaContext(),
    );
    expect(seen).toEqual([
      { symbol: 'AAPL', qty: 3 },
      { symbol: 'MSFT', qty: 4 },
    ]);
  });
});
