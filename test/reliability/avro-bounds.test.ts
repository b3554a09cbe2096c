// A corrupt Avro block count (a few bytes) must give an InvalidPayloadError, not make the decoder
// read 2^30 items past the end of the buffer until the process dies: in Lambda that is a crash on
// every retry, so one bad record blocks its partition until it expires. Run in a child process with a
// 128 MB heap, so the bug fails this test instead of exhausting the machine's memory.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { avro, writeConfluentFrame } from '@kafka-lambda/serdes';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { AVRO_ID, avroSchema, stubRegistry } from '../support/stub-registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const outDir = path.join(root, 'node_modules', '.cache', 'kafka-lambda-reliability', 'avro-bounds');
const script = path.join(outDir, 'child.cjs');
const packagesDir = process.env.KAFKA_LAMBDA_PACKAGES_DIR ?? path.join(root, 'packages');

beforeAll(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(here, 'fixtures', 'avro-decode-child.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`, // the Node that runs it
    external: ['@confluentinc/kafka-javascript', '@aws-sdk/*'],
    // KAFKA_LAMBDA_PACKAGES_DIR points at another checkout of packages/ (to try a proposed fix).
    alias: {
      '@kafka-lambda/core': path.join(packagesDir, 'core/src/index.ts'),
      '@kafka-lambda/serdes': path.join(packagesDir, 'serdes/src/index.ts'),
    },
    nodePaths: [path.join(root, 'packages/serdes/node_modules')],
    logLevel: 'error',
  });
});

function decodeInChild(
  payloads: Buffer[],
  options: { readerSchema?: string; timeoutMs?: number } = {},
): { status: number | null; lines: string[] } {
  const env = { ...process.env };
  if (options.readerSchema) env.AVRO_READER_SCHEMA = options.readerSchema;
  const run = spawnSync(
    process.execPath,
    ['--max-old-space-size=128', script, ...payloads.map((p) => p.toString('base64'))],
    { encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, env },
  );
  return { status: run.status, lines: run.stdout.trim().split('\n').filter(Boolean) };
}

// Trade = { symbol: string, qty: int, price: bytes, tags: array<string>, attrs: map<long>, ... }
const head = Buffer.from([0x00, 0x00, 0x00]); // symbol "", qty 0, price empty
const hugeCount = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]); // zigzag varint of 2^30
// zigzag varint of 2^50: at avsc's skipping speed, days of work in 9 bytes
const endlessCount = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]);

describe('Avro decoding of corrupt block counts is bounded', () => {
  it('a 2^30-item array block count in 9 bytes is an InvalidPayloadError, not an out-of-memory crash', () => {
    const arrayBomb = writeConfluentFrame(AVRO_ID, Buffer.concat([head, hugeCount]));
    const mapBomb = writeConfluentFrame(AVRO_ID, Buffer.concat([head, Buffer.from([0x00]), hugeCount]));
    const { status, lines } = decodeInChild([arrayBomb, mapBomb]);
    expect(status).toBe(0);
    expect(lines).toEqual(['error InvalidPayloadError', 'error InvalidPayloadError']);
  });

  it('a forged block count in a writer field the reader schema drops fails fast, not after minutes of skipping', () => {
    // The reader drops `tags` and `attrs`: avsc skips them (`_skip`) instead of reading them.
    const writer = JSON.parse(avroSchema) as { fields: Array<{ name: string }> };
    const reader = JSON.stringify({
      ...writer,
      fields: writer.fields.filter((f) => f.name !== 'tags' && f.name !== 'attrs'),
    });
    const skippedArray = writeConfluentFrame(AVRO_ID, Buffer.concat([head, endlessCount]));
    const skippedMap = writeConfluentFrame(AVRO_ID, Buffer.concat([head, Buffer.from([0x00]), endlessCount]));
    const started = Date.now();
    const { status, lines } = decodeInChild([skippedArray, skippedMap], {
      readerSchema: reader,
      timeoutMs: 20_000,
    });
    expect(status).toBe(0);
    expect(lines).toEqual(['error InvalidPayloadError', 'error InvalidPayloadError']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('an honest payload with the same reader schema still decodes (the check refuses only impossible counts)', async () => {
    const writer = JSON.parse(avroSchema) as { fields: Array<{ name: string }> };
    const reader = JSON.stringify({ ...writer, fields: writer.fields.filter((f) => f.name !== 'tags') });
    const value = {
      symbol: 'ACME',
      qty: 3,
      price: '12.34',
      tags: ['a', 'b', 'c'],
      attrs: { x: 1 },
      side: 'BUY',
      note: null,
      at: new Date(1),
      ratio: 0.5,
      id: Buffer.from([1, 2, 3, 4]),
    };
    const bytes = await avro(stubRegistry(), { schemaId: AVRO_ID }).serialize(value);
    const { status, lines } = decodeInChild([bytes], { readerSchema: reader });
    expect(status).toBe(0);
    expect(lines).toEqual(['ok object']);
  });
});
