// Consumer projects for the published packages: `pnpm pack` each package once per content (shared by
// every test file of a run, and by later runs while dist/ is unchanged), then install the tarballs
// with npm into fresh projects under the OS temp dir, outside the workspace, where nothing of the
// workspace can be resolved by accident.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const WORKSPACE = fileURLToPath(new URL('../../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
export const PACKAGES = ['core', 'serdes', 'testing', 'local', 'observability', 'idempotency'] as const;
export type PackageName = (typeof PACKAGES)[number];
export const NATIVE_CLIENT = '@confluentinc/kafka-javascript';

const workspaceRequire = createRequire(join(WORKSPACE, 'package.json'));
/** The workspace's TypeScript (the consumer projects do not install one). */
export const TSC = workspaceRequire.resolve('typescript/bin/tsc');
/** The workspace's built native client (it cannot be installed fresh here: no prebuilt download). */
export const NATIVE_CLIENT_DIR = realpathSync(
  dirname(
    createRequire(join(WORKSPACE, 'packages', 'core', 'package.json')).resolve(
      `${NATIVE_CLIENT}/package.json`,
    ),
  ),
);

export interface Packed {
  dir: string;
  tarballs: Record<PackageName, string>;
}

let packing: Promise<Packed> | undefined;

/**
 * The packages packed with `pnpm pack` (which rewrites `workspace:^`), cached under the OS temp
 * dir by a hash of what goes into the tarballs: one pack per content, whatever the number of test files.
 */
export function packedPackages(): Promise<Packed> {
  packing ??= pack();
  return packing;
}

async function pack(): Promise<Packed> {
  const hash = createHash('sha256');
  for (const name of PACKAGES) {
    const dir = join(WORKSPACE, 'packages', name);
    if (!existsSync(join(dir, 'dist', 'index.js')))
      throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` before the consumer tests`);
    for (const file of filesOf(dir, [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'bin',
      'dist',
    ])) {
      hash.update(relative(WORKSPACE, file)).update(readFileSync(file));
    }
  }
  const base = join(tmpdir(), 'kafka-lambda-consumer-packs');
  const dir = join(base, hash.digest('hex').slice(0, 16));
  const tarballs = Object.fromEntries(
    PACKAGES.map((name) => [name, join(dir, `kafka-lambda-${name}-${version(name)}.tgz`)]),
  ) as Record<PackageName, string>;
  if (Object.values(tarballs).every((file) => existsSync(file))) return { dir, tarballs };

  mkdirSync(base, { recursive: true });
  const scratch = mkdtempSync(join(base, 'tmp-'));
  await Promise.all(
    PACKAGES.map((name) =>
      run('pnpm', ['pack', '--pack-destination', scratch], {
        cwd: join(WORKSPACE, 'packages', name),
        env: cleanEnv(),
      }),
    ),
  );
  try {
    renameSync(scratch, dir); // atomic: a concurrent test file either wins or finds it done
  } catch {
    rmSync(scratch, { recursive: true, force: true });
  }
  for (const file of Object.values(tarballs))
    if (!existsSync(file)) throw new Error(`pnpm pack did not produce ${file}`);
  return { dir, tarballs };
}

function version(name: PackageName): string {
  const pkg = JSON.parse(readFileSync(join(WORKSPACE, 'packages', name, 'package.json'), 'utf8'));
  return pkg.version as string;
}

function filesOf(dir: string, entries: string[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry);
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) out.push(...filesOf(path, readdirSync(path).sort()));
    else out.push(path);
  }
  return out;
}

/**
 * The environment without the npm_* variables pnpm sets for scripts (they would configure the nested
 * npm) and without NODE_PATH; registry, proxy and CA settings are kept.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') && !/registry|proxy|cafile|strict_ssl|userconfig|cache$/.test(lower))
      continue;
    // NODE_PATH: pnpm's bin shims (vitest's) set it to the workspace's node_modules/.pnpm/node_modules,
    // where require() would find what the project did not install (the optional peers, for one).
    if (
      key === 'NODE_OPTIONS' ||
      key === 'NODE_PATH' ||
      key.startsWith('VITEST') ||
      key === 'TS_NODE_PROJECT'
    )
      continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface ConsumerProject {
  readonly dir: string;
  /** Runs `command` in the project; resolves with its output, rejects with it on a non-zero exit. */
  exec(
    command: string,
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ stdout: string; stderr: string }>;
  /** The workspace's TypeScript compiler on this project's tsconfig.json. */
  tsc(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Runs a script with node and returns the object of its `RESULT <json>` line. */
  result<T = unknown>(script: string, args?: string[], env?: Record<string, string>): Promise<T>;
  remove(): void;
}

export interface ConsumerProjectOptions {
  type: 'module' | 'commonjs';
  /** Project path → fixture path (relative to test/consumer/fixtures). */
  files: Record<string, string>;
  /** Link the workspace's built native Kafka client into node_modules. */
  nativeClient?: boolean;
  /** Which of our tarballs to install. Default all of {@link PACKAGES}. */
  packages?: readonly PackageName[];
  /** More packages from the registry (npm specs), e.g. `zod@^4`. */
  dependencies?: readonly string[];
}

/**
 * A fresh project in the OS temp dir with our tarballs (and the type packages a Lambda project
 * in TypeScript has) installed by npm. npm installs the tarballs' dependencies (avsc, protobufjs) from
 * the registry, preferring its cache, and skips install scripts; the native Kafka client is linked
 * from the workspace, where it was built from source.
 */
export async function createConsumerProject(
  name: string,
  { type, files, nativeClient = false, packages = PACKAGES, dependencies = [] }: ConsumerProjectOptions,
): Promise<ConsumerProject> {
  const { tarballs } = await packedPackages();
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `kafka-lambda-consumer-${name}-`)));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `consumer-${name}`, version: '0.0.0', private: true, type }, null, 2)}\n`,
  );
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    cpSync(join(FIXTURES, from), join(dir, to));
  }
  const exec = async (command: string, args: string[], env: Record<string, string> = {}) => {
    try {
      return await run(command, args, { cwd: dir, env: cleanEnv(env), maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const {
        stdout = '',
        stderr = '',
        message,
      } = error as { stdout?: string; stderr?: string; message: string };
      // Without tsc's --listFiles lines: the diagnostics are what matters.
      const shown = stdout
        .split('\n')
        .filter((line) => !/^\/\S+\.(d\.ts|d\.cts|d\.mts|ts|js|cjs|mjs)$/.test(line))
        .join('\n');
      throw new Error(`${message}\n--- stdout\n${shown}\n--- stderr\n${stderr}`);
    }
  };
  await exec('npm', [
    'install',
    '--ignore-scripts',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...packages.map((pkg) => tarballs[pkg]),
    '@types/node@22',
    '@types/aws-lambda@^8.10',
    ...dependencies,
  ]);
  if (nativeClient) {
    mkdirSync(join(dir, 'node_modules', '@confluentinc'), { recursive: true });
    symlinkSync(NATIVE_CLIENT_DIR, join(dir, 'node_modules', NATIVE_CLIENT), 'dir');
  }
  const result = async <T>(script: string, args: string[] = [], env: Record<string, string> = {}) => {
    const { stdout } = await exec(process.execPath, [script, ...args], env);
    return parseResult<T>(stdout);
  };
  return {
    dir,
    exec,
    tsc: (...args: string[]) => exec(process.execPath, [TSC, ...args]),
    result,
    remove() {
      if (process.env.KAFKA_LAMBDA_KEEP_CONSUMER_PROJECTS !== '1')
        rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The object a fixture printed as `RESULT <json>`. */
export function parseResult<T>(stdout: string): T {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line in the output:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

/** Files tsc read (`--listFiles` output), relative to the project, only those of our packages. */
export function ourDeclarations(listFiles: string, dir: string): string[] {
  return listFiles
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.includes('/node_modules/@kafka-lambda/'))
    .map((line) => relative(dir, line))
    .sort();
}

/** The package.json inside a tarball, and the tarball's file list (paths without `package/`). */
export async function readTarball(
  tarball: string,
): Promise<{ manifest: Record<string, unknown>; files: string[] }> {
  const [{ stdout: manifest }, { stdout: list }] = await Promise.all([
    run('tar', ['-xzOf', tarball, 'package/package.json']),
    run('tar', ['-tzf', tarball]),
  ]);
  return {
    manifest: JSON.parse(manifest) as Record<string, unknown>,
    files: list
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''))
      .sort(),
  };
}
