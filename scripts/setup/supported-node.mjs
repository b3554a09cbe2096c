// The Node.js that runs the project's commands: the one running now when it is 22 or newer (Lambda's
// nodejs22.x / nodejs24.x), otherwise Node 24 from the npm registry (scripts/runtimes/install-node.sh,
// cached). `pnpm install` builds the native addon for that Node, and `pnpm demo` / `pnpm test` run
// under it, so a machine whose `node` is older (Debian 12's is 20) builds the addon once, for 24.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const isSupported = (version = process.versions.node) => Number(version.split('.')[0]) >= 22;

/** Path of the node binary to use; fetches Node 24 (announcing it) when the running one is too old. */
export function supportedNode({ log = console.error } = {}) {
  if (isSupported()) return process.execPath;
  log(
    `[kafka-lambda] Node ${process.versions.node} is older than the supported 22/24: using Node 24 from the npm ` +
      'registry (cached in ~/.cache/kafka-lambda/node). To use it yourself:\n' +
      '  export PATH="$(bash scripts/runtimes/install-node.sh 24)/bin:$PATH"',
  );
  const prefix = execFileSync('bash', [join(root, 'scripts/runtimes/install-node.sh'), '24'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  }).trim();
  return join(prefix, 'bin', 'node');
}
