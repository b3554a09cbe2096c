// The project's installed @confluentinc/kafka-javascript: every copy of it, because pnpm makes one per
// set of resolved peers (the repository has the root's and the example's) and each needs its links.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { NATIVE } from './addon-cache.js';
import { AddonInstallError } from './errors.js';

/**
 * The real directory of the native client as `projectDir` resolves it.
 *
 * @example
 * ```ts
 * nativePackageDir(process.cwd()); // …/node_modules/@confluentinc/kafka-javascript
 * ```
 */
export function nativePackageDir(projectDir: string): string {
  try {
    const manifest = createRequire(join(projectDir, 'package.json')).resolve(`${NATIVE}/package.json`);
    return realpathSync(dirname(manifest));
  } catch {
    throw new AddonInstallError(
      'not-installed',
      `${NATIVE} is not installed in ${projectDir}: npm install ${NATIVE} (its install may fail where its prebuilt binary cannot be downloaded: this command then builds it)`,
    );
  }
}

/**
 * Every installed copy: the one `projectDir` resolves, and pnpm's others under node_modules/.pnpm.
 *
 * @example
 * ```ts
 * nativePackageDirs(process.cwd()).length; // 1 with npm
 * ```
 */
export function nativePackageDirs(projectDir: string): string[] {
  const store = join(projectDir, 'node_modules', '.pnpm');
  const copies = existsSync(store)
    ? readdirSync(store)
        .filter((name) => name.startsWith('@confluentinc+kafka-javascript@'))
        .map((name) => join(store, name, 'node_modules', NATIVE))
        .filter((dir) => existsSync(join(dir, 'package.json')))
        .map((dir) => realpathSync(dir))
    : [];
  return [...new Set([nativePackageDir(projectDir), ...copies])];
}

/**
 * The version of an installed copy.
 *
 * @example
 * ```ts
 * packageVersion(nativePackageDir(process.cwd())); // '1.10.1'
 * ```
 */
export function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
