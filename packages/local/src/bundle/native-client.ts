// Ships @confluentinc/kafka-javascript beside the bundle (a bundler cannot inline a .node addon): its
// JavaScript, the two packages its loader needs (bindings, file-uri-to-path), and the addon built for
// the function's runtime and architecture in build/Release, where the loader looks first. A source
// build's librdkafka goes to build/deps, where the addon's RUNPATH ($ORIGIN/../deps) finds it. Both
// are stripped of debug symbols (a source build's librdkafka is 13 MB of them).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ADDON_FILE, bindingName, cachedAddon, NATIVE } from '../addon/addon-cache.js';
import { nativePackageDir, packageVersion } from '../addon/native-package.js';
import { BundleError } from './errors.js';
import {
  LAMBDA_ARCHITECTURES,
  LAMBDA_RUNTIMES,
  type LambdaArchitecture,
  type LambdaRuntime,
} from './lambda-runtime.js';

/** The shipped native files, their sizes before and after strip. */
export interface ShippedNative {
  /** The addon and librdkafka in the bundle. */
  binaries: string[];
  /** Where the addon came from. */
  from: string;
  bytesBefore: number;
  bytesAfter: number;
  /** Why nothing was stripped, when strip could not run. */
  stripSkipped?: string;
}

/**
 * The installed addon for `runtime` and `arch`: node-pre-gyp's per-ABI folder lib/binding/ (where
 * `kafka-lambda addon` links one per Node), build/Release when the running Node is of that ABI and
 * architecture, else the cache.
 *
 * @example
 * ```ts
 * findAddon(nativePackageDir(process.cwd()), 'nodejs24.x', 'x86_64'); // …/node-v137-linux-x64-glibc/Release/confluent-kafka-javascript.node
 * ```
 */
export function findAddon(pkg: string, runtime: LambdaRuntime, arch: LambdaArchitecture): string {
  const target = {
    abi: LAMBDA_RUNTIMES[runtime].abi,
    platform: 'linux',
    arch: LAMBDA_ARCHITECTURES[arch].node,
    libc: 'glibc',
  };
  const perAbi = join(pkg, 'lib', 'binding', bindingName(target), ADDON_FILE);
  if (existsSync(perAbi)) return realpathSync(perAbi);
  const installed = join(pkg, 'build', 'Release', ADDON_FILE);
  if (
    existsSync(installed) &&
    process.versions.modules === target.abi &&
    process.arch === target.arch &&
    process.platform === 'linux'
  )
    return realpathSync(installed);
  const cached = cachedAddon(target, packageVersion(pkg));
  if (cached) return cached;
  const major = LAMBDA_RUNTIMES[runtime].major;
  throw new BundleError(
    'no-addon',
    `no ${NATIVE} addon for ${runtime} on ${arch} (NODE_MODULE_VERSION ${target.abi}, linux-${target.arch}) in ${pkg}: ` +
      (process.arch === target.arch
        ? `run \`npx kafka-lambda addon --node ${major}\` first`
        : `build or download it on a linux-${target.arch} machine (\`npx kafka-lambda addon --node ${major}\` there), or in the Lambda build image of ${runtime}`),
  );
}

/**
 * Copies the native client for `runtime`/`arch` into `<out>/node_modules` and strips its binaries.
 *
 * @example
 * ```ts
 * const shipped = shipNativeClient(process.cwd(), 'dist/lambda', 'nodejs24.x', 'x86_64');
 * console.log(shipped.bytesBefore, shipped.bytesAfter); // 16_330_248 4_061_936
 * ```
 */
export function shipNativeClient(
  projectDir: string,
  out: string,
  runtime: LambdaRuntime,
  arch: LambdaArchitecture,
): ShippedNative {
  const pkg = nativePackageDir(projectDir);
  const addon = findAddon(pkg, runtime, arch);
  const shipped = join(out, 'node_modules', NATIVE);
  // Its JavaScript only: not its 200 MB of librdkafka sources, nor lib/binding's links to other ABIs.
  for (const part of ['package.json', 'librdkafka.js', 'lib', 'LICENSE.txt'])
    if (existsSync(join(pkg, part)))
      cpSync(join(pkg, part), join(shipped, part), {
        recursive: true,
        dereference: true,
        filter: (path) => !path.startsWith(join(pkg, 'lib', 'binding')),
      });
  const requireFrom = (dir: string) => createRequire(join(dir, 'package.json'));
  const bindings = dirname(requireFrom(pkg).resolve('bindings/package.json'));
  cpSync(bindings, join(out, 'node_modules', 'bindings'), { recursive: true, dereference: true });
  const fileUri = dirname(requireFrom(bindings).resolve('file-uri-to-path/package.json'));
  cpSync(fileUri, join(out, 'node_modules', 'file-uri-to-path'), { recursive: true, dereference: true });

  const binaries = [join(shipped, 'build', 'Release', ADDON_FILE)];
  mkdirSync(dirname(binaries[0]!), { recursive: true });
  cpSync(addon, binaries[0]!);
  for (const library of ['librdkafka.so.1', 'librdkafka++.so.1']) {
    const file = join(dirname(addon), '..', 'deps', library);
    if (!existsSync(file)) continue;
    binaries.push(join(shipped, 'build', 'deps', library));
    cpSync(file, binaries.at(-1)!);
  }
  const size = () => binaries.reduce((n, file) => n + statSync(file).size, 0);
  const bytesBefore = size();
  const stripped = spawnSync('strip', ['--strip-unneeded', ...binaries], { encoding: 'utf8' });
  const stripSkipped = stripped.error
    ? `strip not found (${stripped.error.message}): install binutils`
    : stripped.status !== 0
      ? `strip failed: ${stripped.stderr.trim()}`
      : undefined;
  return {
    binaries,
    from: addon,
    bytesBefore,
    bytesAfter: size(),
    ...(stripSkipped ? { stripSkipped } : {}),
  };
}
