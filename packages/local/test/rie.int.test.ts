import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@kafka-lambda/core';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FunctionError, runEventSource } from '../src/index.js';
import { brokers, createTopic, produce } from './helpers/kafka.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const here = path.dirname(fileURLToPath(import.meta.url));
let dir: string;
let handlerFile: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kafka-lambda-rie-test-'));
  handlerFile = path.join(dir, 'handler.mjs');
  // Bundled as a deployment would be: core inlined, the native client left external.
  await build({
    entryPoints: [path.join(here, 'fixtures/counting-handler.ts')],
    outfile: handlerFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`, // the Node that runs it
    alias: { '@kafka-lambda/core': path.join(here, '../../core/src/index.ts') },
    external: ['@confluentinc/kafka-javascript'],
    logLevel: 'silent',
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('runs the handler in the Runtime Interface Emulator: one cold start, then warm reuse; partial responses honoured', async () => {
  const topic = await createTopic(1, 'local-rie');
  await produce(topic, [
    { partition: 0, value: 'a' },
    { partition: 0, value: 'b' },
    { partition: 0, value: 'c' },
    { partition: 0, value: 'poison' },
    { partition: 0, value: 'e' },
    { partition: 0, value: 'f' },
  ]);
  const runner = await runEventSource({
    brokers: brokers(),
    topics: [topic],
    rie: { handlerFile },
    batchSize: 2,
    batchWindowMs: 50,
    retryBackoffMs: 10,
    reportBatchItemFailures: true,
    logger: silent,
  });
  try {
    await runner.waitFor((stats) => stats.recordsCommitted === 6, 45_000);
  } finally {
    await runner.stop();
  }
  const results = runner.batches.map(
    (batch) => batch.result as { invocation: number; pid: number; batchItemFailures: unknown[] },
  );
  // Batches: [0,1], [2,3] reports 3, [3] retried ... each invocation counted by the same module instance.
  expect(results.map((r) => r.invocation)).toEqual(results.map((_, i) => i + 1));
  expect(new Set(results.map((r) => r.pid)).size).toBe(1);
  expect(results[0]!.pid).not.toBe(process.pid);
  const partial = runner.batches.find((batch) => batch.outcome === 'partial');
  expect(partial?.retried.map((r) => r.offset)).toEqual([3]);
  expect(runner.batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual([0, 1, 2, 3, 3, 4, 5]);
});

it('a function error reported through the emulator fails the batch, which is retried', async () => {
  const topic = await createTopic(1, 'local-rie');
  await produce(topic, [
    { partition: 0, value: 'x' },
    { partition: 0, value: 'y' },
  ]);
  const file = path.join(dir, 'throws-once.mjs');
  writeFileSync(
    file,
    "let calls = 0;\nexport const main = async () => { if (++calls === 1) { const e = new Error('first call fails'); e.name = 'BoomError'; throw e; } return { calls }; };\n",
  );
  const runner = await runEventSource({
    brokers: brokers(),
    topics: [topic],
    rie: { handlerFile: file, exportName: 'main' },
    batchSize: 10,
    batchWindowMs: 200,
    retryBackoffMs: 10,
    logger: silent,
  });
  try {
    await runner.waitFor((stats) => stats.recordsCommitted === 2, 45_000);
  } finally {
    await runner.stop();
  }
  const [failed, retried] = runner.batches;
  expect(failed!.error).toBeInstanceOf(FunctionError);
  expect((failed!.error as FunctionError).errorType).toBe('BoomError');
  expect(retried).toMatchObject({ outcome: 'success', result: { calls: 2 } });
  expect(retried!.records.map((r) => r.offset)).toEqual([0, 1]);
});
