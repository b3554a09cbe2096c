// A copy of the workspace's @confluentinc/kafka-javascript in <root>/node_modules whose build/ is the
// one a test chooses: a cached build for another Node ABI, the running Node's addon without librdkafka
// beside it, none at all. Loading it fails for real, with the loader's own error.
import { cpSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cache from '../../packages/local/src/addon/addon-cache.js';
import { nativePackageDir, packageVersion } from '../../packages/local/src/addon/native-package.js';

const WORKSPACE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const packageDir = () => nativePackageDir(WORKSPACE);

export const NATIVE = cache.NATIVE;
export const ADDON_FILE = cache.ADDON_FILE;

/** A cached build for an ABI other than the running Node's (CI builds Node 22's and 24's), if any. */
export function foreignBuild(): { abi: string; dir: string } | undefined {
  return cache.cachedBuilds(packageVersion(packageDir())).find(({ abi }) => abi !== process.versions.modules);
}

/** The addon the running Node loads from the workspace (a cached build, or the install's own). */
export function ownAddon(): string {
  const require = createRequire(join(packageDir(), 'package.json'));
  const bindings = require('bindings') as (options: {
    bindings: string;
    path: true;
    module_root: string;
  }) => string;
  return realpathSync(bindings({ bindings: ADDON_FILE, path: true, module_root: packageDir() }));
}

/**
 * Copies the package's JavaScript into <root>/node_modules/@confluentinc/kafka-javascript (with
 * `bindings` beside it) and lays out its build/ with `build` (a directory to link as build/, or a
 * list of files to copy into build/Release, or nothing). Returns the package directory.
 */
export function nativeClientCopy(root: string, build?: { link: string } | { release: string[] }): string {
  const source = packageDir();
  const target = join(root, 'node_modules', NATIVE);
  mkdirSync(target, { recursive: true });
  for (const part of ['package.json', 'librdkafka.js'])
    cpSync(join(source, part), join(target, part), { dereference: true });
  // lib/binding holds the workspace's per-ABI links: left out, so only build/ can supply an addon.
  cpSync(join(source, 'lib'), join(target, 'lib'), {
    recursive: true,
    dereference: true,
    filter: (path) => !path.startsWith(join(source, 'lib', 'binding')),
  });
  const bindingsDir = dirname(createRequire(join(source, 'package.json')).resolve('bindings/package.json'));
  symlinkSync(realpathSync(bindingsDir), join(root, 'node_modules', 'bindings'), 'dir');
  if (build && 'link' in build) symlinkSync(build.link, join(target, 'build'), 'dir');
  if (build && 'release' in build) {
    mkdirSync(join(target, 'build', 'Release'), { recursive: true });
    for (const file of build.release) cpSync(file, join(target, 'build', 'Release', ADDON_FILE));
  }
  return target;
}
