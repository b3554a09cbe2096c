// Declared assets (a .proto, a JSON schema) are copied into the bundle at their path in the project,
// and the code that finds them with `new URL('<relative path>', import.meta.url)` (the way that works
// from src/ under tsx or vitest, and from tsc's dist/) is rewritten to the path from the bundle's
// index.mjs. So an asset resolves relative to the bundle, never to the working directory: the same
// in /var/task, in the emulator, and in a clean directory.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'esbuild';

const URL_PATTERN = /new URL\(\s*(['"`])([^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g;
const LOADERS = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
} as const;
const MODULE_EXTENSIONS = new Set([...Object.keys(LOADERS), '.node']);

/**
 * The esbuild plugin: `assets` maps each declared asset's absolute path to its path in the bundle
 * (relative to index.mjs). `warnings` collects URLs to files that exist but were not declared.
 *
 * @example
 * ```ts
 * await build({ entryPoints: ['src/handler.ts'], bundle: true, plugins: [assetUrls(new Map([[abs, 'proto/a.proto']]), [], process.cwd())] });
 * ```
 */
export function assetUrls(
  assets: ReadonlyMap<string, string>,
  warnings: string[],
  projectDir: string,
): Plugin {
  const inBundle = (target: string): string | undefined => {
    for (const [path, at] of assets) {
      if (target === path) return at;
      if (target.startsWith(path + sep) && statSync(path).isDirectory())
        return `${at}/${relative(path, target).split(sep).join('/')}`;
    }
    return undefined;
  };
  return {
    name: 'kafka-lambda-asset-urls',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const contents = source.replace(URL_PATTERN, (whole, _quote: string, path: string) => {
          const target = resolve(dirname(args.path), path);
          const at = inBundle(target);
          if (at !== undefined) return `new URL(${JSON.stringify(`./${at}`)}, import.meta.url)`;
          if (existsSync(target) && !MODULE_EXTENSIONS.has(extname(target)))
            warnings.push(
              `${relative(projectDir, args.path)} refers to ${relative(projectDir, target)}, which is not declared with --asset: it is not in the bundle`,
            );
          return whole;
        });
        return { contents, loader: LOADERS[extname(args.path) as keyof typeof LOADERS] };
      });
    },
  };
}
