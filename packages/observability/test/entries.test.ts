import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
const dist = path.resolve(src, '../dist');

/** The bare imports an entry makes, transitively through the package's own files. */
async function packagesImportedBy(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(src, entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    external: ['@kafka-lambda/core', '@opentelemetry/*'],
    logLevel: 'silent',
  });
  const imports = new Set<string>();
  for (const output of Object.values(result.metafile.outputs))
    for (const { path: imported, external } of output.imports) if (external) imports.add(imported);
  return [...imports].filter((name) => !name.startsWith('node:')).sort();
}

describe('entries: @opentelemetry/api is imported by /tracing only', () => {
  it('the root and /metrics import nothing of OpenTelemetry (a metrics-only function pays nothing for it)', async () => {
    expect(await packagesImportedBy('index.ts')).toEqual(['@kafka-lambda/core']);
    expect(await packagesImportedBy('entry/metrics.ts')).toEqual(['@kafka-lambda/core']);
  });

  it('/tracing imports the API, and nothing of the SDK', async () => {
    expect(await packagesImportedBy('entry/tracing.ts')).toEqual([
      '@kafka-lambda/core',
      '@opentelemetry/api',
    ]);
  });
});

describe.skipIf(!existsSync(path.join(dist, 'tracing.js')))(
  'the build (pnpm build, tsup with shared chunks)',
  () => {
    it('only the tracing entry files name @opentelemetry: no shared chunk pulls it into the root or /metrics', () => {
      const naming = readdirSync(dist)
        .filter((file) => /\.c?js$/.test(file))
        .filter((file) => readFileSync(path.join(dist, file), 'utf8').includes('@opentelemetry/'));
      expect(naming.sort()).toEqual(['tracing.cjs', 'tracing.js']);
    });
  },
);
