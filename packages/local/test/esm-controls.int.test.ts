import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafkaHandler, type Logger } from '@kafka-lambda/core';
import type { KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';
import { avro, protobuf, schemaRegistry, writeConfluentFrame } from '@kafka-lambda/serdes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedKafka, startIsolatedKafka } from '../../../scripts/stack/index.mjs';
import { readTopic } from '../../../test/support/kafka.js';
import { type EventSourceOptions, type EventSourceRunner, runEventSource } from '../src/index.js';
import { NativeProducer } from '../src/runner/destinations/native-producer.js';
import { committedOffsets, createTopic, groupId } from './helpers/kafka.js';

// The ESM controls issue 27 left for last, on a real broker of their own (19894/19895, started and
// stopped here; the shared stack's broker is never touched) and the shared stack's registry
// (Apicurio's Confluent-compatible API, read only through new subjects of this file).
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const REGISTRY = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const cli = fileURLToPath(new URL('../dist/kafka-lambda-local-cli.js', import.meta.url));
let broker: IsolatedKafka;
const runners: EventSourceRunner[] = [];

beforeAll(async () => {
  broker = await startIsolatedKafka({ name: 'esm-controls', port: 19894, controllerPort: 19895 });
}, 120_000);

afterAll(async () => {
  await broker?.stop({ graceMs: 5_000 });
}, 60_000);

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop().catch(() => undefined)));
});

async function run(options: Omit<EventSourceOptions, 'brokers'>): Promise<EventSourceRunner> {
  const runner = await runEventSource({
    brokers: broker.brokers,
    logger: silent,
    retryBackoffMs: 10,
    maxBackoffMs: 50,
    batchWindowMs: 300,
    ...options,
  });
  runners.push(runner);
  return runner;
}

async function produce(
  topic: string,
  messages: Array<{ key: Buffer | null; value: Buffer; timestamp?: number }>,
): Promise<void> {
  const producer = new NativeProducer(broker.brokers);
  try {
    await producer.sendAll(
      messages.map((m) => ({ ...m, topic, partition: 0 })),
      15_000,
    );
  } finally {
    await producer.close();
  }
}

const recordsOf = (event: KafkaEvent): KafkaEventRecord[] => Object.values(event.records).flat();
const tradeSchema = JSON.stringify({
  type: 'record',
  name: 'Trade',
  namespace: 'h27',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'qty', type: 'int' },
  ],
});
const deskSchema = JSON.stringify({
  type: 'record',
  name: 'Desk',
  namespace: 'h27',
  fields: [{ name: 'desk', type: 'string' }],
});
const quoteProto = `syntax = "proto3";\npackage h27;\nmessage Other { string a = 1; }\nmessage Quote { string symbol = 1; int64 bid = 2; }\n`;

describe('kafka-lambda-local on a real broker: SchemaRegistryConfig', () => {
  it('JSON and SOURCE against the stack’s registry: decoded values and metadata core reads, failures to the kafka:// destination with AWS’s reason codes', async () => {
    const registry = schemaRegistry(REGISTRY);
    const topic = await createTopic(1, 'sr-trades', broker.brokers);
    const failures = await createTopic(1, 'sr-trades.failures', broker.brokers);
    const subject = `h27-${randomUUID().slice(0, 8)}`;
    const ctx = (part: 'key' | 'value', name: string) => ({ topic: `${subject}-${name}`, part, headers: [] });
    const trades = avro(registry, { schema: tradeSchema, autoRegister: true });
    const desks = avro(registry, { schema: deskSchema, autoRegister: true });
    const { id: quoteId } = await registry.register(`${subject}-quotes-value`, {
      schema: quoteProto,
      schemaType: 'PROTOBUF',
    });
    const quotes = protobuf(registry, { type: 'h27.Quote', schemaId: quoteId });
    const key = await desks.serialize({ desk: 'fx' }, ctx('key', 'desks'));
    const trade = await trades.serialize({ symbol: 'AAPL', qty: 3 }, ctx('value', 'trades'));
    const quote = await quotes.serialize({ symbol: 'EUR', bid: '12' }, ctx('value', 'quotes'));
    await produce(topic, [
      { key, value: trade },
      { key, value: quote },
      { key, value: writeConfluentFrame(2_000_000_000, Buffer.from([2, 0x41])) }, // no such schema id
      { key, value: Buffer.from('{"symbol":"plain JSON, no schema id"}') },
    ]);

    // JSON: what the function gets is the decoded record as JSON text, with valueSchemaMetadata.
    const json: KafkaEventRecord[] = [];
    const jsonRun = await run({
      topics: [topic],
      schemaRegistry: { uri: REGISTRY, eventRecordFormat: 'JSON' },
      onFailureDestination: `kafka://${failures}`,
      handler: (event) => void json.push(...recordsOf(event)),
    });
    await jsonRun.waitFor((stats) => stats.recordsCommitted === 4, 30_000);
    expect(json.map((r) => JSON.parse(Buffer.from(r.value!, 'base64').toString()))).toEqual([
      { symbol: 'AAPL', qty: 3 },
      { symbol: 'EUR', bid: '12' },
    ]);
    expect(json.map((r) => r.valueSchemaMetadata?.dataFormat)).toEqual(['AVRO', 'PROTOBUF']);
    expect(json[1]!.valueSchemaMetadata?.schemaId).toBe(String(quoteId));
    expect(Buffer.from(json[0]!.key!, 'base64')).toEqual(key); // KEY not validated: as produced
    expect(jsonRun.stats).toMatchObject({ schemaFailures: 2, sentToDestination: 2, invocations: 1 });
    const written = await readTopic(failures, 2, { brokers: broker.brokers, settleMs: 200 });
    expect(written.map((m) => JSON.parse(m.value!.toString()).requestContext.condition)).toEqual([
      'SCHEMA_NOT_FOUND',
      'DESERIALIZATION_ERROR',
    ]);

    // SOURCE, KEY and VALUE: core's registry serdes decode what the runner delivers, by its metadata
    // (Avro here; the Protobuf bytes are checked as AWS delivers them, message indexes kept: see
    // esm-schema-registry.test.ts for what serdes makes of them).
    const seen: Array<{ key: unknown; value: unknown; keyFormat?: string; valueFormat?: string }> = [];
    const group = groupId();
    const sourceRun = await run({
      topics: [topic],
      groupId: group,
      schemaRegistry: { uri: REGISTRY, eventRecordFormat: 'SOURCE', attributes: ['KEY', 'VALUE'] },
      onFailureDestination: `kafka://${failures}`,
      handler: createKafkaHandler({
        key: avro(registry),
        value: {
          deserialize: (bytes, context) =>
            context.schemaMetadata?.dataFormat === 'PROTOBUF'
              ? [...bytes]
              : trades.deserialize(bytes, context),
        },
        process(record) {
          seen.push({
            key: JSON.parse(JSON.stringify(record.key)),
            value: JSON.parse(JSON.stringify(record.value)),
            keyFormat: record.keySchemaMetadata?.dataFormat,
            valueFormat: record.valueSchemaMetadata?.dataFormat,
          });
        },
      }),
    });
    await sourceRun.waitFor((stats) => stats.recordsCommitted === 4, 30_000);
    expect(seen).toEqual([
      { key: { desk: 'fx' }, value: { symbol: 'AAPL', qty: 3 }, keyFormat: 'AVRO', valueFormat: 'AVRO' },
      { key: { desk: 'fx' }, value: [...quote.subarray(5)], keyFormat: 'AVRO', valueFormat: 'PROTOBUF' },
    ]);
    expect((seen[1]!.value as number[]).slice(0, 2)).toEqual([2, 2]); // Quote: count 1, index 1 (zigzag)
    await sourceRun.stop();
    expect(await committedOffsets(group, topic, 1, broker.brokers)).toEqual([4]);
  }, 90_000);

  it('FilterCriteria on the decoded value fields and the decoded key; the others committed uninvoked', async () => {
    const registry = schemaRegistry(REGISTRY);
    const topic = await createTopic(1, 'sr-filter', broker.brokers);
    const subject = `h27-${randomUUID().slice(0, 8)}`;
    const trades = avro(registry, { schema: tradeSchema, autoRegister: true });
    const desks = avro(registry, { schema: deskSchema, autoRegister: true });
    const rows = [
      ['fx', 'EUR', 5],
      ['fx', 'USD', 5],
      ['rates', 'EUR', 5],
      ['fx', 'EUR', 500],
    ] as const;
    await produce(
      topic,
      await Promise.all(
        rows.map(async ([desk, symbol, qty]) => ({
          key: await desks.serialize({ desk }, { topic: `${subject}-k`, part: 'key', headers: [] }),
          value: await trades.serialize(
            { symbol, qty },
            { topic: `${subject}-v`, part: 'value', headers: [] },
          ),
        })),
      ),
    );
    const group = groupId();
    const offsets: number[] = [];
    const runner = await run({
      topics: [topic],
      groupId: group,
      schemaRegistry: { uri: REGISTRY, eventRecordFormat: 'SOURCE', attributes: ['KEY', 'VALUE'] },
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
      handler: (event) => void offsets.push(...recordsOf(event).map((r) => r.offset)),
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 4, 30_000);
    expect(offsets).toEqual([0]);
    expect(runner.stats).toMatchObject({ filtered: 3, invocations: 1 });
    await runner.stop();
    expect(await committedOffsets(group, topic, 1, broker.brokers)).toEqual([4]);
  }, 60_000);
});

describe('kafka-lambda-local on a real broker: StartingPosition AT_TIMESTAMP', () => {
  it('a new group starts at the first record at or after the timestamp; a group with committed offsets resumes there', async () => {
    const topic = await createTopic(1, 'at-timestamp', broker.brokers);
    const hourAgo = Date.now() - 3_600_000;
    const message = (value: string, timestamp?: number) => ({
      key: null,
      value: Buffer.from(value),
      ...(timestamp === undefined ? {} : { timestamp }),
    });
    await produce(topic, [
      message('two-hours-old', hourAgo - 3_600_000),
      message('ninety-minutes-old', hourAgo - 1_800_000),
      message('half-an-hour-old', hourAgo + 1_800_000),
      message('now'),
    ]);
    const group = groupId();
    const seen: string[] = [];
    const options = {
      topics: [topic],
      groupId: group,
      startingPosition: 'AT_TIMESTAMP' as const,
      startingPositionTimestamp: new Date(hourAgo),
      handler: (event: KafkaEvent) =>
        void seen.push(...recordsOf(event).map((r) => Buffer.from(r.value!, 'base64').toString())),
    };
    const first = await run(options);
    await first.waitFor((stats) => stats.recordsCommitted === 2, 30_000);
    await first.stop();
    expect(seen).toEqual(['half-an-hour-old', 'now']);
    expect(await committedOffsets(group, topic, 1, broker.brokers)).toEqual([4]);

    // The same group again, with an older record produced since: its committed offset wins.
    await produce(topic, [message('late-but-old', hourAgo - 7_200_000)]);
    const second = await run(options);
    await second.waitFor((stats) => stats.recordsCommitted === 1, 30_000);
    expect(seen).toEqual(['half-an-hour-old', 'now', 'late-but-old']);
  }, 60_000);
});

describe('kafka-lambda-local on a real broker: MetricsConfig', () => {
  it('EventCount and KafkaMetrics as EMF documents when the runner stops; OffsetLag read from the broker', async () => {
    const topic = await createTopic(1, 'metrics', broker.brokers);
    await produce(
      topic,
      ['a', 'b', 'c', 'poison', 'e'].map((v) => ({ key: null, value: Buffer.from(v) })),
    );
    const documents: Array<Record<string, unknown>> = [];
    const group = groupId();
    const runner = await run({
      topics: [topic],
      groupId: group,
      functionName: 'settle',
      batchSize: 2,
      batchWindowMs: 0,
      maxRetries: 0,
      metrics: ['EventCount', 'KafkaMetrics'],
      onMetrics: (document) => documents.push(document),
      handler: (event) => {
        if (recordsOf(event).some((r) => Buffer.from(r.value!, 'base64').toString() === 'poison'))
          throw new Error('cannot settle');
      },
    });
    // [a b] committed; [c poison] throws with no retry left: the runner stops, 2 of 5 committed.
    await expect(runner.done).rejects.toThrow(/cannot settle/);
    expect(await committedOffsets(group, topic, 1, broker.brokers)).toEqual([2]);
    expect(documents).toHaveLength(2);
    expect(documents[0]).toMatchObject({
      FunctionName: 'settle',
      EventSourceMappingUUID: group,
      InvokedEventCount: 4,
      FailedInvokeEventCount: 2,
      FilteredOutEventCount: 0,
      DroppedEventCount: 0,
    });
    expect(documents[0]!.PolledEventCount).toBeGreaterThanOrEqual(4);
    expect(documents[1]).toMatchObject({ OffsetLag: 3, OffsetLagByPartition: { [`${topic}-0`]: 3 } });
  }, 60_000);
});

describe('the kafka-lambda-local bin with these controls', () => {
  it('--schema-registry-uri delivers decoded JSON records and --metrics prints EMF lines on stderr when stopped', async () => {
    expect(existsSync(cli)).toBe(true); // built by `pnpm test` before the suites run
    const registry = schemaRegistry(REGISTRY);
    const topic = await createTopic(1, 'sr-cli', broker.brokers);
    const trades = avro(registry, { schema: tradeSchema, autoRegister: true });
    const subject = `h27-${randomUUID().slice(0, 8)}`;
    await produce(
      topic,
      await Promise.all(
        ['AAPL', 'MSFT'].map(async (symbol) => ({
          key: null,
          value: await trades.serialize({ symbol, qty: 1 }, { topic: subject, part: 'value', headers: [] }),
        })),
      ),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'h27-cli-'));
    const handlerFile = path.join(dir, 'handler.mjs');
    writeFileSync(
      handlerFile,
      `export const handler = async (event) => {
  for (const records of Object.values(event.records))
    for (const r of records) process.stderr.write('SEEN ' + Buffer.from(r.value, 'base64').toString() + ' ' + r.valueSchemaMetadata.dataFormat + '\\n');
};\n`,
    );
    const child = spawn(
      process.execPath,
      [
        cli,
        handlerFile,
        '-t',
        topic,
        '--brokers',
        broker.brokers,
        '--batch-window-ms',
        '0',
        '--schema-registry-uri',
        REGISTRY,
        '--metrics',
        'EventCount,KafkaMetrics',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while ((stderr.match(/^SEEN /gm) ?? []).length < 2 && Date.now() < deadline && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr.match(/^SEEN .*$/gm)).toEqual([
      'SEEN {"symbol":"AAPL","qty":1} AVRO',
      'SEEN {"symbol":"MSFT","qty":1} AVRO',
    ]);
    const emf = stderr
      .split('\n')
      .filter((line) => line.startsWith('{"_aws"'))
      .map((line) => JSON.parse(line));
    expect(emf).toEqual([
      expect.objectContaining({ PolledEventCount: 2, InvokedEventCount: 2, FailedInvokeEventCount: 0 }),
      expect.objectContaining({ OffsetLag: 0 }),
    ]);
  }, 60_000);
});
