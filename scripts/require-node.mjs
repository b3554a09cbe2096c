#!/usr/bin/env node
// Runs a package script on a supported Node.js: `node scripts/require-node.mjs test:run`.
// The packages support Node.js 22 and 24 (Lambda's nodejs22.x / nodejs24.x). On an older Node (a
// fresh Debian machine ships 20) the native Kafka client would be built for the wrong ABI and the
// demo would hang or fail late. On Node 22+ the script simply runs; on an older one, Node 24 is
// fetched from the npm registry (scripts/runtimes/install-node.sh, cached), the native client is
// built for it (cached per ABI), and the script runs under it. Exits with the script's status.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = process.argv[2];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!script) {
  console.error('usage: node scripts/require-node.mjs <package script>');
  process.exit(2);
}
const run = (command, args, env = process.env) =>
  spawnSync(command, args, { cwd: root, env, stdio: 'inherit' }).status ?? 1;

const major = Number(process.versions.node.split('.')[0]);
if (major >= 22) process.exit(run('pnpm', ['run', script]));
if (process.env.KAFKA_LAMBDA_REEXEC) {
  console.error(
    `kafka-lambda needs Node.js 22 or 24; this is Node ${process.versions.node}. Use Node 24:\n` +
      '  export PATH="$(bash scripts/runtimes/install-node.sh 24)/bin:$PATH" && pnpm install',
  );
  process.exit(1);
}
console.error(
  `[kafka-lambda] Node ${process.versions.node} is older than the supported 22/24: running \`pnpm ${script}\` ` +
    'under Node 24 from the npm registry (cached in ~/.cache/kafka-lambda/node). To use it yourself:\n' +
    '  export PATH="$(bash scripts/runtimes/install-node.sh 24)/bin:$PATH"',
);
const prefix = execFileSync('bash', [join(root, 'scripts/runtimes/install-node.sh'), '24'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
}).trim();
const env = { ...process.env, PATH: `${prefix}/bin:${process.env.PATH}`, KAFKA_LAMBDA_REEXEC: '1' };
// The native client for Node 24's ABI (built once, then reused from the cache).
if (run(join(prefix, 'bin/node'), [join(root, 'scripts/addon/build.mjs')], env) !== 0) process.exit(1);
process.exit(run(join(prefix, 'bin/node'), [join(root, 'scripts/require-node.mjs'), script], env));
