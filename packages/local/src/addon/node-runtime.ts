// The Node.js an addon is for: the one running, another binary (`--node /path/to/node`), or a version
// (`--node 22`, `--node 24.22.3`) fetched from the npm registry's node-linux-<arch> package, which
// ships bin/node and the headers include/node an addon is compiled against. node-gyp compiles against
// whatever --nodedir (or a user's npmrc `nodedir`) names: headers of another Node give an addon of the
// wrong ABI without any error, so the headers are checked against the binary.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { CACHE } from './addon-cache.js';
import { AddonInstallError } from './errors.js';

/** A Node.js binary as an addon sees it. */
export interface NodeRuntime {
  node: string;
  version: string;
  /** NODE_MODULE_VERSION: 127 for Node 22, 137 for Node 24. */
  abi: string;
  platform: string;
  arch: string;
  libc: 'glibc' | 'musl';
  /** The prefix whose include/node holds this Node's headers, when it ships them. */
  nodedir: string | undefined;
}

const PROBE = `
const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
console.log(JSON.stringify({
  node: process.execPath, version: process.versions.node, abi: process.versions.modules,
  platform: process.platform, arch: process.arch, libc: glibc ? 'glibc' : 'musl',
}));`;

/**
 * Describes a node binary by running it.
 *
 * @example
 * ```ts
 * describeNode(process.execPath).abi; // '137' on Node 24
 * ```
 */
export function describeNode(node: string = process.execPath): NodeRuntime {
  let printed: string;
  try {
    printed = execFileSync(node, ['-e', PROBE], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
  } catch (error) {
    throw new AddonInstallError('no-node', `cannot run ${node}: ${(error as Error).message}`);
  }
  const runtime = JSON.parse(printed) as Omit<NodeRuntime, 'nodedir'>;
  return { ...runtime, nodedir: headersOf(runtime) };
}

/** "Node 24.22.3 (NODE_MODULE_VERSION 137, linux-x64-glibc)" */
export const runtimeLabel = (runtime: NodeRuntime): string =>
  `Node ${runtime.version} (NODE_MODULE_VERSION ${runtime.abi}, ${runtime.platform}-${runtime.arch}-${runtime.libc})`;

/**
 * The node binary `spec` names: undefined → the running one; `22` or `24.22.3` → that version from the
 * cache (<cache>/node/<version>, shared with the repository's scripts/runtimes/install-node.sh), else
 * fetched from the npm registry (node-linux-<arch>@<spec>); anything else → a path.
 *
 * @example
 * ```ts
 * const node = resolveNode('22', console.error); // ~/.cache/kafka-lambda/node/22.x.y/bin/node
 * ```
 */
export function resolveNode(spec: string | undefined, log: (line: string) => void): string {
  if (spec === undefined) return process.execPath;
  if (!/^\d+(\.\d+\.\d+)?$/.test(spec)) {
    if (!existsSync(spec)) throw new AddonInstallError('no-node', `--node ${spec}: no such file`);
    return spec;
  }
  const cached = cachedNode(spec);
  if (cached) return cached;
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch as string];
  if (process.platform !== 'linux' || !arch)
    throw new AddonInstallError(
      'no-node',
      `--node ${spec}: the npm registry's node-linux builds are for Linux x64 and arm64; pass the path of a node binary`,
    );
  log(
    `[addon] fetching Node ${spec} from the npm registry (node-linux-${arch}@${spec}) into ${join(CACHE, 'node')}`,
  );
  mkdirSync(join(CACHE, 'node'), { recursive: true });
  const work = mkdtempSync(join(CACHE, 'node', 'fetch-'));
  try {
    const tarball = execFileSync('npm', ['pack', '--loglevel=error', `node-linux-${arch}@${spec}`], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'], // npm's error is part of ours
    })
      .trim()
      .split('\n')
      .at(-1)!;
    mkdirSync(join(work, 'node'));
    execFileSync('tar', ['-xzf', tarball, '-C', 'node', '--strip-components=1'], { cwd: work });
    const version = execFileSync(join(work, 'node', 'bin', 'node'), ['-p', 'process.versions.node'], {
      encoding: 'utf8',
    }).trim();
    const prefix = join(CACHE, 'node', version);
    if (!existsSync(join(prefix, 'bin', 'node'))) {
      rmSync(prefix, { recursive: true, force: true });
      renameSync(join(work, 'node'), prefix);
    }
    return join(prefix, 'bin', 'node');
  } catch (error) {
    if (error instanceof AddonInstallError) throw error;
    const npmSaid = String((error as { stderr?: unknown }).stderr ?? '')
      .split('\n')
      .find((line) => /^npm (error|ERR!) [^c]/.test(line));
    throw new AddonInstallError(
      'no-node',
      `cannot fetch Node ${spec} from the npm registry: ${npmSaid ?? (error as Error).message}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The newest cached Node matching `spec` (a major or an exact version) with its headers. */
function cachedNode(spec: string): string | undefined {
  const root = join(CACHE, 'node');
  if (!existsSync(root)) return undefined;
  const matches = readdirSync(root)
    .filter((name) => name === spec || name.startsWith(`${spec}.`))
    .filter((name) => /^\d+\.\d+\.\d+$/.test(name))
    .filter((name) => existsSync(join(root, name, 'bin', 'node')))
    .filter((name) => existsSync(join(root, name, 'include', 'node', 'node_version.h')))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return matches.length > 0 ? join(root, matches.at(-1)!, 'bin', 'node') : undefined;
}

/**
 * The --nodedir of a Node: the prefix of its real binary (bin/node) when <prefix>/include/node holds
 * headers of the same NODE_MODULE_VERSION. nodejs.org tarballs, nvm's, Debian's /usr/bin/node and the
 * npm registry's node-linux-<arch> all ship them there.
 */
function headersOf({ node, abi }: { node: string; abi: string }): string | undefined {
  const prefix = dirname(dirname(realpathSync(node)));
  const header = join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(header)) return undefined;
  const declared = /#define NODE_MODULE_VERSION (\d+)/.exec(readFileSync(header, 'utf8'))?.[1];
  if (declared !== abi)
    throw new AddonInstallError(
      'no-headers',
      `${header} declares NODE_MODULE_VERSION ${declared} but ${node} is ${abi}: those headers belong to another Node`,
    );
  return prefix;
}
