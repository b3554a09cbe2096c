// `kafka-lambda bundle`: its arguments, the report it prints, and its exit code.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFunction, defaultArch, defaultRuntime } from './bundle-function.js';
import { BundleError } from './errors.js';
import { LAMBDA_RUNTIMES, type LambdaArchitecture, type LambdaRuntime } from './lambda-runtime.js';

export const BUNDLE_USAGE = `Usage: kafka-lambda bundle <handler> [--out dir] [--asset file...] [--zip] [--arch x86_64|arm64] [--runtime nodejs22.x|nodejs24.x]

Bundles a handler (TypeScript or JavaScript, exporting \`handler\`) for Lambda with esbuild into
<out>/index.mjs (Lambda's handler setting: index.handler). @confluentinc/kafka-javascript stays
external and is shipped in <out>/node_modules, with the addon built for the runtime and architecture
(run \`kafka-lambda addon --node 22|24\` first) and librdkafka, both stripped. Declared assets are copied
at their path in the project; \`new URL('<path>', import.meta.url)\` in the code resolves them from the
bundle. Then it checks the bundle: the addon's architecture, GLIBC <= 2.34 and GLIBCXX <= 3.4.29
(Amazon Linux 2023), and that index.mjs and the native client load in a clean directory with Lambda's
environment variables, in a Node of the runtime. A bundle that fails a check is not zipped.

Options:
  --out <dir>              output directory, emptied first                       (default dist/lambda)
  --asset <path>           a file or directory the code reads at run time (repeatable)
  --zip                    also write <out>.zip (SAM CodeUri, CDK Code.fromAsset, aws lambda update-function-code)
  --arch <x86_64|arm64>    the function's architecture                            (default: this machine's)
  --runtime <nodejs22.x|nodejs24.x>                                               (default: this Node's, else 24)
  --env <KEY=VALUE>        a variable the module needs at load time, for the check (repeatable)
  --help, -h               show this help

Exit codes: 0 bundled and checked, 1 a check failed (the message says why), 2 bad arguments.`;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Runs `kafka-lambda bundle` with `argv` (after the subcommand); resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runBundleCommand(['src/handler.ts', '--zip'], { projectDir: process.cwd() });
 * ```
 */
export async function runBundleCommand(
  argv: readonly string[],
  {
    projectDir,
    out = process.stdout,
    err = process.stderr,
  }: { projectDir: string; out?: NodeJS.WritableStream; err?: NodeJS.WritableStream },
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    err.write(`kafka-lambda bundle: ${(error as Error).message}\n\n${BUNDLE_USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    out.write(`${BUNDLE_USAGE}\n`);
    return 0;
  }
  const say = (line: string) => out.write(`${line}\n`);
  try {
    const report = await bundleFunction({ projectDir, ...parsed, log: say });
    // Inside the project: relative to it; elsewhere (an --out in /tmp): the absolute path.
    const at = (path: string) => (path.startsWith(`${projectDir}/`) ? relative(projectDir, path) : path);
    say(
      `[bundle] ${at(report.out)}/index.mjs: ${report.modules} modules, ${(report.indexBytes / 1024).toFixed(0)} KiB (${report.runtime}, ${report.arch})`,
    );
    for (const asset of report.assets) say(`[bundle] asset ${asset}`);
    if (report.native) {
      const { native } = report;
      say(
        `[bundle] native client: ${native.binaries.map((file) => file.split('/').pop()).join(', ')} ` +
          (native.stripSkipped
            ? `${mib(native.bytesBefore)}, not stripped: ${native.stripSkipped}`
            : `stripped ${mib(native.bytesBefore)} -> ${mib(native.bytesAfter)}`) +
          `; needs GLIBC ${native.fit.newest.GLIBC ?? '-'}, GLIBCXX ${native.fit.newest.GLIBCXX ?? '-'} (Amazon Linux 2023: 2.34, 3.4.29)`,
      );
      if (native.fit.systemLibraries.length > 0)
        say(
          `[bundle] WARNING the addon links system libraries a Lambda runtime may lack: ${native.fit.systemLibraries.join(' ')}. ` +
            'A source build (CKJS_LINKING=dynamic) needs them on the target: ship them in a layer under /opt/lib, or use the prebuilt addon (docs/deploying.md)',
        );
    }
    const { load } = report;
    say(
      `[bundle] loads in a clean directory with Lambda's environment on Node ${load.node === process.execPath ? process.versions.node : `${LAMBDA_RUNTIMES[report.runtime].major} (${load.node})`}` +
        (load.nativeLoaded && load.ok ? ` (librdkafka: ${load.features?.join(',')})` : ''),
    );
    for (const name of report.leftOut) say(`[bundle] left out (not installed, imported lazily): ${name}`);
    for (const warning of report.warnings) say(`[bundle] WARNING ${warning}`);
    if (report.zip) say(`[bundle] ${at(report.zip.file)}: ${mib(report.zip.bytes)}`);
    return 0;
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    err.write(`[bundle] ${error.message}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      asset: { type: 'string', multiple: true },
      zip: { type: 'boolean' },
      arch: { type: 'string' },
      runtime: { type: 'string' },
      env: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help' as const;
  if (positionals.length !== 1) throw new Error(`expected one handler file, got ${positionals.length}`);
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env ${pair}: expected KEY=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    handler: positionals[0]!,
    out: values.out,
    assets: values.asset ?? [],
    zip: values.zip ?? false,
    arch: (values.arch ?? defaultArch()) as LambdaArchitecture,
    runtime: (values.runtime ?? defaultRuntime()) as LambdaRuntime,
    env,
  };
}
