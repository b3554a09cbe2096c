import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { chunks, distinct, mapConcurrent } from '../src/concurrency.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/** The bare imports an entry makes, transitively through the package's own files. */
async function packagesImportedBy(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(src, entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    external: ['@kafka-lambda/core', '@aws-sdk/*', '@redis/*'],
    logLevel: 'silent',
  });
  const imports = new Set<string>();
  for (const output of Object.values(result.metafile.outputs))
    for (const { path: imported, external } of output.imports) if (external) imports.add(imported);
  return [...imports].filter((name) => !name.startsWith('node:')).sort();
}

describe('entries: a function loads only the client of its store', () => {
  it('the root imports no client library, /dynamodb only the AWS SDK, /redis only node-redis', async () => {
    // The middleware is written against core's seam (/middleware): types and one log helper, no client.
    expect(await packagesImportedBy('index.ts')).toEqual([
      '@kafka-lambda/core',
      '@kafka-lambda/core/middleware',
    ]);
    expect(await packagesImportedBy('entry/dynamodb.ts')).toEqual([
      '@aws-sdk/client-dynamodb',
      '@kafka-lambda/core',
    ]);
    expect(await packagesImportedBy('entry/redis.ts')).toEqual(['@kafka-lambda/core', '@redis/client']);
  });
});

describe('batching helpers', () => {
  it('mapConcurrent keeps the order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });

  it('mapConcurrent rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(
      mapConcurrent([0, 1, 2, 3], 1, async (n) => {
        started.push(n);
        if (n === 1) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]);
  });

  it('mapConcurrent waits for the calls already running before it rejects', async () => {
    const finished: number[] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = mapConcurrent([0, 1], 2, async (n) => {
      if (n === 0) throw new Error('first');
      await slow;
      finished.push(n);
    });
    let settled = false;
    run
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false); // call 1 still runs
    release();
    await expect(run).rejects.toThrow('first');
    expect(finished).toEqual([1]);
  });

  it('chunks and distinct', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(distinct(['a', 'b', 'a', 'c', 'b'])).toEqual({
      unique: ['a', 'b', 'c'],
      indexOf: [0, 1, 0, 2, 1],
    });
  });
});
