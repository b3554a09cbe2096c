#!/usr/bin/env node
// `pnpm install`'s postinstall: the system packages the native addon's build needs (preflight.mjs),
// then the addon built (or taken from the cache) for the Node that will run the project's commands
// (supported-node.mjs): on a machine whose `node` is 20, that is Node 24, not the Node running pnpm.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preflight } from './preflight.mjs';
import { supportedNode } from './supported-node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
if (!(await preflight('addon'))) process.exit(1);
const node = supportedNode();
const build = spawnSync(node, [join(root, 'scripts/addon/build.mjs'), '--node', node], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(build.status ?? 1);
