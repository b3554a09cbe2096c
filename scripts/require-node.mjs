#!/usr/bin/env node
// Runs a package script with everything it needs in place: `node scripts/require-node.mjs test:run`.
// 1. The system packages of the command the script belongs to (`test:run` → test, `demo:run` → demo):
//    installed as root on Debian, otherwise one message saying what to install (setup/preflight.mjs).
// 2. A supported Node (22 or 24, Lambda's runtimes): the running one, or Node 24 from the npm registry
//    when it is older (setup/supported-node.mjs); the script then runs under that Node.
// 3. The native Kafka client for that Node: normally built by `pnpm install` already, so this only
//    checks it (a second or so); after a switch of Node it is built once here.
// Exits with the script's status.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preflight } from './setup/preflight.mjs';
import { supportedNode } from './setup/supported-node.mjs';
import { COMMANDS } from './setup/system-requirements.mjs';

const script = process.argv[2];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!script) {
  console.error('usage: node scripts/require-node.mjs <package script>');
  process.exit(2);
}
const run = (command, args, env = process.env) =>
  spawnSync(command, args, { cwd: root, env, stdio: 'inherit' }).status ?? 1;

const command = script.split(':')[0];
if (COMMANDS.includes(command) && !(await preflight(command))) process.exit(1);
const node = supportedNode();
const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
if (run(node, [join(root, 'scripts/addon/build.mjs'), '--quiet'], env) !== 0) process.exit(1);
process.exit(run('pnpm', ['run', script], env));
