#!/usr/bin/env node
// The repository's native addon, by the published command: `kafka-lambda addon` of @kafka-lambda/local
// (packages/local/src/addon), run from its sources for the workspace. `pnpm install` (postinstall),
// `pnpm addon` and the commands' preflight (require-node.mjs) call this before any package is built,
// so the command's TypeScript is bundled here with esbuild (a devDependency, ~0.1 s) into the cache.
//
//   node scripts/addon/build.mjs [--node /path/to/node | 22 | 24] [--force] [--from-source] [--quiet]
//
// The package's own install script is not used: it runs once per install, builds into build/Release
// for whichever Node ran pnpm, and its `npm rebuild` keeps a binary of any ABI. The command links one
// build per Node ABI into every installed copy's lib/binding/ instead (see addon-cache.ts).
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const workspace = fileURLToPath(new URL('../..', import.meta.url));
const cache = process.env.KAFKA_LAMBDA_CACHE || join(homedir(), '.cache', 'kafka-lambda');
mkdirSync(cache, { recursive: true });
const compiled = join(cache, `addon-command.${process.pid}.mjs`);
await build({
  entryPoints: [join(workspace, 'packages/local/src/addon/addon-command.ts')],
  outfile: compiled,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'error',
});
try {
  const { runAddonCommand } = await import(pathToFileURL(compiled).href);
  process.exitCode = await runAddonCommand(process.argv.slice(2), { projectDir: workspace });
} finally {
  (await import('node:fs')).rmSync(compiled, { force: true });
}
