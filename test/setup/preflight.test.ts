// The fresh-machine preflight: what each command needs, and what happens when some of it is missing —
// an apt-get install as root on Debian, otherwise one message naming everything, before any work.
// The machine running this has everything, so "missing" is injected (KAFKA_LAMBDA_PRETEND_MISSING).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { plan } from '../../scripts/setup/preflight.mjs';
// @ts-expect-error plain ESM script without types
import { missingFor, requirements } from '../../scripts/setup/system-requirements.mjs';
import { partsUsedBy } from './parts-used-by.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const preflight = (command: string, env: Record<string, string>) =>
  spawnSync(process.execPath, ['scripts/setup/preflight.mjs', command, '--dry-run'], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });

interface Requirement {
  name: string;
  apt: boolean;
  for: string[];
}
const named = (...names: string[]) => (requirements as Requirement[]).filter((r) => names.includes(r.name));

describe('what each command needs', () => {
  it('the addon build needs the toolchain and every library a documented librdkafka feature needs', () => {
    const addon = (requirements as Requirement[]).filter((r) => r.for.includes('addon')).map((r) => r.name);
    expect(addon).toEqual([
      'build-essential',
      'python3',
      'libssl-dev',
      'libsasl2-dev',
      'zlib1g-dev',
      'libzstd-dev',
      'liblz4-dev',
      'libcurl4-openssl-dev',
    ]);
  });

  it('the demo needs what the addon needs plus its stack, but not redis-server; the tests need redis-server too', () => {
    const of = (command: string) =>
      (requirements as Requirement[]).filter((r) => r.for.includes(command)).map((r) => r.name);
    expect(of('demo')).toEqual(
      expect.arrayContaining([...of('addon'), 'openjdk-17-jdk-headless', 'maven', 'python3-venv', 'go']),
    );
    expect(of('demo')).not.toContain('redis-server');
    expect(of('test')).toEqual([...of('demo').slice(0, -1), 'redis-server', 'go']);
  });

  it('this machine has everything, and a pretended gap is reported as missing', async () => {
    expect(await missingFor('test')).toEqual([]);
    const missing = await missingFor('test', { pretend: ['libzstd-dev', 'go'] });
    expect(missing.map((r: Requirement) => r.name)).toEqual(['libzstd-dev', 'go']);
  });
});

describe('plan', () => {
  it('installs apt packages as root on Debian', () => {
    expect(plan('test', named('libzstd-dev', 'redis-server'), { root: true, apt: true })).toEqual({
      action: 'install',
      packages: ['libzstd-dev', 'redis-server'],
    });
  });

  it('stops with one message listing everything when it cannot install: not root, not Debian, or Go', () => {
    const notRoot = plan('demo', named('maven'), { root: false, apt: true });
    expect(notRoot.action).toBe('stop');
    expect(notRoot.message).toContain('sudo apt-get install -y --no-install-recommends maven');
    const notDebian = plan('demo', named('maven'), { root: true, apt: false });
    expect(notDebian.message).toContain("Debian's package names");
    const go = plan('test', named('redis-server', 'go'), { root: true, apt: true });
    expect(go.action).toBe('stop');
    expect(go.message).toContain('apt-get install -y --no-install-recommends redis-server');
    expect(go.message).toContain('Go 1.21 or newer');
  });

  it('does nothing when nothing is missing', () => {
    expect(plan('test', [], { root: false, apt: false })).toEqual({ action: 'none' });
  });
});

describe('the preflight command', () => {
  it('as root, prints the one apt-get install it would run, for exactly the missing packages', () => {
    const run = preflight('test', { KAFKA_LAMBDA_PRETEND_MISSING: 'libzstd-dev,redis-server' });
    expect(run.status).toBe(0);
    expect(run.stderr.trim()).toBe(
      '[setup] would run: apt-get install -y --no-install-recommends libzstd-dev redis-server',
    );
  });

  it('not as root, fails at once with one message', () => {
    const run = preflight('demo', {
      KAFKA_LAMBDA_PRETEND_MISSING: 'liblz4-dev,python3-venv',
      KAFKA_LAMBDA_PRETEND_NOT_ROOT: '1',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^kafka-lambda: `pnpm demo` needs what this machine lacks/);
    expect(run.stderr).toContain('sudo apt-get install -y --no-install-recommends liblz4-dev python3-venv\n');
  });
});

describe('on-demand stack parts', () => {
  it('a test file that names a part endpoint variable uses that part', () => {
    expect(partsUsedBy("const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';")).toEqual(['redis']);
    expect(partsUsedBy('const queryUrl = process.env.JAEGER_QUERY_URL;')).toEqual(['jaeger']);
    expect(partsUsedBy("import { brokers } from './support/kafka.js';")).toEqual([]);
  });
});
