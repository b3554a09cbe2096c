// `kafka-lambda bundle`: a handler bundled for a Lambda Node.js runtime and architecture, checked
// before it is deployed. esbuild inlines every pure-JS dependency into one ESM file, index.mjs (the
// function's handler is `index.handler`); the native Kafka client stays external and is shipped beside
// it, built for the runtime's ABI and stripped; declared assets are copied and resolve relative to the
// bundle. Then the binaries are checked against the target (architecture, Amazon Linux 2023's glibc
// and libstdc++), the bundle is loaded in a clean directory with Lambda's environment, and only then
// zipped.
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { NATIVE } from '../addon/addon-cache.js';
import { AddonInstallError } from '../addon/errors.js';
import { nativePackageDir } from '../addon/native-package.js';
import { resolveNode } from '../addon/node-runtime.js';
import { assetUrls } from './asset-urls.js';
import { BundleError } from './errors.js';
import { fitsTarget, type TargetFit } from './fits-target.js';
import {
  LAMBDA_ARCHITECTURES,
  LAMBDA_RUNTIMES,
  type LambdaArchitecture,
  type LambdaRuntime,
} from './lambda-runtime.js';
import { type LoadResult, loadInCleanDirectory } from './load-check.js';
import { type ShippedNative, shipNativeClient } from './native-client.js';
import { zipDirectory } from './zip.js';

/** Options of {@link bundleFunction}. */
export interface BundleOptions {
  projectDir: string;
  /** The handler's source file (TypeScript or JavaScript), exporting `handler`. */
  handler: string;
  /** Output directory, emptied first. Default `dist/lambda`. */
  out?: string;
  /** Files or directories the code reads at run time (.proto, JSON schemas), relative to the project. */
  assets?: readonly string[];
  /** Also write `<out>.zip`. */
  zip?: boolean;
  /** Default: this machine's architecture. */
  arch?: LambdaArchitecture;
  /** Default: nodejs22.x on Node 22, otherwise nodejs24.x. */
  runtime?: LambdaRuntime;
  /** Variables the module needs at load time in the clean-directory check (e.g. KAFKA_SECRET_ID). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

/** What was built and what the checks found. */
export interface BundleReport {
  out: string;
  runtime: LambdaRuntime;
  arch: LambdaArchitecture;
  indexBytes: number;
  modules: number;
  assets: string[];
  /** Absent for a function whose code never imports the native client. */
  native: (ShippedNative & { fit: TargetFit }) | undefined;
  load: LoadResult & { node: string; nativeLoaded: boolean };
  zip: { file: string; bytes: number } | undefined;
  /** Optional packages the code imports lazily that are not installed: left out. */
  leftOut: string[];
  warnings: string[];
}

/** The Lambda runtime matching the running Node, else the newest. */
export const defaultRuntime = (): LambdaRuntime =>
  process.versions.node.startsWith('22.') ? 'nodejs22.x' : 'nodejs24.x';
/** This machine's architecture as Lambda names it. */
export const defaultArch = (): LambdaArchitecture => (process.arch === 'arm64' ? 'arm64' : 'x86_64');

/**
 * Bundles, checks and (with `zip`) zips a handler for Lambda.
 *
 * @example
 * ```ts
 * const report = await bundleFunction({ projectDir: process.cwd(), handler: 'src/handler.ts', assets: ['proto/order.proto'], zip: true });
 * console.log(report.zip?.file); // …/dist/lambda.zip
 * ```
 */
export async function bundleFunction(options: BundleOptions): Promise<BundleReport> {
  const log = options.log ?? (() => {});
  const projectDir = resolve(options.projectDir);
  const runtime = options.runtime ?? defaultRuntime();
  const arch = options.arch ?? defaultArch();
  if (!(runtime in LAMBDA_RUNTIMES))
    throw new BundleError(
      'input',
      `--runtime ${runtime}: expected ${Object.keys(LAMBDA_RUNTIMES).join(' or ')}`,
    );
  if (!(arch in LAMBDA_ARCHITECTURES))
    throw new BundleError(
      'input',
      `--arch ${arch}: expected ${Object.keys(LAMBDA_ARCHITECTURES).join(' or ')}`,
    );
  const entry = resolve(projectDir, options.handler);
  if (!existsSync(entry)) throw new BundleError('input', `${options.handler}: no such file`);
  const out = resolve(projectDir, options.out ?? join('dist', 'lambda'));
  if (out === projectDir || projectDir.startsWith(out + sep) || out === entry)
    throw new BundleError(
      'input',
      `--out ${out} would replace the project itself: choose a directory of its own`,
    );
  const assets = new Map<string, string>();
  for (const asset of options.assets ?? []) {
    const path = resolve(projectDir, asset);
    const at = relative(projectDir, path);
    if (!existsSync(path)) throw new BundleError('input', `--asset ${asset}: no such file`);
    if (at.startsWith('..') || isAbsolute(at))
      throw new BundleError(
        'input',
        `--asset ${asset} is outside the project: copy it into the project first`,
      );
    assets.set(path, at.split(sep).join('/'));
  }

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const warnings: string[] = [];
  const leftOut = new Set<string>();
  // esbuild is loaded only by this command: the runner and the other commands do not pay for it.
  const { build } = await import('esbuild');
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      entryPoints: [entry],
      outfile: join(out, 'index.mjs'),
      absWorkingDir: projectDir,
      bundle: true,
      minify: true,
      sourcemap: true,
      platform: 'node',
      format: 'esm',
      target: LAMBDA_RUNTIMES[runtime].esbuildTarget,
      external: [NATIVE],
      // CommonJS dependencies inside an ES module still call require() for Node's built-ins.
      banner: {
        js: "import { createRequire as __kafkaLambdaCreateRequire } from 'node:module'; const require = __kafkaLambdaCreateRequire(import.meta.url);",
      },
      metafile: true,
      logLevel: 'silent',
      plugins: [
        assetUrls(assets, warnings, projectDir),
        {
          // An optional peer imported lazily (the Secrets Manager SDK, the MSK IAM signer) and not
          // installed is left out: only the code path that imports it would need it.
          name: 'kafka-lambda-optional-imports',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, async (args) => {
              if (args.kind !== 'dynamic-import' || isBuiltin(args.path) || args.pluginData?.probe)
                return undefined;
              const found = await b.resolve(args.path, {
                kind: args.kind,
                importer: args.importer,
                resolveDir: args.resolveDir,
                pluginData: { probe: true },
              });
              if (found.errors.length === 0) return undefined;
              leftOut.add(args.path);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
  } catch (error) {
    const errors =
      (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> })
        .errors ?? [];
    throw new BundleError(
      'build',
      `esbuild could not bundle ${options.handler}: ${errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('; ') || (error as Error).message}`,
    );
  }
  for (const [path, at] of assets) {
    mkdirSync(dirname(join(out, at)), { recursive: true });
    cpSync(path, join(out, at), { recursive: true, dereference: true });
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  const bundled = Object.keys(result.metafile!.inputs);
  const importsNative = Object.values(result.metafile!.outputs).some((o) =>
    o.imports.some((i) => i.path === NATIVE),
  );

  let native: BundleReport['native'];
  const nativeInstalled = importsNative && isInstalled(projectDir);
  if (importsNative && !nativeInstalled) leftOut.add(NATIVE); // a consumer-only function's choice
  if (nativeInstalled) {
    const shipped = shipNativeClient(projectDir, out, runtime, arch);
    const fit = fitsTarget(shipped.binaries, arch);
    native = { ...shipped, fit };
    if (fit.problems.length > 0)
      throw new BundleError(
        'does-not-fit',
        `the bundle does not fit ${runtime} on ${arch}: ${fit.problems.join('; ')}`,
      );
  }

  // A Node of the runtime's major loads it; the native client only on the target's architecture.
  const node =
    process.versions.node.split('.')[0] === LAMBDA_RUNTIMES[runtime].major
      ? process.execPath
      : resolveNode(LAMBDA_RUNTIMES[runtime].major, log);
  const nativeLoaded = nativeInstalled && LAMBDA_ARCHITECTURES[arch].node === process.arch;
  if (nativeInstalled && !nativeLoaded)
    warnings.push(
      `the native client was not loaded: it is for ${arch}, this machine is ${process.arch} (its architecture was checked)`,
    );
  const loaded = await loadInCleanDirectory(out, node, runtime, {
    loadNative: nativeLoaded,
    env: options.env ?? {},
  });
  if (!loaded.ok)
    throw new BundleError(
      'does-not-load',
      `the bundle does not load in a clean directory with Lambda's environment (${runtime}): ${loaded.reason}`,
    );

  let zip: BundleReport['zip'];
  if (options.zip) {
    const file = `${out}.zip`;
    zip = { file, bytes: zipDirectory(out, file) };
  }
  return {
    out,
    runtime,
    arch,
    indexBytes: statSync(join(out, 'index.mjs')).size,
    modules: bundled.length,
    assets: [...assets.values()],
    native,
    load: { ...loaded, node, nativeLoaded },
    zip,
    leftOut: [...leftOut].sort(),
    warnings,
  };
}

function isInstalled(projectDir: string): boolean {
  try {
    nativePackageDir(projectDir);
    return true;
  } catch (error) {
    if (error instanceof AddonInstallError) return false;
    throw error;
  }
}
