// The whole reference pipeline, both halves, on the local stack (what `pnpm demo` runs, with
// assertions): datagen's stocktrade and users joined by the Kafka Streams topology (streams/) into
// user_trades; the bundled function in the Lambda runtime emulator writing Protobuf settlements through
// the registry; the topology reading them back through the registry into per-minute tables.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareCells, runPipeline } from '../src/demo/pipeline.js';

const env = process.env as Record<string, string>;
const root = fileURLToPath(new URL('..', import.meta.url));

describe('the trade-settlement pipeline: Kafka Streams join → function → Kafka Streams windows', () => {
  it('counts every settlement per minute, symbol and disposition as the generated data says', async () => {
    execFileSync('pnpm', ['run', '--silent', 'bundle'], { cwd: root, stdio: 'pipe' }); // kafka-lambda bundle
    const run = randomUUID().slice(0, 8);
    const result = await runPipeline({
      env,
      suffix: `.${run}`,
      trades: 600,
      seed: 11,
      secretId: `kafka-lambda/pipeline/${run}`,
      logDir: mkdtempSync(join(tmpdir(), 'pipeline-test-')),
      batchSize: 100,
    });
    const { expected } = result;
    // The data exercises every path: all four dispositions, dead letters, records the join skips.
    expect(new Set([...expected.cells.values()].map((c) => c.disposition))).toEqual(
      new Set(['Completed', 'Pending', 'Flagged', 'Rejected']),
    );
    expect(expected.deadLetters).toBeGreaterThan(0);
    expect(expected.skipped).toBeGreaterThan(0);
    expect(new Set([...expected.cells.values()].map((c) => c.windowStart)).size).toBe(2);

    expect(result.stream.joined).toBe(expected.joined);
    expect(result.stream.skipped).toBe(expected.skipped);
    expect(result.deadLetters).toBe(expected.deadLetters);
    expect(result.function.errors).toBe(0);
    const mismatched = compareCells(expected.cells, result.cells).filter((row) => !row.matches);
    expect(mismatched).toEqual([]);
    const perDisposition = new Map<string, number>();
    for (const c of expected.cells.values()) {
      const key = `${c.windowStart}|${c.disposition}`;
      perDisposition.set(key, (perDisposition.get(key) ?? 0) + c.settlements);
    }
    expect(
      Object.fromEntries(
        result.perDisposition.map((r) => [`${r.windowStart}|${r.disposition}`, r.settlements]),
      ),
    ).toEqual(Object.fromEntries(perDisposition));
  }, 300_000);
});
