// Where built and downloaded addons are kept, one per package version and Node ABI, shared by every
// project of the machine (and by the repository's `pnpm install`, which runs this same code).
//
// A .node file is tied to one NODE_MODULE_VERSION (Node 22: 127, Node 24: 137). The package's loader
// (`bindings`) looks first in build/Release, which an install fills for one Node only, then in
// node-pre-gyp's per-ABI folder lib/binding/node-v<abi>-<platform>-<arch>/. So each ABI's build lives
// in the cache, outside node_modules (pnpm hard-links node_modules from its store: nothing there is
// written in place), and the package's lib/binding/ gets one symlink per ABI to it.
//
// <cache>/addons/kafka-javascript-<version>/node-v<abi>-<platform>-<arch>-<libc>/
//   Release/confluent-kafka-javascript.node   a source build's RUNPATH $ORIGIN/../deps finds:
//   deps/librdkafka.so.1, deps/librdkafka++.so.1  (a prebuilt binary links librdkafka statically)
//   build.json                                 where it came from: which Node and headers, or the download
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The cache root: $KAFKA_LAMBDA_CACHE, else ~/.cache/kafka-lambda.
 *
 * @example
 * ```ts
 * join(CACHE, 'addons'); // ~/.cache/kafka-lambda/addons
 * ```
 */
export const CACHE: string = process.env.KAFKA_LAMBDA_CACHE || join(homedir(), '.cache', 'kafka-lambda');
/** The native Kafka client's package name. */
export const NATIVE = '@confluentinc/kafka-javascript';
/** The file name of its addon. */
export const ADDON_FILE = 'confluent-kafka-javascript.node';

/** What identifies a build: the Node ABI, platform, architecture and C library. */
export interface AddonTarget {
  abi: string | number;
  platform: string;
  arch: string;
  libc: string;
}

/**
 * The folder name bindings looks for under lib/binding/ (node-pre-gyp's {node_abi}-{platform}-{arch}).
 *
 * @example
 * ```ts
 * bindingName({ abi: 137, platform: 'linux', arch: 'x64', libc: 'glibc' }); // 'node-v137-linux-x64'
 * ```
 */
export const bindingName = ({ abi, platform, arch }: AddonTarget): string =>
  `node-v${abi}-${platform}-${arch}`;

/**
 * The cache entry of one build.
 *
 * @example
 * ```ts
 * entryDir({ abi: 137, platform: 'linux', arch: 'x64', libc: 'glibc' }, '1.10.1'); // …/kafka-javascript-1.10.1/node-v137-linux-x64-glibc
 * ```
 */
export function entryDir(target: AddonTarget, version: string): string {
  return join(CACHE, 'addons', `kafka-javascript-${version}`, `${bindingName(target)}-${target.libc}`);
}

/**
 * The cached addon for `target`, or undefined when there is none.
 *
 * @example
 * ```ts
 * cachedAddon(describeNode(), '1.10.1'); // …/Release/confluent-kafka-javascript.node
 * ```
 */
export function cachedAddon(target: AddonTarget, version: string): string | undefined {
  const file = join(entryDir(target, version), 'Release', ADDON_FILE);
  return existsSync(file) ? file : undefined;
}

/**
 * Every cached build of `version` for this platform and architecture: `dir` holds Release/ (and deps/).
 *
 * @example
 * ```ts
 * cachedBuilds('1.10.1'); // [{ abi: '127', dir: … }, { abi: '137', dir: … }]
 * ```
 */
export function cachedBuilds(version: string): Array<{ abi: string; dir: string }> {
  const root = dirname(
    entryDir({ abi: 0, platform: process.platform, arch: process.arch, libc: 'x' }, version),
  );
  const suffix = `-${process.platform}-${process.arch}-`;
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ name, match: /^node-v(\d+)(-.+)$/.exec(name) }))
    .filter(
      ({ name, match }) =>
        match?.[2]?.startsWith(suffix) && existsSync(join(root, name, 'Release', ADDON_FILE)),
    )
    .map(({ name, match }) => ({ abi: match![1]!, dir: join(root, name) }));
}
