// Builds the addon from the package's published sources, outside node_modules, against the headers of
// the Node it is for. librdkafka is linked as a shared library (CKJS_LINKING=dynamic): the static
// build downloads its dependencies' sources from their projects' sites, which is what fails where the
// prebuilt download fails too. npm_config_nodedir is set to THAT Node's headers: a user's npmrc
// `nodedir` (another Node's headers) would otherwise give an addon of the wrong ABI without an error.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { AddonInstallError } from './errors.js';
import { type NodeRuntime, runtimeLabel } from './node-runtime.js';

/**
 * Unpacks `@confluentinc/kafka-javascript@<version>` (npm pack) under `scratch` and builds it for
 * `runtime`; resolves with the build directory (Release/ and deps/). `log` gets a progress line every
 * 30 s; the build's output goes to `logFile`.
 *
 * @example
 * ```ts
 * const build = await buildFromSource({ runtime: describeNode(), version: '1.10.1', pkg, projectDir, scratch, logFile, log: console.log });
 * ```
 */
export async function buildFromSource(options: {
  runtime: NodeRuntime;
  version: string;
  pkg: string;
  projectDir: string;
  scratch: string;
  logFile: string;
  log: (line: string) => void;
}): Promise<string> {
  const { runtime, version, pkg, scratch, logFile, log } = options;
  const nodedir = headersDir(runtime);
  const nodeGyp = findNodeGyp(options.projectDir);
  const nan = dirname(dirname(resolveFrom(pkg, 'nan/package.json')));
  const work = mkdtempSync(join(scratch, 'build-'));
  const tarball = execFileSync('npm', ['pack', '--silent', `@confluentinc/kafka-javascript@${version}`], {
    cwd: work,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1)!;
  execFileSync('tar', ['-xzf', tarball], { cwd: work });
  const source = join(work, 'package');
  // No --jobs: the generated Makefile races librdkafka's configure step (librdkafka's own make is parallel).
  await run(runtime.node, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: source,
    logFile,
    log,
    env: {
      ...process.env,
      PATH: `${dirname(runtime.node)}${delimiter}${process.env.PATH}`, // gyp's actions run `node`
      NODE_PATH: nan, // binding.gyp's include_dirs: node -e "require('nan')"
      NODE_OPTIONS: '',
      CKJS_LINKING: 'dynamic',
      npm_config_nodedir: nodedir,
    },
  });
  return join(source, 'build');
}

/**
 * The prefix of `runtime`'s headers, or the error saying they are missing.
 *
 * @example
 * ```ts
 * headersDir(describeNode()); // '/usr/local' for /usr/local/bin/node
 * ```
 */
export function headersDir(runtime: NodeRuntime): string {
  if (runtime.nodedir) return runtime.nodedir;
  throw new AddonInstallError(
    'no-headers',
    `no headers for ${runtimeLabel(runtime)} next to ${runtime.node} (expected <prefix>/include/node): ` +
      'use a Node distribution that ships them (nodejs.org tarballs, nvm), or --node <major> to fetch one',
  );
}

function resolveFrom(dir: string, request: string): string {
  return createRequire(join(dir, 'package.json')).resolve(request);
}

/** node-gyp: the project's, else the one npm ships (every npm has it, for install scripts). */
function findNodeGyp(projectDir: string): string {
  try {
    return join(dirname(resolveFrom(projectDir, 'node-gyp/package.json')), 'bin', 'node-gyp.js');
  } catch {}
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const npm = join(dir, 'npm');
    if (!dir || !existsSync(npm)) continue;
    const bundled = join(
      dirname(dirname(realpathSync(npm))),
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    );
    if (existsSync(bundled)) return bundled;
  }
  throw new AddonInstallError('build-failed', 'node-gyp not found: npm install --save-dev node-gyp');
}

/** Runs the build with its output in `logFile`, and a progress line (time, last step) every 30 s. */
function run(
  command: string,
  argv: string[],
  {
    cwd,
    env,
    logFile,
    log,
  }: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; log: (line: string) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(command, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let last = '';
    const track = (chunk: Buffer) => {
      const lines = chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim());
      // Without the terminal colour codes librdkafka's configure prints.
      if (lines.length > 0) last = stripVTControlCharacters(lines.at(-1)!).trim().slice(0, 100);
    };
    child.stdout.on('data', track);
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const started = Date.now();
    const progress = setInterval(
      () => log(`[addon] building: ${Math.round((Date.now() - started) / 1000)} s — ${last}`),
      30_000,
    );
    child.once('error', (error) => {
      clearInterval(progress);
      reject(new AddonInstallError('build-failed', `cannot run ${command}: ${error.message}`));
    });
    child.once('close', (code) => {
      clearInterval(progress);
      out.end(() => {
        if (code === 0) return resolve();
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
        reject(
          new AddonInstallError(
            'build-failed',
            `node-gyp rebuild failed (exit ${code}); last lines of ${logFile}:\n${tail}`,
          ),
        );
      });
    });
  });
}
