// `kafka-lambda bundle` on a project of its own: a handler that imports the native client lazily and
// reads a .proto at module load through `new URL(…, import.meta.url)`. The bundle ships the addon of
// the cache, stripped; the .proto resolves from the bundle in a clean directory; an undeclared asset,
// the wrong architecture and a glibc newer than Amazon Linux 2023's each fail with the reason.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignBuild, nativeClientCopy } from '../../../test/support/native-client-copy.js';
import { installAddon } from '../src/addon/install-addon.js';
import { bundleFunction } from '../src/bundle/bundle-function.js';
import { readElfNeeds } from '../src/bundle/elf.js';
import { BundleError } from '../src/bundle/errors.js';
import { fitsTarget } from '../src/bundle/fits-target.js';
import { zipDirectory } from '../src/bundle/zip.js';

const HANDLER = `
import { readFileSync } from 'node:fs';
const proto = readFileSync(new URL('../proto/order.proto', import.meta.url), 'utf8');
export async function handler() {
  const { default: kafka } = await import('@confluentinc/kafka-javascript');
  return { proto: proto.length, features: kafka.features.length };
}
`;

const PROTO = 'syntax = "proto3";\nmessage Order { string id = 1; }\n';
let project: string;
const runtime = process.versions.node.startsWith('22.') ? 'nodejs22.x' : 'nodejs24.x';

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'kafka-lambda-bundle-'));
  writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(join(project, 'src'));
  mkdirSync(join(project, 'proto'));
  writeFileSync(join(project, 'src', 'handler.ts'), HANDLER);
  writeFileSync(join(project, 'proto', 'order.proto'), PROTO);
  nativeClientCopy(project);
  await installAddon({ projectDir: project }); // from the cache: the workspace's install put it there
}, 60_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

const fails = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  return error as BundleError;
};

describe('kafka-lambda bundle', () => {
  it('ships the stripped addon, resolves the declared .proto from the bundle, loads in a clean directory, zips', async () => {
    const report = await bundleFunction({
      projectDir: project,
      handler: 'src/handler.ts',
      assets: ['proto/order.proto'],
      zip: true,
      runtime,
    });
    expect(report.native?.bytesAfter).toBeLessThan(report.native!.bytesBefore);
    expect(report.native?.fit.problems).toEqual([]);
    expect(report.load).toMatchObject({ ok: true, nativeLoaded: true });
    expect(report.load.ok && report.load.features).toContain('zstd');
    expect(readFileSync(join(report.out, 'index.mjs'), 'utf8')).toContain(
      'new URL("./proto/order.proto",import.meta.url)',
    );

    // The zip holds the bundle at its root; unzipped elsewhere, its handler runs.
    const unzipped = mkdtempSync(join(tmpdir(), 'kafka-lambda-unzipped-'));
    try {
      execFileSync('unzip', ['-q', report.zip!.file, '-d', unzipped]);
      expect(statSync(join(unzipped, 'index.mjs')).isFile()).toBe(true);
      const result = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import('${unzipped}/index.mjs'); console.log(JSON.stringify(await m.handler()))`,
        ],
        { cwd: tmpdir(), encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      expect(JSON.parse(result)).toEqual({ proto: PROTO.length, features: expect.any(Number) });
    } finally {
      rmSync(unzipped, { recursive: true, force: true });
    }
  }, 60_000);

  it('fails the load check, naming the file, when the .proto is not declared', async () => {
    const error = await fails(
      bundleFunction({ projectDir: project, handler: 'src/handler.ts', out: 'dist/bare', runtime }),
    );
    expect(error.reason).toBe('does-not-load');
    expect(error.message).toMatch(/ENOENT: no such file or directory, open '.*\/proto\/order\.proto'/);
  }, 60_000);

  it('names an asset the code refers to but that was not declared', async () => {
    writeFileSync(
      join(project, 'src', 'lazy.ts'),
      "export async function handler() { return (await import('node:fs')).readFileSync(new URL('../proto/order.proto', import.meta.url), 'utf8'); }\n",
    );
    const report = await bundleFunction({
      projectDir: project,
      handler: 'src/lazy.ts',
      out: 'dist/lazy',
      runtime,
    });
    expect(report.warnings).toEqual([
      'src/lazy.ts refers to proto/order.proto, which is not declared with --asset: it is not in the bundle',
    ]);
    // Nothing imports the native client here: nothing of it is shipped.
    expect(report.native).toBeUndefined();
  }, 60_000);

  it.skipIf(!foreignBuild())(
    "bundles for the other runtime with that runtime's addon, loaded by a Node of that runtime",
    async () => {
      const other = runtime === 'nodejs24.x' ? 'nodejs22.x' : 'nodejs24.x';
      await installAddon({ projectDir: project, node: other === 'nodejs22.x' ? '22' : '24' });
      const report = await bundleFunction({
        projectDir: project,
        handler: 'src/handler.ts',
        assets: ['proto/order.proto'],
        out: 'dist/other',
        runtime: other,
      });
      expect(report.load).toMatchObject({ ok: true, nativeLoaded: true });
      expect(report.load.node).not.toBe(process.execPath);
      expect(
        execFileSync(report.load.node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim(),
      ).toBe(other === 'nodejs22.x' ? '127' : '137');
    },
    120_000,
  );

  it('refuses an addon for another architecture', async () => {
    const error = await fails(
      bundleFunction({
        projectDir: project,
        handler: 'src/handler.ts',
        assets: ['proto/order.proto'],
        runtime,
        arch: 'arm64',
      }),
    );
    // This machine has no arm64 addon: the command says where to get one.
    expect(error.reason).toBe('no-addon');
    expect(error.message).toContain('on arm64');
  });
});

describe('the target checks', () => {
  const release = () => join(project, 'node_modules', '@confluentinc', 'kafka-javascript', 'lib', 'binding');

  it('reads the architecture, libraries and newest GLIBC of the addon and librdkafka', () => {
    const addon = execFileSync('find', ['-L', release(), '-name', '*.node'], { encoding: 'utf8' })
      .trim()
      .split('\n')[0]!;
    const needs = readElfNeeds(addon);
    expect(needs.machine).toBe(62);
    expect(needs.libraries).toContain('libc.so.6');
    expect(needs.newest.GLIBC).toMatch(/^2\.\d+$/);
    expect(fitsTarget([addon], 'arm64').problems).toEqual([
      'confluent-kafka-javascript.node is built for x86_64, the function runs on arm64',
    ]);
  });

  it('a library needing GLIBC_2.39 does not fit Amazon Linux 2023', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-lambda-glibc-'));
    try {
      const addon = execFileSync('find', ['-L', release(), '-name', '*.node'], { encoding: 'utf8' })
        .trim()
        .split('\n')[0]!;
      // The same bytes with one version need renamed (same length): what a newer build system gives.
      const bytes = readFileSync(addon);
      const at = bytes.indexOf('GLIBC_2.29\0');
      expect(at).toBeGreaterThan(0);
      bytes.write('GLIBC_2.39', at, 'latin1');
      writeFileSync(join(dir, 'newer.node'), bytes);
      expect(readElfNeeds(join(dir, 'newer.node')).newest.GLIBC).toBe('2.39');
      expect(fitsTarget([join(dir, 'newer.node')], 'x86_64').problems).toEqual([
        "newer.node needs GLIBC_2.39; Amazon Linux 2023 (Lambda's nodejs22.x/nodejs24.x) has GLIBC up to 2.34: build it on an older system (or in the Lambda build image)",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('zips a directory that unzip reads back byte for byte, with modes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-lambda-zip-'));
    try {
      mkdirSync(join(dir, 'in', 'a', 'b'), { recursive: true });
      writeFileSync(join(dir, 'in', 'index.mjs'), 'export const handler = () => 1;\n');
      writeFileSync(join(dir, 'in', 'a', 'b', 'lib.so'), Buffer.alloc(100_000, 7), { mode: 0o755 });
      zipDirectory(join(dir, 'in'), join(dir, 'x.zip'));
      execFileSync('unzip', ['-q', join(dir, 'x.zip'), '-d', join(dir, 'out')]);
      expect(readFileSync(join(dir, 'out', 'a', 'b', 'lib.so')).equals(Buffer.alloc(100_000, 7))).toBe(true);
      expect(statSync(join(dir, 'out', 'a', 'b', 'lib.so')).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(dir, 'out', 'index.mjs'), 'utf8')).toBe('export const handler = () => 1;\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
