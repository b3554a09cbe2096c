#!/usr/bin/env node
// The public API of each published package, recorded by API Extractor in packages/<name>/etc/<name>.api.md.
//
//   node scripts/release/api-check.mjs             build, then fail if an API report differs from the
//                                                  committed one (CI: a changed API must be reviewed)
//   node scripts/release/api-check.mjs --update    build, then write the reports (accept the change)
//   --no-build                                     use the existing dist/ (e.g. right after `pnpm build`)
//
// The reports are made from the built declarations (dist/index.d.ts), i.e. what users' TypeScript sees.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { Extractor, ExtractorConfig, ExtractorLogLevel } = require('@microsoft/api-extractor');

const root = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'serdes', 'testing', 'local', 'observability', 'idempotency'];
// Entries whose API a package's root does not re-export get a report of their own:
// packages/<name>/api-extractor.<entry>.json -> etc/<name>-<entry>.api.md.
const EXTRA_ENTRIES = {
  core: ['producer', 'middleware', 'config', 'events', 'errors', 'serde'],
  observability: ['tracing'],
  testing: ['registry', 'idempotency'],
  idempotency: ['dynamodb', 'redis'],
};
const args = new Set(process.argv.slice(2));
const update = args.has('--update');
const build = !args.has('--no-build');
for (const arg of args) {
  if (!['--update', '--no-build'].includes(arg)) {
    console.error(`unknown option ${arg}; usage: api-check.mjs [--update] [--no-build]`);
    process.exit(2);
  }
}

if (build) {
  execFileSync('pnpm', ['--filter', './packages/*', 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const failures = [];
const reports = PACKAGES.flatMap((pkg) => [
  { pkg, name: pkg, entry: 'index', configName: 'api-extractor.json' },
  ...(EXTRA_ENTRIES[pkg] ?? []).map((entry) => ({
    pkg,
    name: `${pkg}-${entry}`,
    entry,
    configName: `api-extractor.${entry}.json`,
  })),
]);
for (const { pkg, name, entry, configName } of reports) {
  const dir = join(root, 'packages', pkg);
  const configFile = join(dir, configName);
  if (!existsSync(join(dir, 'dist', `${entry}.d.ts`))) {
    failures.push(`${name}: packages/${pkg}/dist/${entry}.d.ts is missing (run pnpm build)`);
    continue;
  }
  mkdirSync(join(dir, 'etc'), { recursive: true });
  const config = ExtractorConfig.loadFileAndPrepare(configFile);
  const warnings = [];
  const result = Extractor.invoke(config, {
    localBuild: update,
    showVerboseMessages: false,
    messageCallback(message) {
      // Quiet the banner lines; keep the findings, and collect warnings to show them in one place.
      if (message.logLevel === ExtractorLogLevel.Warning)
        warnings.push(message.formatMessageWithLocation(dir));
      if (message.logLevel !== ExtractorLogLevel.Error) message.handled = true;
    },
  });
  const report = `packages/${pkg}/etc/${name}.api.md`;
  for (const warning of warnings) console.warn(`  ${name}: ${warning}`);
  if (update) {
    console.log(
      `${result.apiReportChanged ? 'updated' : 'unchanged'} ${report}${result.succeeded ? '' : ' (with errors)'}`,
    );
    if (!result.succeeded) failures.push(`${name}: API Extractor reported errors`);
  } else if (result.apiReportChanged || !result.succeeded) {
    failures.push(
      result.apiReportChanged
        ? `${name}: the public API differs from ${report}; review it, then run \`pnpm api:update\` and commit the report`
        : `${name}: API Extractor reported errors`,
    );
  } else {
    console.log(`ok ${report}`);
  }
}

if (failures.length > 0) {
  console.error(`\napi-check failed:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exit(1);
}
