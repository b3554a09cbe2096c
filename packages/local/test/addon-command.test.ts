// `kafka-lambda addon` on a project of its own (a copy of the workspace's native client, no addon in
// it): the cache serves it and links it for the running Node; an install's addon for another Node in
// build/Release is moved out of the way; a source build that lacks system packages stops before it
// starts, naming them in one line; a prebuilt download that cannot be fetched says why.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { foreignBuild, nativeClientCopy, ownAddon } from '../../../test/support/native-client-copy.js';
import { ADDON_FILE, bindingName } from '../src/addon/addon-cache.js';
import { runAddonCommand } from '../src/addon/addon-command.js';
import { nativePackageDir, packageVersion } from '../src/addon/native-package.js';
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

// The prebuilt download for real, from a mirror (node-pre-gyp's file:// host) holding a tarball laid
// out as the package's releases are: the cached addon of this Node, without librdkafka beside it. It
// loads when LD_LIBRARY_PATH finds librdkafka (a download that works), and does not load otherwise,
// which must lead to the source build, not to a failure. A cache of its own: nothing shared is written.
describe('kafka-lambda addon with a prebuilt binary to download', () => {
  const MIRROR = 'npm_config_confluent_kafka-javascript_binary_host_mirror';
  const saved = { ...process.env };
  let cache: string;
  let command: typeof runAddonCommand;
  let cachedEntry: string;

  beforeAll(async () => {
    const own = ownAddon(); // …/node-v<abi>-<platform>-<arch>-glibc/Release/confluent-kafka-javascript.node
    cachedEntry = dirname(dirname(own));
    const version = packageVersion(
      nativePackageDir(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')),
    );
    cache = mkdtempSync(join(tmpdir(), 'kafka-lambda-addon-cache-'));
    const mirror = join(cache, 'mirror');
    const staged = join(cache, 'tarball', 'Release');
    mkdirSync(staged, { recursive: true });
    cpSync(own, join(staged, ADDON_FILE));
    mkdirSync(join(mirror, `v${version}`), { recursive: true });
    execFileSync('tar', [
      '-czf',
      join(
        mirror,
        `v${version}`,
        `confluent-kafka-javascript-v${version}-node-v${process.versions.modules}-linux-glibc-${process.arch}.tar.gz`,
      ),
      '-C',
      join(cache, 'tarball'),
      'Release',
    ]);
    process.env.KAFKA_LAMBDA_CACHE = cache;
    process.env[MIRROR] = `file://${mirror}/`;
    vi.resetModules(); // the cache directory is read when the module loads
    ({ runAddonCommand: command } = await import('../src/addon/addon-command.js'));
  });

  afterAll(() => {
    process.env = saved;
    vi.resetModules();
    rmSync(cache, { recursive: true, force: true });
  });

  async function runIn(dir: string, argv: string[]) {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (chunk) => (stdout += chunk));
    err.on('data', (chunk) => (stderr += chunk));
    const code = await command(argv, { projectDir: dir, out, err });
    return { code, stdout, stderr };
  }

  it('downloads it, checks it, caches it and links it', async () => {
    const { dir } = project();
    process.env.LD_LIBRARY_PATH = join(cachedEntry, 'deps');
    try {
      const { code, stdout, stderr } = await runIn(dir, []);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toContain('[addon] downloaded the prebuilt addon for Node');
      expect(stdout).toMatch(/loads the prebuilt addon \(librdkafka: .*zstd/);
      const entry = join(cache, 'addons', basename(dirname(cachedEntry)), basename(cachedEntry));
      expect(JSON.parse(readFileSync(join(entry, 'build.json'), 'utf8')).prebuilt).toMatch(
        /\/mirror\/v[\d.]+\/confluent-kafka-javascript-v[\d.]+-node-v\d+-linux-glibc-\w+\.tar\.gz$/,
      );
      expect(loads(dir)).toBe('true');
    } finally {
      delete process.env.LD_LIBRARY_PATH;
    }
  });

  it('one that does not load leads to the source build (here: stopped by the missing packages)', async () => {
    const { dir } = project();
    process.env.KAFKA_LAMBDA_PRETEND_MISSING = 'liblz4-dev';
    try {
      const { code, stdout, stderr } = await runIn(dir, ['--force']);
      expect(code).toBe(1);
      expect(stdout).toMatch(
        /\[addon\] the prebuilt addon for Node .* does not load: Error: librdkafka\.so\.1: cannot open shared object file: No such file or directory: building from source instead/,
      );
      expect(stderr).toMatch(/^\[addon\] missing for the source build: liblz4-dev \(/);
    } finally {
      delete process.env.KAFKA_LAMBDA_PRETEND_MISSING;
    }
  });
});
