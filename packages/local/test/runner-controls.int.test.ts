import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@kafka-lambda/core';
import { fromFailureRecords, type KafkaEvent, parseKafkaEvent } from '@kafka-lambda/core/events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedKafka, startIsolatedKafka } from '../../../scripts/stack/index.mjs';
import { readTopic } from '../../../test/support/kafka.js';
import { type EventSourceOptions, type EventSourceRunner, runEventSource } from '../src/index.js';
import { invocationRecord } from '../src/runner/destinations/failure-record.js';
import { NativeProducer } from '../src/runner/destinations/native-producer.js';
import { replayFailureFiles } from '../src/runner/failure-files.js';
import { loadTemplateEsm } from '../src/runner/template/template-esm.js';
import { committedOffsets, createTopic, groupId } from './helpers/kafka.js';

// Each ESM error handling control of kafka-lambda-local on a real broker: a dedicated one on
// 19892/19893, started and stopped here, so that this file never touches the shared stack's broker.
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const cli = fileURLToPath(new URL('../dist/kafka-lambda-local-cli.js', import.meta.url));
const example = fileURLToPath(new URL('../../../examples/trade-settlement/template.yaml', import.meta.url));
let broker: IsolatedKafka;
const runners: EventSourceRunner[] = [];

beforeAll(async () => {
  broker = await startIsolatedKafka({ name: 'runner-controls', port: 19892, controllerPort: 19893 });
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
    ...options,
  });
  runners.push(runner);
  return runner;
}

/** Produces with acks=all and waits for every delivery report; `timestamp` sets a record's CreateTime. */
async function produce(
  topic: string,
  messages: Array<{ partition: number; key: string; value: string; timestamp?: number }>,
  at: string,
): Promise<void> {
  const producer = new NativeProducer(at);
  try {
    await producer.sendAll(
      messages.map((m) => ({ ...m, topic, key: Buffer.from(m.key), value: Buffer.from(m.value) })),
      15_000,
    );
  } finally {
    await producer.close();
  }
}

const offsetsOf = (event: KafkaEvent) =>
  Object.values(event.records).flatMap((rs) => rs.map((r) => r.offset));
const valuesOf = (event: KafkaEvent) =>
  Object.values(event.records).flatMap((rs) =>
    rs.map((r) => Buffer.from(r.value ?? '', 'base64').toString()),
  );
const trades = (n: number, poison: number) =>
  Array.from({ length: n }, (_, i) => ({
    partition: 0,
    key: `k${i}`,
    value: i === poison ? 'poison' : `trade-${i}`,
  }));

describe('kafka-lambda-local on a real broker: the ESM error handling controls', () => {
  it('--template: the example’s mapping drives the run; a reported record goes to the kafka:// destination after MaximumRetryAttempts, and --from-failures replays it', async () => {
    const input = await createTopic(1, 'user_trades', broker.brokers);
    const failures = await createTopic(1, 'user_trades.failures', broker.brokers);
    const esm = loadTemplateEsm(example, {
      parameters: {
        InputTopic: input,
        OnFailureTopic: failures,
        MaximumRetryAttempts: '1',
        BatchWindowSeconds: '0',
      },
    });
    expect(esm.options).toMatchObject({
      reportBatchItemFailures: true,
      maxRetries: 1,
      onFailureDestination: `kafka://${failures}`,
    });
    await produce(input, trades(6, 3), broker.brokers);
    const group = groupId();
    const invoked: number[][] = [];
    const runner = await run({
      ...esm.options,
      groupId: group,
      handler: (event) => {
        invoked.push(offsetsOf(event));
        const poison = Object.values(event.records)
          .flat()
          .find((r) => Buffer.from(r.value ?? '', 'base64').toString() === 'poison');
        // The 'report' policy: the partition stops at its first failure.
        return poison
          ? {
              batchItemFailures: [
                {
                  itemIdentifier: { partition: `${poison.topic}-${poison.partition}`, offset: poison.offset },
                },
              ],
            }
          : { batchItemFailures: [] };
      },
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 6, 30_000);
    // 0–5 reported at 3; the one retry from 3 reported again; then 3–5 go to the destination (AWS
    // resumes after the failed record; the records after it in that batch are sent with it).
    expect(invoked).toEqual([
      [0, 1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
    expect(runner.stats).toMatchObject({ sentToDestination: 3, partialFailures: 2 });
    await runner.stop();
    expect(await committedOffsets(group, input, 1, broker.brokers)).toEqual([6]);

    // What the destination topic holds: one message per record, keyed by it, in AWS's shape.
    const written = await readTopic(failures, 3, { brokers: broker.brokers, settleMs: 200 });
    expect(written.map((m) => m.key)).toEqual(['k3', 'k4', 'k5']);
    const value = JSON.parse(written[0]!.value!.toString());
    expect(value.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 2 });
    expect(value.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(value.KafkaBatchInfo).toMatchObject({ batchSize: 1, recordInfo: { offset: '3' } });
    expect(parseKafkaEvent(value.payload)[0]!.records.map((r) => r.offset)).toEqual([3]);

    // --from-failures: the handler gets the original records back, with the failure metadata.
    const replayed: Array<{ offset: number; value: string; condition: string | undefined }> = [];
    const replay = await run({
      topics: [failures],
      fromFailures: true,
      batchWindowMs: 0,
      handler: (event) => {
        for (const records of Object.values(event.records))
          for (const r of records) {
            const headers = new Map(r.headers?.flatMap((h) => Object.entries(h)) ?? []);
            const condition = headers.get('kafka-lambda.esm-failure.condition');
            replayed.push({
              offset: r.offset,
              value: Buffer.from(r.value ?? '', 'base64').toString(),
              condition: condition ? Buffer.from(condition.map((b) => b & 0xff)).toString() : undefined,
            });
          }
      },
    });
    await replay.waitFor((stats) => stats.recordsCommitted === 3, 30_000);
    expect(replayed).toEqual([
      { offset: 3, value: 'poison', condition: 'RetriesExhausted' },
      { offset: 4, value: 'trade-4', condition: 'RetriesExhausted' },
      { offset: 5, value: 'trade-5', condition: 'RetriesExhausted' },
    ]);
  }, 60_000);

  it('BisectBatchOnFunctionError: the halves are invoked in turn, the poison record is isolated and alone sent to an S3 destination', async () => {
    const topic = await createTopic(1, 'bisect', broker.brokers);
    await produce(topic, trades(8, 5), broker.brokers);
    const dir = mkdtempSync(path.join(tmpdir(), 'h27-int-'));
    const group = groupId();
    const invoked: number[][] = [];
    const runner = await run({
      topics: [topic],
      groupId: group,
      batchWindowMs: 300,
      bisectBatchOnFunctionError: true,
      maxRetries: 0,
      onFailureDestination: 'arn:aws:s3:::failed-batches',
      failureDir: dir,
      handler: (event) => {
        invoked.push(offsetsOf(event));
        if (valuesOf(event).includes('poison')) throw new Error('cannot settle the poison trade');
      },
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 8, 30_000);
    expect(invoked).toEqual([[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3], [4, 5, 6, 7], [4, 5], [4], [5], [6, 7]]);
    expect(runner.stats).toMatchObject({ bisections: 3, sentToDestination: 1, errors: 4 });
    await runner.stop();
    expect(await committedOffsets(group, topic, 1, broker.brokers)).toEqual([8]);
    const folder = path.join(dir, 's3', 'failed-batches');
    const objects = readdirSync(folder).map((file) => readFileSync(path.join(folder, file), 'utf8'));
    expect(objects).toHaveLength(1);
    // The S3 object is the invocation record with the event as an escaped string: fromFailureRecords replays it.
    expect(typeof JSON.parse(objects[0]!).payload).toBe('string');
    expect(valuesOf(fromFailureRecords(objects))).toEqual(['poison']);
    // --from-failures-dir: the folder replays through the handler, once per file.
    const replayed: string[] = [];
    const summary = await replayFailureFiles({
      dir,
      handler: (event) => void replayed.push(...valuesOf(event)),
    });
    expect(replayed).toEqual(['poison']);
    expect(summary.failed).toEqual([]);
  }, 60_000);

  it('MaximumRecordAgeInSeconds: records older than the maximum age go to the destination uninvoked; the fresh ones are invoked', async () => {
    const topic = await createTopic(1, 'aged', broker.brokers);
    const failures = await createTopic(1, 'aged.failures', broker.brokers);
    const twoMinutesAgo = Date.now() - 120_000;
    await produce(
      topic,
      [
        { partition: 0, key: 'a', value: 'old-0', timestamp: twoMinutesAgo },
        { partition: 0, key: 'b', value: 'old-1', timestamp: twoMinutesAgo + 1 },
        { partition: 0, key: 'c', value: 'fresh-2' },
      ],
      broker.brokers,
    );
    const seen: string[] = [];
    const runner = await run({
      topics: [topic],
      batchWindowMs: 300,
      maxRecordAgeSeconds: 60,
      onFailureDestination: `kafka://${failures}`,
      handler: (event) => void seen.push(...valuesOf(event)),
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 3, 30_000);
    expect(seen).toEqual(['fresh-2']);
    expect(runner.stats).toMatchObject({ expired: 2, sentToDestination: 2, invocations: 1 });
    const written = await readTopic(failures, 2, { brokers: broker.brokers, settleMs: 200 });
    const values = written.map((m) => JSON.parse(m.value!.toString()));
    expect(values.map((v) => v.requestContext.condition)).toEqual(['RecordAgeExceeded', 'RecordAgeExceeded']);
    expect(values.map((v) => v.responseContext)).toEqual([null, null]);
    expect(valuesOf(fromFailureRecords(written.map((m) => m.value!)))).toEqual(['old-0', 'old-1']);
  }, 60_000);

  it('FilterCriteria: only matching values are invoked; the filtered records are committed without an invocation', async () => {
    const topic = await createTopic(2, 'filtered', broker.brokers);
    await produce(
      topic,
      [
        { partition: 0, key: 'a', value: '{"device_ID":"AB1","qty":5}' },
        { partition: 0, key: 'b', value: '{"device_ID":"CD2","qty":5}' },
        { partition: 0, key: 'c', value: '{"device_ID":"AB3","qty":50}' },
        { partition: 1, key: 'd', value: 'error' },
        { partition: 1, key: 'e', value: '{"device_ID":"XX","qty":1}' },
      ],
      broker.brokers,
    );
    const group = groupId();
    const seen: string[] = [];
    const runner = await run({
      topics: [topic],
      groupId: group,
      batchWindowMs: 300,
      filterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              value: { device_ID: [{ prefix: 'AB' }], qty: [{ numeric: ['<', 10] }] },
            }),
          },
          {
            Pattern: JSON.stringify({
              value: { $or: [{ device_ID: ['XX'] }, { qty: [{ numeric: ['>', 100] }] }] },
            }),
          },
        ],
      },
      handler: (event) => void seen.push(...valuesOf(event)),
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 5, 30_000);
    expect(seen.sort()).toEqual(['{"device_ID":"AB1","qty":5}', '{"device_ID":"XX","qty":1}']);
    expect(runner.stats.filtered).toBe(3);
    await runner.stop();
    expect(await committedOffsets(group, topic, 2, broker.brokers)).toEqual([3, 2]);
  }, 60_000);

  it('MaximumRetryAttempts -1 with a destination: AWS’s cap of 10 retries, then the destination', async () => {
    const topic = await createTopic(1, 'infinite', broker.brokers);
    await produce(topic, trades(1, 0), broker.brokers);
    const dir = mkdtempSync(path.join(tmpdir(), 'h27-int-'));
    let calls = 0;
    const runner = await run({
      topics: [topic],
      batchWindowMs: 0,
      maxRetries: -1,
      onFailureDestination: 'arn:aws:sqs:us-east-1:123456789012:failed',
      failureDir: dir,
      handler: () => {
        calls++;
        throw new Error('always');
      },
    });
    await runner.waitFor((stats) => stats.recordsCommitted === 1, 30_000);
    expect(calls).toBe(11);
    const folder = path.join(dir, 'sqs', 'failed');
    const [body] = readdirSync(folder).map((file) =>
      JSON.parse(readFileSync(path.join(folder, file), 'utf8')),
    );
    expect(body.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 11,
    });
    // SQS: the metadata only (nothing to replay from), as AWS sends it.
    expect(body.payload).toBeUndefined();
    expect(body.KafkaBatchInfo.recordsInfo).toEqual({
      [`${topic}-0`]: expect.objectContaining({ firstRecordOffset: '0', lastRecordOffset: '0' }),
    });
  }, 60_000);

  it('the bin: --template names the mapping and what it does not emulate at start, consumes with it, and exits 0 on SIGINT', async () => {
    expect(existsSync(cli)).toBe(true); // built by `pnpm test` before the suites run
    const topic = await createTopic(1, 'cli', broker.brokers);
    await produce(topic, trades(3, -1), broker.brokers);
    const dir = mkdtempSync(path.join(tmpdir(), 'h27-cli-'));
    const handlerFile = path.join(dir, 'handler.mjs');
    writeFileSync(
      handlerFile,
      `export const handler = async (event) => {
  for (const records of Object.values(event.records))
    for (const r of records) process.stderr.write('SEEN ' + Buffer.from(r.value, 'base64').toString() + '\\n');
  return { batchItemFailures: [] };
};\n`,
    );
    const child = spawn(
      process.execPath,
      [
        cli,
        handlerFile,
        '--template',
        example,
        '--parameter-overrides',
        `InputTopic=${topic} BatchWindowSeconds=0`,
        '--group-id',
        groupId(),
        '--brokers',
        broker.brokers,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while ((stderr.match(/^SEEN /gm) ?? []).length < 3 && Date.now() < deadline && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain(`event source mapping from ${example}: Resources.UserTradesMapping`);
    expect(stderr).toContain(
      'not emulated: SourceAccessConfigurations: the local consumer authenticates with --consumer-config',
    );
    expect(stderr.match(/^SEEN .*$/gm)).toEqual(['SEEN trade-0', 'SEEN trade-1', 'SEEN trade-2']);
  }, 60_000);

  it('the bin: --from-failures-dir replays each S3 file once and exits 1 when one cannot be replayed', async () => {
    expect(existsSync(cli)).toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'h27-cli-'));
    const handlerFile = path.join(dir, 'handler.mjs');
    writeFileSync(
      handlerFile,
      `export const handler = async (event) => {
  for (const records of Object.values(event.records))
    for (const r of records) process.stderr.write('SEEN ' + r.offset + '\\n');
};\n`,
    );
    const context = {
      condition: 'RetriesExhausted' as const,
      requestId: 'r-1',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
      approximateInvokeCount: 3,
      functionError: 'Unhandled',
      invoked: true,
      failedAt: new Date(),
      eventSource: 'SelfManagedKafka' as const,
      eventSourceArn: undefined,
      bootstrapServers: broker.brokers,
    };
    const record = (offset: number) => ({
      topic: 'orders',
      partition: 0,
      offset,
      timestamp: Date.now(),
      timestampType: 'CREATE_TIME' as const,
      key: null,
      value: Buffer.from(`v${offset}`).toString('base64'),
      headers: [],
    });
    const folder = path.join(dir, 's3', 'b');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      path.join(folder, 'a.json'),
      JSON.stringify(
        invocationRecord({ 'orders-0': [record(4), record(5)] }, context, { withPayload: true }),
      ),
    );
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, handlerFile, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const ok = await run(['--from-failures-dir', folder]);
    expect(ok.code).toBe(0);
    expect(ok.stderr.match(/^SEEN .*$/gm)).toEqual(['SEEN 4', 'SEEN 5']);
    expect(ok.stderr).toContain('replayed 1 on-failure file(s), 0 failed');
    // An SQS record (metadata only) beside it: named, and the exit code says so.
    writeFileSync(
      path.join(folder, 'b.json'),
      JSON.stringify(invocationRecord({ 'orders-0': [record(6)] }, context, { withPayload: false })),
    );
    const partly = await run(['--from-failures-dir', folder]);
    expect(partly.code).toBe(1);
    expect(partly.stderr).toMatch(/not replayed: .*b\.json: .*failures\[0\]\.payload/);
  }, 60_000);
});
