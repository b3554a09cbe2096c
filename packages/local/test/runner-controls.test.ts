import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '@kafka-lambda/core';
import { fromFailureRecords, type KafkaEvent } from '@kafka-lambda/core/events';
import { afterEach, describe, expect, it } from 'vitest';
import { bisect } from '../src/runner/bisect.js';
import { parseDestination } from '../src/runner/destinations/destination.js';
import { DestinationWriteError } from '../src/runner/errors.js';
import { replayFailureFiles } from '../src/runner/failure-files.js';
import { ReplayReportedError } from '../src/runner/failure-replay-invoker.js';
import { InProcessInvoker } from '../src/runner/in-process-invoker.js';
import type { EventSourceLoop } from '../src/runner/loop.js';
import { partitionState } from '../src/runner/partition-state.js';
import { resolveSettings, startLoop } from '../src/runner/run-event-source.js';
import type { EventSourceOptions, LocalHandler } from '../src/runner/types.js';
import { MemorySource } from './helpers/memory-source.js';

// The ESM's error handling controls over the in-memory source; the same controls on a real broker
// are in runner-controls.int.test.ts.
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const running: EventSourceLoop[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((loop) => loop.stop().catch(() => undefined)));
});

async function start(source: MemorySource, handler: LocalHandler, options: Partial<EventSourceOptions> = {}) {
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

const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
const offsetsOf = (event: KafkaEvent) =>
  Object.values(event.records).flatMap((rs) => rs.map((r) => r.offset));
const filesIn = (dir: string) => readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8'));

describe('BisectBatchOnFunctionError', () => {
  it('halves a failing batch until the poison record is alone, then retries only it; the rest is committed', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(8));
    const failures = mkdtempSync(path.join(tmpdir(), 'h27-'));
    const invoked: number[][] = [];
    const loop = await start(
      source,
      (event) => {
        invoked.push(offsetsOf(event));
        if (offsetsOf(event).includes(5)) throw new Error('poison at 5');
      },
      {
        bisectBatchOnFunctionError: true,
        maxRetries: 1,
        onFailureDestination: 'arn:aws:s3:::failed-batches',
        failureDir: failures,
      },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 8);
    expect(invoked).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
      [4],
      [5],
      [5], // the one retry of the record alone: splitting consumed none
      [6, 7],
    ]);
    expect(loop.stats).toMatchObject({ bisections: 3, sentToDestination: 1, skipped: 0 });
    expect(source.committed.get('t-0')).toBe(8);
    // The S3 object replays as the poison record alone.
    const [object] = filesIn(path.join(failures, 's3', 'failed-batches'));
    const replay = fromFailureRecords([object!]);
    expect(offsetsOf(replay)).toEqual([5]);
    expect(JSON.parse(object!).requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 2,
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:kafka-lambda-local',
    });
  });

  it('does not bisect a partial batch response (it is not a function error)', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(4));
    let calls = 0;
    const loop = await start(
      source,
      () =>
        ++calls === 1
          ? { batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 2 } }] }
          : undefined,
      { bisectBatchOnFunctionError: true, reportBatchItemFailures: true },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 4);
    expect(loop.batches.map((b) => b.records.map((r) => r.offset))).toEqual([
      [0, 1, 2, 3],
      [2, 3],
    ]);
    expect(loop.stats.bisections).toBe(0);
  });

  it('splits across partitions in batch order, the first half the larger', () => {
    const p0 = partitionState('t', 0);
    const p1 = partitionState('t', 1);
    const item = (offset: number) => ({ ref: { topic: 't', partition: 0, offset } }) as never;
    const [first, second] = bisect(
      new Map([
        [p0, [item(0), item(1), item(2)]],
        [p1, [item(0), item(1)]],
      ]),
    );
    expect([...first]).toEqual([[p0, 3]]);
    expect([...second]).toEqual([[p1, 2]]);
    const [a, b] = bisect(new Map([[p0, [item(0), item(1), item(2)]]]));
    expect([...a, ...b]).toEqual([
      [p0, 2],
      [p0, 1],
    ]);
  });
});

describe('MaximumRecordAgeInSeconds', () => {
  it('records older than the maximum age are sent to the destination, never invoked; the others are', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(3)); // from 2023
    source.append('t', 0, values(2), Date.now());
    const failures = mkdtempSync(path.join(tmpdir(), 'h27-'));
    const invoked: number[][] = [];
    const loop = await start(source, (event) => void invoked.push(offsetsOf(event)), {
      maxRecordAgeSeconds: 60,
      onFailureDestination: 'arn:aws:sqs:us-east-1:123456789012:failed',
      failureDir: failures,
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 5);
    expect(invoked).toEqual([[3, 4]]);
    expect(loop.stats).toMatchObject({ expired: 3, sentToDestination: 3, invocations: 1 });
    const [body] = filesIn(path.join(failures, 'sqs', 'failed')).map((text) => JSON.parse(text));
    // SQS gets the metadata only, as in AWS; never invoked, so no response context.
    expect(body.payload).toBeUndefined();
    expect(body.responseContext).toBeNull();
    expect(body.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(body.KafkaBatchInfo).toMatchObject({
      batchSize: 3,
      recordsInfo: { 't-0': { firstRecordOffset: '0', lastRecordOffset: '2' } },
    });
  });

  it('a retried record that ages out resets the retry count: the next record gets its own retries', async () => {
    const source = new MemorySource();
    source.append('t', 0, ['old'], Date.now());
    const calls: number[] = [];
    let failedOnce = false;
    const loop = await start(
      source,
      (event) => {
        const offset = offsetsOf(event)[0]!;
        calls.push(offset);
        if (offset === 0) throw new Error('fails until it ages out');
        if (!failedOnce) {
          failedOnce = true;
          throw new Error('fails once');
        }
      },
      {
        maxRecordAgeSeconds: 1,
        maxRetries: 2,
        retryBackoffMs: 600,
        maxBackoffMs: 600,
        onSkip: () => undefined,
      },
    );
    await loop.waitFor((stats) => stats.expired === 1, 10_000);
    source.append('t', 0, ['new'], Date.now() + 3_600_000);
    await loop.waitFor((stats) => stats.recordsCommitted === 2, 10_000);
    expect(calls).toEqual([0, 0, 1, 1]);
    expect(loop.stats).toMatchObject({ skipped: 1, expired: 1 });
  });

  it('without a destination, too old records are skipped, reported and logged, and committed', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(2));
    const skipped: number[] = [];
    const errors: string[] = [];
    const loop = await start(source, () => undefined, {
      maxRecordAgeSeconds: 60,
      onSkip: (refs) => skipped.push(...refs.map((r) => r.offset)),
      logger: { ...silent, error: (message) => void errors.push(message) },
    });
    await loop.waitFor((stats) => stats.recordsCommitted === 2);
    expect(skipped).toEqual([0, 1]);
    expect(loop.stats).toMatchObject({ invocations: 0, skipped: 2, expired: 2 });
    expect(errors.some((line) => line.includes('RECORD AGE EXCEEDED'))).toBe(true);
  });
});

describe('MaximumRetryAttempts and the on-failure destination', () => {
  const base = { brokers: 'b:9092', topics: ['t'], handler: () => undefined };

  it('-1 is infinite, capped at 10 with a destination, as AWS documents', () => {
    expect(resolveSettings({ ...base, maxRetries: -1 }).maxRetries).toBe(Number.POSITIVE_INFINITY);
    expect(
      resolveSettings({ ...base, maxRetries: -1, onFailureDestination: 'kafka://t.failures' }).maxRetries,
    ).toBe(10);
    expect(
      resolveSettings({ ...base, maxRetries: Number.POSITIVE_INFINITY, onFailureDestination: 'kafka://f' })
        .maxRetries,
    ).toBe(10);
    expect(resolveSettings({ ...base, maxRetries: 200, onFailureDestination: 'kafka://f' }).maxRetries).toBe(
      200,
    );
  });

  it('refuses a destination topic that is a source topic, and unknown destinations', () => {
    expect(() => resolveSettings({ ...base, onFailureDestination: 'kafka://t' })).toThrow(
      expect.objectContaining({ path: 'onFailureDestination' }),
    );
    expect(() => parseDestination('https://example.com')).toThrow(
      expect.objectContaining({ path: 'onFailureDestination' }),
    );
    expect(parseDestination('arn:aws:sns:us-east-1:123456789012:alerts')).toEqual({
      kind: 'sns',
      name: 'alerts',
    });
  });

  it('retries exhausted: the failed records go to the destination, committed past, and the partition goes on', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(4));
    const failures = mkdtempSync(path.join(tmpdir(), 'h27-'));
    let calls = 0;
    const loop = await start(
      source,
      (event) => {
        calls++;
        if (offsetsOf(event).includes(1)) throw new Error('always');
      },
      { batchSize: 2, maxRetries: 2, onFailureDestination: 'arn:aws:s3:::b', failureDir: failures },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 4);
    expect(calls).toBe(4); // 1 + 2 retries of [0, 1], then [2, 3]
    expect(source.committed.get('t-0')).toBe(4);
    const [object] = filesIn(path.join(failures, 's3', 'b')).map((text) => JSON.parse(text));
    expect(object.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    });
    expect(object.responseContext).toEqual({
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: 'Unhandled',
    });
    expect(offsetsOf(fromFailureRecords([object]))).toEqual([0, 1]);
  });

  it('a destination that cannot be written stops the runner with the records uncommitted', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(2));
    const blocker = path.join(mkdtempSync(path.join(tmpdir(), 'h27-')), 'a-file');
    writeFileSync(blocker, 'not a folder');
    const loop = await start(
      source,
      () => {
        throw new Error('fails');
      },
      { maxRetries: 0, onFailureDestination: 'arn:aws:s3:::b', failureDir: blocker },
    );
    const error = await loop.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationWriteError);
    expect((error as DestinationWriteError).destination).toBe('arn:aws:s3:::b');
    expect(source.committed.get('t-0')).toBeUndefined();
  });
});

describe('replayFailureFiles (--from-failures-dir)', () => {
  it('replays each S3 file a run wrote once, and names the files it cannot replay and why', async () => {
    const source = new MemorySource();
    source.append('t', 0, values(3));
    const failures = mkdtempSync(path.join(tmpdir(), 'h27-'));
    const loop = await start(
      source,
      (event) => {
        if (offsetsOf(event).includes(1)) throw new Error('poison at 1');
      },
      {
        batchSize: 1,
        maxRetries: 0,
        onFailureDestination: 'arn:aws:s3:::b',
        failureDir: failures,
      },
    );
    await loop.waitFor((stats) => stats.recordsCommitted === 3);
    // A metadata-only SQS record beside it cannot be replayed.
    const sqs = path.join(failures, 's3', 'b', 'z-sqs.json');
    const object = JSON.parse(filesIn(path.join(failures, 's3', 'b'))[0]!);
    writeFileSync(sqs, JSON.stringify({ ...object, payload: undefined }));

    const seen: Array<{ offsets: number[]; condition: string | undefined }> = [];
    const summary = await replayFailureFiles({
      dir: failures,
      handler: (event) => {
        const first = Object.values(event.records)[0]![0]!;
        const header = first.headers?.find((h) => 'kafka-lambda.esm-failure.condition' in h);
        const bytes = header?.['kafka-lambda.esm-failure.condition'];
        seen.push({
          offsets: offsetsOf(event),
          condition: bytes ? Buffer.from(bytes).toString() : undefined,
        });
      },
    });
    expect(seen).toEqual([{ offsets: [1], condition: 'RetryAttemptsExhausted' }]);
    expect(summary.replayed).toHaveLength(1);
    expect(summary.failed.map((f) => [path.basename(f.file), (f.error as { path?: string }).path])).toEqual([
      ['z-sqs.json', 'failures[0].payload'],
    ]);

    // A handler that reports the replayed record fails that file.
    const reported = await replayFailureFiles({
      dir: path.join(failures, 's3', 'b'),
      handler: () => ({ batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 1 } }] }),
    });
    expect(reported.failed[0]!.error).toBeInstanceOf(ReplayReportedError);
    await expect(
      replayFailureFiles({ dir: path.join(failures, 'none'), handler: () => undefined }),
    ).rejects.toThrow(expect.objectContaining({ path: 'dir' }));
  });
});
