// The subpath entries load only their format's library: a JSON-only function must not pay for avsc
// or protobufjs at cold start. Checked on what a bundler really pulls in from each entry's sources.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};

/** The third-party packages an entry's bundle contains. */
async function packagesIn(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(pkgDir, 'src', entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    external: ['@kafka-lambda/core'],
    logLevel: 'silent',
  });
  const found = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(input);
    if (match) found.add(match[1]!);
  }
  return [...found].sort();
}

// protobufjs brings `long` (and its own @protobufjs/* helpers, left out of the comparison).
const entries = {
  registry: { file: 'entry/registry.ts', packages: [], load: () => import('../src/entry/registry.js') },
  'json-schema': {
    file: 'entry/json-schema.ts',
    packages: [],
    load: () => import('../src/entry/json-schema.js'),
  },
  avro: { file: 'entry/avro.ts', packages: ['avsc'], load: () => import('../src/entry/avro.js') },
  protobuf: {
    file: 'entry/protobuf.ts',
    packages: ['long', 'protobufjs'],
    load: () => import('../src/entry/protobuf.js'),
  },
};

describe('subpath entries', { timeout: 30_000 }, () => {
  for (const [name, { file, packages, load }] of Object.entries(entries)) {
    it(`@kafka-lambda/serdes/${name} bundles ${packages.length ? packages.join(', ') : 'no third-party package'}`, async () => {
      const found = (await packagesIn(file)).filter((p) => !p.startsWith('@protobufjs/'));
      expect(found).toEqual(packages);
    });

    it(`@kafka-lambda/serdes/${name} is exported for import and require, with types`, () => {
      expect(manifest.exports[`./${name}`]).toEqual({
        import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
        require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
      });
    });

    it(`everything @kafka-lambda/serdes/${name} exports is also exported by the root, as the same value`, async () => {
      const sub = (await load()) as Record<string, unknown>;
      for (const [key, value] of Object.entries(sub)) {
        expect((root as Record<string, unknown>)[key], key).toBe(value);
      }
    });
  }

  it('the root entry still has every format', () => {
    expect(Object.keys(root)).toEqual(
      expect.arrayContaining(['avro', 'protobuf', 'jsonSchema', 'schemaRegistry']),
    );
  });
});
