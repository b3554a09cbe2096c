// `kafka-lambda addon` on a project of its own (a copy of the workspace's native client, no addon in
// it): the cache serves it and links it for the running Node; an install's addon for another Node in
// build/Release is moved out of the way; a source build that lacks system packages stops before it
// starts, naming them in one line; a prebuilt download that cannot be fetched says why.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { foreignBuild, nativeClientCopy, ownAddon } from '../../../test/support/native-client-copy.js';
import { ADDON_FILE, bindingName } from '../src/addon/addon-cache.js';
import { runAddonCommand } from '../src/addon/addon-command.js';
import { describeNode } from '../src/addon/node-runtime.js';
import { fetchPrebuilt } from '../src/addon/prebuilt.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A project with the native client's JavaScript; `build`: a cache entry copied in as its build/. */
function project(build?: string): { dir: string; pkg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-lambda-addon-'));
  dirs.push(dir);
  const pkg = nativeClientCopy(dir);
  if (build) cpSync(build, join(pkg, 'build'), { recursive: true });
  return { dir, pkg };
}

async function run(argv: string[], projectDir: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk) => (stdout += chunk));
  err.on('data', (chunk) => (stderr += chunk));
  const code = await runAddonCommand(argv, { projectDir, out, err });
  return { code, stdout, stderr };
}

/** What the project's own require() of the native client gives, in a fresh process. */
const loads = (dir: string) =>
  execFileSync(
    process.execPath,
    ['-p', "require('@confluentinc/kafka-javascript').features.includes('zstd')"],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '', NODE_PATH: '' },
    },
  ).trim();

describe('kafka-lambda addon', () => {
  it('links the cached addon for this Node into the project, which then loads it', async () => {
    const { dir, pkg } = project();
    expect(() => loads(dir)).toThrow(/Could not locate the bindings file/);
    const { code, stdout } = await run([], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/loads the cached addon \(librdkafka: .*zstd.*\)/);
    const link = join(pkg, 'lib', 'binding', bindingName(describeNode()));
    expect(readlinkSync(link)).toMatch(/kafka-javascript-[\d.]+\/node-v\d+-linux-x64-glibc\/Release$/);
    expect(loads(dir)).toBe('true');
  });

  it.skipIf(!foreignBuild())(
    "moves an install's addon for another Node out of build/Release, where the loader would pick it first",
    async () => {
      const foreign = foreignBuild()!;
      const { dir, pkg } = project(foreign.dir);
      expect(() => loads(dir)).toThrow(/NODE_MODULE_VERSION/);
      const { code } = await run(['--quiet'], dir);
      expect(code).toBe(0);
      expect(existsSync(join(pkg, 'build', 'Release', ADDON_FILE))).toBe(false);
      expect(loads(dir)).toBe('true');
    },
  );

  it('names every missing system package in one line before a source build, and builds nothing', async () => {
    const { dir } = project();
    process.env.KAFKA_LAMBDA_PRETEND_MISSING = 'libzstd-dev,libsasl2-dev';
    try {
      const started = Date.now();
      const { code, stderr } = await run(['--force', '--from-source'], dir);
      expect(code).toBe(1);
      expect(stderr).toBe(
        '[addon] missing for the source build: libsasl2-dev libzstd-dev ' +
          '(Debian/Ubuntu: apt-get install -y libsasl2-dev libzstd-dev; Fedora/RHEL/Amazon Linux: dnf install -y cyrus-sasl-devel libzstd-devel)\n',
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      delete process.env.KAFKA_LAMBDA_PRETEND_MISSING;
    }
  });

  it('reports the download error of a prebuilt binary that cannot be fetched', async () => {
    const { pkg } = project();
    const scratch = mkdtempSync(join(tmpdir(), 'kafka-lambda-prebuilt-'));
    dirs.push(scratch);
    process.env['npm_config_confluent_kafka-javascript_binary_host_mirror'] = 'http://127.0.0.1:9/';
    try {
      const got = await fetchPrebuilt(pkg, describeNode(), scratch);
      expect(got.ok).toBe(false);
      const lines = got.ok ? [] : got.lines;
      expect(lines[0]).toMatch(
        /^\[error\] install request to http:\/\/127\.0\.0\.1:9\/v[\d.]+\/confluent-kafka-javascript-v[\d.]+-node-v\d+-linux-glibc-x64\.tar\.gz failed, reason: connect ECONNREFUSED/,
      );
    } finally {
      delete process.env['npm_config_confluent_kafka-javascript_binary_host_mirror'];
    }
  });

  it('a bad argument is a usage error', async () => {
    const { code, stderr } = await run(['--nodes', '22'], tmpdir());
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--nodes'");
  });
});

// ownAddon is the workspace's: the cache's entry for this Node, which the tests above link.
it('the workspace loads its addon from the cache', () => {
  expect(ownAddon()).toMatch(/\.cache\/kafka-lambda\/addons\//);
});
