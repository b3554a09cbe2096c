// core/src is laid out by concept, in layers: each folder imports only from folders below it, so the
// shared types sit at the bottom and no arrow runs back up. And the engine a consumer-only function
// loads (core's root entry, followed through its runtime imports) reaches neither the delivery
// engine, the producer, nor an event adapter: those come with the producer or the middleware that
// brings them. Both read the source's import statements, so they hold for every bundler.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Bottom to top: a folder may import from those before it, never from those after. */
const LAYERS = [
  'shared',
  'event',
  'serde',
  'contract',
  'deadline',
  'record',
  'ordering',
  'policies',
  'outcomes',
  'middleware',
  'delivery',
  'batch',
  'adapters',
  'config',
  'producer',
  'handler',
  'entry',
] as const;

interface Import {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [relative(SRC, join(dir, entry.name))]
        : [],
  );
}

const STATEMENT = /^(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'(\.[^']+)'/gm;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(STATEMENT)].map((m) => ({
    from: file,
    to: normalize(join(dirname(file), m[3]!)).replace(/\.js$/, '.ts'),
    // `import type`, or every name of the braces marked `type`: erased, loads nothing.
    typeOnly:
      m[2] !== undefined ||
      (/^\w+\s+\{([^}]*)\}/.test(m[0]) &&
        m[0]
          .slice(m[0].indexOf('{') + 1, m[0].indexOf('}'))
          .split(',')
          .filter((name) => name.trim() !== '')
          .every((name) => name.trim().startsWith('type '))),
  }));
}

const folderOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : 'entry');
const FILES = sources(SRC);
const IMPORTS = FILES.flatMap(importsOf);

describe('core/src layout', () => {
  it('every file is in a folder of the layers', () => {
    const unknown = FILES.map(folderOf).filter((folder) => !(LAYERS as readonly string[]).includes(folder));
    expect(unknown).toEqual([]);
  });

  it('no import runs up a layer (types included)', () => {
    const rank = (file: string) => LAYERS.indexOf(folderOf(file) as (typeof LAYERS)[number]);
    const upward = IMPORTS.filter((i) => rank(i.to) > rank(i.from)).map((i) => `${i.from} -> ${i.to}`);
    expect(upward).toEqual([]);
  });

  it("the root entry's runtime imports reach neither delivery, the producer nor an adapter", () => {
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const i of IMPORTS) if (i.from === file && !i.typeOnly) visit(i.to);
    };
    visit('index.ts');
    const plugins = [...reached].filter((file) => /^(delivery|producer|adapters)\//.test(file));
    expect(plugins).toEqual([]);
    // The check itself sees what it must: the producer's entry does reach the delivery engine.
    reached.clear();
    visit('entry/producer.ts');
    expect([...reached].some((file) => file.startsWith('delivery/'))).toBe(true);
  });
});
