// Writing a cache entry: staged in a temporary directory, then moved into place in one rename, so a
// concurrent run (another project, CI's two runtimes) either wins or finds the entry complete.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ADDON_FILE, type AddonTarget, entryDir } from './addon-cache.js';

/**
 * Copies a build's addon (and librdkafka's shared libraries, for a source build) into `staging`.
 *
 * @example
 * ```ts
 * stageEntry(staging, 'package/build', { package: '@confluentinc/kafka-javascript@1.10.1', abi: '137' });
 * ```
 */
export function stageEntry(staging: string, build: string, info: Record<string, unknown>): void {
  mkdirSync(join(staging, 'Release'), { recursive: true });
  copyFileSync(join(build, 'Release', ADDON_FILE), join(staging, 'Release', ADDON_FILE));
  const deps = join(build, 'deps');
  for (const file of existsSync(deps) ? readdirSync(deps) : []) {
    if (!/^librdkafka(\+\+)?\.so\.\d+$/.test(file)) continue;
    mkdirSync(join(staging, 'deps'), { recursive: true });
    copyFileSync(join(deps, file), join(staging, 'deps', file));
  }
  writeFileSync(join(staging, 'build.json'), `${JSON.stringify(info, null, 2)}\n`);
}

/**
 * Moves a staged entry into place for `target`.
 *
 * @example
 * ```ts
 * commitEntry(staging, describeNode(), '1.10.1');
 * ```
 */
export function commitEntry(staging: string, target: AddonTarget, version: string): void {
  const dir = entryDir(target, version);
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(staging, dir);
  } catch (error) {
    if (!existsSync(join(dir, 'Release', ADDON_FILE))) throw error;
  }
  rmSync(staging, { recursive: true, force: true });
}
