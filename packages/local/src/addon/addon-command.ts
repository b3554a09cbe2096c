// `kafka-lambda addon`: its arguments, output and exit code. The repository's `pnpm install` runs this
// same module from its sources (scripts/addon/build.mjs), before any package is built.
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { AddonInstallError } from './errors.js';
import { installAddon } from './install-addon.js';
import { runtimeLabel } from './node-runtime.js';

export const ADDON_USAGE = `Usage: kafka-lambda addon [--node <path|version>] [--force] [--from-source] [--quiet]

Gives this project's @confluentinc/kafka-javascript a working native addon for the Node that will run
it: from the cache (~/.cache/kafka-lambda/addons, or $KAFKA_LAMBDA_CACHE), else the package's prebuilt
binary, else a build from source against that Node's own headers (CKJS_LINKING=dynamic; about 2
minutes; the missing system packages are named before it starts). The addon must load and have every
librdkafka feature the SDK documents (gzip, snappy, lz4, zstd, ssl, SASL PLAIN/SCRAM/GSSAPI/OAUTHBEARER).
It is linked into node_modules/@confluentinc/kafka-javascript/lib/binding/node-v<abi>-<platform>-<arch>,
so Node 22 and Node 24 each load their own from one install.

Options:
  --node <path|version>   the Node that will load it: a binary, or 22 / 24 / 24.22.3 (fetched from
                          the npm registry when not cached)                       (default: this Node)
  --force                 ignore the cache: download or build again
  --from-source           skip the prebuilt download
  --quiet                 print only when it downloads or builds
  --help, -h              show this help

Exit codes: 0 the addon loads, 1 it could not be provided (the message says why), 2 bad arguments.`;

/**
 * Runs `kafka-lambda addon` with `argv` (after the subcommand) for the project in `projectDir`;
 * resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runAddonCommand(['--node', '22'], { projectDir: process.cwd() });
 * ```
 */
export async function runAddonCommand(
  argv: readonly string[],
  {
    projectDir,
    out = process.stdout,
    err = process.stderr,
  }: { projectDir: string; out?: NodeJS.WritableStream; err?: NodeJS.WritableStream },
): Promise<number> {
  let values: { node?: string; force?: boolean; 'from-source'?: boolean; quiet?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        node: { type: 'string' },
        force: { type: 'boolean' },
        'from-source': { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    err.write(`kafka-lambda addon: ${(error as Error).message}\n\n${ADDON_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${ADDON_USAGE}\n`);
    return 0;
  }
  const say = (line: string) => out.write(`${line}\n`);
  try {
    const done = await installAddon({
      projectDir,
      node: values.node,
      force: values.force,
      fromSource: values['from-source'],
      log: say, // a download, a build, an adopted install: worth saying even under --quiet
    });
    if (!values.quiet || done.source !== 'cache') {
      for (const link of done.links)
        say(`[addon] ${relative(projectDir, link) || link} -> ${dirname(done.addon)}`);
      say(
        `[addon] ${runtimeLabel(done.runtime)} loads the ${done.source === 'cache' ? 'cached' : done.source} addon (librdkafka: ${done.features.join(',')}) in ${done.seconds.toFixed(1)} s`,
      );
    }
    return 0;
  } catch (error) {
    if (!(error instanceof AddonInstallError)) throw error;
    err.write(`[addon] ${error.message}\n`);
    return 1;
  }
}
