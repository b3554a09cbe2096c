// `kafka-lambda addon`: a working @confluentinc/kafka-javascript addon for the Node that will run it.
// In order: the cache (per package version and Node ABI), the package's prebuilt binary, a build from
// source. Whatever supplies it must load in that Node and have every librdkafka feature the SDK
// documents; then each installed copy of the package gets a lib/binding/node-v<abi>-<platform>-<arch>
// link to the cache entry, where the package's loader finds it for that ABI.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ADDON_FILE, bindingName, CACHE, cachedAddon, entryDir } from './addon-cache.js';
import { commitEntry, stageEntry } from './cache-entry.js';
import { AddonInstallError } from './errors.js';
import { featuresError, missingFeatures } from './features.js';
import { nativePackageDirs, packageVersion } from './native-package.js';
import { describeNode, type NodeRuntime, resolveNode, runtimeLabel } from './node-runtime.js';
import { fetchPrebuilt } from './prebuilt.js';
import { type ProbeResult, probeLoad } from './probe-load.js';
import { buildFromSource, headersDir } from './source-build.js';
import { missingBuildPackages } from './system-packages.js';

/** Options of {@link installAddon}. */
export interface InstallAddonOptions {
  /** The project whose node_modules holds the native client. */
  projectDir: string;
  /** A node binary's path or a version (`22`, `24.22.3`). Default: the running Node. */
  node?: string;
  /** Ignore the cache: download or build again. */
  force?: boolean;
  /** Skip the prebuilt download. */
  fromSource?: boolean;
  /** Progress lines (stdout). Errors are thrown, never logged. */
  log?: (line: string) => void;
}

/** Where the addon came from, and where it is now. */
export interface InstalledAddon {
  source: 'cache' | 'prebuilt' | 'source';
  addon: string;
  runtime: NodeRuntime;
  features: string[];
  links: string[];
  seconds: number;
}

/**
 * Provides the addon for one Node in every installed copy of the package.
 *
 * @example
 * ```ts
 * const { source, addon } = await installAddon({ projectDir: process.cwd(), node: '22' });
 * console.log(source, addon); // 'cache' ~/.cache/kafka-lambda/addons/…/confluent-kafka-javascript.node
 * ```
 */
export async function installAddon(options: InstallAddonOptions): Promise<InstalledAddon> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const copies = nativePackageDirs(options.projectDir);
  const version = packageVersion(copies[0]!);
  for (const dir of copies)
    if (packageVersion(dir) !== version)
      throw new AddonInstallError(
        'not-installed',
        `${dir} is version ${packageVersion(dir)}, ${copies[0]} is ${version}: install again so both agree`,
      );
  const runtime = describeNode(resolveNode(options.node, log));
  const label = runtimeLabel(runtime);
  mkdirSync(join(CACHE, 'addons'), { recursive: true });
  for (const dir of copies) adoptInstalledBuild(dir, runtime, version, log);

  let source: InstalledAddon['source'] = 'cache';
  let addon = options.force ? undefined : cachedAddon(runtime, version);
  let probe: ProbeResult | undefined = addon ? probeLoad(runtime.node, addon) : undefined;
  if (probe && !probe.ok)
    throw new AddonInstallError(
      'does-not-load',
      `the cached addon ${addon} does not load on ${label}: ${probe.message} (run again with --force)`,
    );
  if (probe?.ok && missingFeatures(probe.features).length > 0) {
    log(
      `[addon] the cached addon for ${label} lacks ${missingFeatures(probe.features).join(', ')}: replacing it`,
    );
    addon = undefined;
  }
  if (!addon) {
    const scratch = mkdtempSync(join(CACHE, 'addons', 'work-'));
    try {
      let got = await obtain(options, runtime, version, copies[0]!, scratch, log, 'prebuilt');
      probe = got && probeLoad(runtime.node, join(got.staging, 'Release', ADDON_FILE));
      // A prebuilt binary that does not load here, or lacks a documented feature, is not the end:
      // a source build against this Node and this system's libraries may well have it all.
      if (got && probe && (!probe.ok || missingFeatures(probe.features).length > 0)) {
        log(
          `[addon] the prebuilt addon for ${label} ${probe.ok ? `lacks ${missingFeatures(probe.features).join(', ')}` : `does not load: ${probe.message}`}: building from source instead`,
        );
        got = undefined;
      }
      got ??= (await obtain(options, runtime, version, copies[0]!, scratch, log, 'source'))!;
      source = got.source;
      probe = probeLoad(runtime.node, join(got.staging, 'Release', ADDON_FILE));
      if (!probe.ok)
        throw new AddonInstallError(
          'does-not-load',
          `the ${source} addon does not load on ${label}: ${probe.message}`,
        );
      const missing = missingFeatures(probe.features);
      if (missing.length > 0) throw new AddonInstallError('lacks-features', featuresError(missing, label));
      commitEntry(got.staging, runtime, version);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    addon = cachedAddon(runtime, version)!;
  }
  const links = copies.map((dir) => link(dir, runtime, version));
  return {
    source,
    addon,
    runtime,
    features: probe?.ok ? probe.features : [],
    links,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * One way to get the addon, staged as a cache entry: the prebuilt download (undefined when it fails,
 * or with --from-source), or a source build after naming what the system lacks.
 */
async function obtain(
  options: InstallAddonOptions,
  runtime: NodeRuntime,
  version: string,
  pkg: string,
  scratch: string,
  log: (line: string) => void,
  how: 'prebuilt' | 'source',
): Promise<{ source: 'prebuilt' | 'source'; staging: string } | undefined> {
  const label = runtimeLabel(runtime);
  const staging = join(scratch, how);
  if (how === 'prebuilt') {
    if (options.fromSource) return undefined;
    const got = await fetchPrebuilt(pkg, runtime, scratch);
    if (!got.ok) {
      log(`[addon] no prebuilt addon for ${label}: ${got.lines.join(' | ')}`);
      return undefined;
    }
    stageEntry(staging, join(got.dir, 'build'), {
      package: `@confluentinc/kafka-javascript@${version}`,
      abi: runtime.abi,
      node: runtime.version,
      prebuilt: got.url,
    });
    log(`[addon] downloaded the prebuilt addon for ${label}`);
    return { source: 'prebuilt', staging };
  }
  const missing = missingBuildPackages();
  if (missing) throw new AddonInstallError('missing-system-packages', missing);
  const logFile = join(CACHE, 'addons', `${bindingName(runtime)}-${runtime.libc}.log`);
  log(
    `[addon] building from source for ${label} against ${headersDir(runtime)}/include/node (about 2 minutes; log: ${logFile})`,
  );
  const started = Date.now();
  const build = await buildFromSource({
    runtime,
    version,
    pkg,
    projectDir: options.projectDir,
    scratch,
    logFile,
    log,
  });
  stageEntry(staging, build, {
    package: `@confluentinc/kafka-javascript@${version}`,
    abi: runtime.abi,
    node: runtime.version,
    nodedir: runtime.nodedir,
  });
  log(`[addon] built for ${label} in ${Math.round((Date.now() - started) / 1000)} s`);
  return { source: 'source', staging };
}

/**
 * An addon in the package's build/Release (left by its own install script) is in the way: bindings
 * loads it first and throws when its ABI is not the running Node's. Keep it in the cache under the
 * ABI it really has (the load error names it), then unlink it (never written to: it may be a hard
 * link into pnpm's store).
 */
function adoptInstalledBuild(
  pkg: string,
  runtime: NodeRuntime,
  version: string,
  log: (line: string) => void,
): void {
  const installed = join(pkg, 'build', 'Release', ADDON_FILE);
  if (!existsSync(installed)) return;
  const probe = probeLoad(runtime.node, installed);
  const abi = probe.ok ? runtime.abi : probe.compiledFor;
  if (!abi)
    throw new AddonInstallError(
      'does-not-load',
      `${installed} does not load on ${runtimeLabel(runtime)} (${probe.ok ? '' : probe.message}): remove it and run again`,
    );
  const owner = { ...runtime, abi };
  if (!cachedAddon(owner, version)) {
    const staging = mkdtempSync(join(CACHE, 'addons', 'adopt-'));
    stageEntry(staging, join(pkg, 'build'), {
      package: `@confluentinc/kafka-javascript@${version}`,
      adoptedFrom: installed,
      abi,
      node: probe.ok ? runtime.version : 'unknown',
    });
    commitEntry(staging, owner, version);
    log(`[addon] kept the installed addon (NODE_MODULE_VERSION ${abi}) in ${entryDir(owner, version)}`);
  }
  unlinkSync(installed);
}

/** <pkg>/lib/binding/node-v<abi>-<platform>-<arch> → the cache entry's Release/, replaced atomically. */
function link(pkg: string, runtime: NodeRuntime, version: string): string {
  const dir = join(pkg, 'lib', 'binding');
  mkdirSync(dir, { recursive: true });
  const name = join(dir, bindingName(runtime));
  const temporary = `${name}.${process.pid}`;
  rmSync(temporary, { force: true });
  symlinkSync(join(entryDir(runtime, version), 'Release'), temporary, 'dir');
  renameSync(temporary, name);
  return name;
}
