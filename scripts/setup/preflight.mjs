#!/usr/bin/env node
// Makes sure the system has what a command needs (system-requirements.mjs) before it starts, so a
// fresh machine never fails minutes into a run. As root on Debian (or Ubuntu) it apt-installs what is
// missing, with daemon starts suppressed (redis-server must not take the port the stack starts its
// own on). Anywhere else, or when a missing part is not an apt package (Go), it stops at once with ONE
// message listing everything to install.
//
//   node scripts/setup/preflight.mjs <addon|demo|test> [--dry-run]
//
// --dry-run prints what it would install and installs nothing. To exercise the install and the message
// on a machine that has everything: KAFKA_LAMBDA_PRETEND_MISSING=libzstd-dev,go (requirement names)
// and KAFKA_LAMBDA_PRETEND_NOT_ROOT=1.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { missingFor } from './system-requirements.mjs';

const POLICY = '/usr/sbin/policy-rc.d';

/** What to do about `missing`: nothing, an apt-get install, or a message to stop with. */
export function plan(command, missing, { root, apt }) {
  if (missing.length === 0) return { action: 'none' };
  const packages = missing.filter((r) => r.apt).map((r) => r.name);
  const manual = missing.filter((r) => !r.apt);
  if (manual.length === 0 && root && apt) return { action: 'install', packages };
  const lines = [
    `kafka-lambda: \`pnpm ${command === 'addon' ? 'install' : command}\` needs what this machine lacks. Install it, then run the command again:`,
  ];
  if (packages.length > 0) {
    lines.push(`  ${root ? '' : 'sudo '}apt-get install -y --no-install-recommends ${packages.join(' ')}`);
    if (!apt) lines.push("  (Debian's package names: use your distribution's equivalents)");
  }
  for (const r of manual) lines.push(`  ${r.manual}`);
  lines.push(`(${missing.map((r) => `${r.name}: ${r.why}`).join('; ')})`);
  return { action: 'stop', packages, message: lines.join('\n') };
}

function aptInstall(packages) {
  // No package may start its daemon: the stack starts redis-server itself, on its own terms.
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (args) => spawnSync('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] }).status;
    // A fresh machine has no package lists yet; an update is cheap next to the install.
    if (apt(['update', '-qq']) !== 0) throw new Error('apt-get update failed');
    if (apt(['install', '-y', '-qq', '--no-install-recommends', ...packages]) !== 0)
      throw new Error(`apt-get install ${packages.join(' ')} failed`);
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
}

/** Checks (and, where it can, installs) what `command` needs. Returns false when the caller must stop. */
export async function preflight(command, { dryRun = false, log = console.error } = {}) {
  const pretend = (process.env.KAFKA_LAMBDA_PRETEND_MISSING ?? '').split(',').filter(Boolean);
  const missing = await missingFor(command, { pretend });
  const root = process.getuid?.() === 0 && process.env.KAFKA_LAMBDA_PRETEND_NOT_ROOT !== '1';
  const apt = existsSync('/etc/debian_version') && spawnSync('apt-get', ['--version']).status === 0;
  const step = plan(command, missing, { root, apt });
  if (step.action === 'none') return true;
  if (step.action === 'stop') {
    log(step.message);
    return false;
  }
  const list = step.packages.join(' ');
  if (dryRun) {
    log(`[setup] would run: apt-get install -y --no-install-recommends ${list}`);
    return true;
  }
  log(`[setup] installing with apt-get (root, Debian): ${list} — usually under a minute`);
  const started = Date.now();
  aptInstall(step.packages);
  const still = (await missingFor(command)).filter((r) => step.packages.includes(r.name));
  if (still.length > 0) {
    log(`[setup] installed, yet still missing: ${still.map((r) => r.name).join(' ')}`);
    return false;
  }
  log(`[setup] installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...flags] = process.argv.slice(2);
  try {
    process.exit((await preflight(command, { dryRun: flags.includes('--dry-run') })) ? 0 : 1);
  } catch (error) {
    console.error(`[setup] ${error.message}`);
    process.exit(2);
  }
}
