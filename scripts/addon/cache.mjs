// Where the workspace keeps @confluentinc/kafka-javascript's native addon, one build per Node ABI.
//
// A .node file is tied to one NODE_MODULE_VERSION (Node 22: 127, Node 24: 137). The package's loader
// (`bindings`) looks first in build/Release, which an install fills for one Node only, then in
// node-pre-gyp's per-ABI folder lib/binding/node-v<abi>-<platform>-<arch>/. So each ABI's build lives
// in the cache, outside node_modules (pnpm hard-links node_modules from its store: nothing here is
// ever written in place), and the package's lib/binding/ gets one symlink per ABI to it. Every Node
// then loads its own build from the same install, side by side.
//
// <cache>/addons/<package>-<version>/node-v<abi>-<platform>-<arch>-<libc>/
//   Release/confluent-kafka-javascript.node   RUNPATH $ORIGIN/../deps finds:
//   deps/librdkafka.so.1, deps/librdkafka++.so.1
//   build.json                                 which Node and headers it was built with
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NATIVE = '@confluentinc/kafka-javascript';
export const ADDON_FILE = 'confluent-kafka-javascript.node';
export const WORKSPACE = fileURLToPath(new URL('../..', import.meta.url));
export const CACHE = process.env.KAFKA_LAMBDA_CACHE || join(homedir(), '.cache', 'kafka-lambda');

/** The workspace's installed native client: its real directory inside node_modules/.pnpm. */
export function packageDir() {
  const require = createRequire(join(WORKSPACE, 'package.json'));
  let manifest;
  try {
    manifest = require.resolve(`${NATIVE}/package.json`);
  } catch {
    throw new Error(`${NATIVE} is not installed in ${WORKSPACE}: run \`pnpm install\` first`);
  }
  return realpathSync(dirname(manifest));
}

/**
 * Every installed copy of the package: pnpm makes one per set of resolved peers (e.g. the root's and
 * the example's), and each needs its lib/binding links.
 */
export function packageDirs() {
  const store = join(WORKSPACE, 'node_modules', '.pnpm');
  const copies = existsSync(store)
    ? readdirSync(store)
        .filter((name) => name.startsWith('@confluentinc+kafka-javascript@'))
        .map((name) => join(store, name, 'node_modules', NATIVE))
        .filter((dir) => existsSync(join(dir, 'package.json')))
    : [];
  return [...new Set([packageDir(), ...copies.map((dir) => realpathSync(dir))])];
}

export function packageVersion(dir = packageDir()) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

/** The folder name bindings looks for under lib/binding/ (node-pre-gyp's {node_abi}-{platform}-{arch}). */
export const bindingName = ({ abi, platform, arch }) => `node-v${abi}-${platform}-${arch}`;

/** The cache entry of one build: per package version, ABI, platform, architecture and libc. */
export function entryDir(runtime, version = packageVersion()) {
  return join(CACHE, 'addons', `kafka-javascript-${version}`, `${bindingName(runtime)}-${runtime.libc}`);
}

/** The cached addon for `runtime`, or undefined when it has not been built. */
export function cachedAddon(runtime, version = packageVersion()) {
  const file = join(entryDir(runtime, version), 'Release', ADDON_FILE);
  return existsSync(file) ? file : undefined;
}

/** Every cached build for this platform, architecture and libc: [{ abi, dir }] (dir holds Release/ and deps/). */
export function cachedBuilds(version = packageVersion()) {
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
    .map(({ name, match }) => ({ abi: match[1], dir: join(root, name) }));
}
