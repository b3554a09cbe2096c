#!/usr/bin/env node
// Dependency audit for CI: fails on high or critical advisories, and says plainly when it could not
// check at all.
//
//   node scripts/audit.mjs            exit 1 on high/critical findings; exit 0 (with a loud warning)
//                                     when the advisory endpoint cannot be reached
//   AUDIT_STRICT=1 node scripts/audit.mjs   an unreachable endpoint also exits 1 (2)
//
// Why an unreachable endpoint is not a failure by default: some networks (this project's sandbox)
// reach the npm registry's package API but not its audit endpoints (they answer 405). A CI step
// that fails there would be red for a reason no commit can fix, and would be disabled. The script
// never reports "no vulnerabilities" in that case: it prints that nothing was checked, and
// AUDIT_STRICT=1 turns it into a failure where the endpoint is known to be reachable.
//
// Exit codes: 0 no high/critical finding (or endpoint unreachable, not strict); 1 high/critical
// findings; 2 endpoint unreachable (strict) or pnpm failed in an unexpected way.
import { spawnSync } from 'node:child_process';

const strict = process.env.AUDIT_STRICT === '1';
const run = spawnSync('pnpm', ['audit', '--audit-level', 'high', '--json'], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  timeout: 180_000,
});

if (run.error) {
  console.error(`audit: could not run pnpm (${run.error.message})`);
  process.exit(2);
}

let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = undefined;
}

// pnpm prints { error: { code, message } } when the endpoint fails (ERR_PNPM_AUDIT_BAD_RESPONSE for
// an HTTP error such as 405/5xx, network codes such as ENOTFOUND/ECONNREFUSED/ETIMEDOUT otherwise),
// or a bare FetchError stack when TLS fails (a proxy's certificate the process does not trust).
const error = report?.error;
const unreachable =
  error !== undefined ||
  (report === undefined &&
    /ERR_PNPM_AUDIT|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|responded with \d{3}|FetchError|certificate/i.test(
      `${run.stdout}\n${run.stderr}`,
    ));

if (unreachable) {
  const why = error ? `${error.code}: ${error.message}` : `${run.stderr || run.stdout}`.trim().slice(0, 500);
  console.error(
    [
      '::warning::pnpm audit could not reach the advisory endpoint — NO vulnerability check was done.',
      `  reason: ${why}`,
      strict
        ? '  AUDIT_STRICT=1: failing.'
        : '  Not failing the build for this (set AUDIT_STRICT=1 to fail); check advisories elsewhere.',
    ].join('\n'),
  );
  process.exit(strict ? 2 : 0);
}

if (!report?.metadata?.vulnerabilities) {
  console.error(
    `audit: unexpected pnpm audit output (exit ${run.status}):\n${(run.stdout + run.stderr).slice(0, 2000)}`,
  );
  process.exit(2);
}

const counts = report.metadata.vulnerabilities;
const severe = (counts.high ?? 0) + (counts.critical ?? 0);
const summary = ['critical', 'high', 'moderate', 'low', 'info']
  .map((level) => `${level} ${counts[level] ?? 0}`)
  .join(', ');
console.log(`audit: ${summary} (dependencies checked: ${report.metadata.totalDependencies ?? '?'})`);

if (severe > 0) {
  for (const advisory of Object.values(report.advisories ?? {})) {
    if (advisory.severity !== 'high' && advisory.severity !== 'critical') continue;
    const paths = (advisory.findings ?? []).flatMap((f) => f.paths ?? []).slice(0, 3);
    console.error(
      `  ${advisory.severity.toUpperCase()} ${advisory.module_name} ${advisory.vulnerable_versions}: ${advisory.title}` +
        ` (${advisory.url})${paths.length ? `\n    via ${paths.join(', ')}` : ''}`,
    );
  }
  process.exit(1);
}
process.exit(0);
