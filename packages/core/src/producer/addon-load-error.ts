// Why `import('@confluentinc/kafka-javascript')` failed, read from the loader's own error (Node's
// dlopen, the dynamic linker, `bindings`, module resolution), so that the message names the real
// cause and its fix instead of "install it" for a package that is installed.
import { KafkaLambdaError } from '../shared/errors.js';

const PACKAGE = '@confluentinc/kafka-javascript';

/**
 * What kept the native Kafka client from loading:
 * - `not-installed`: the package (or a module it requires, `missingModule`) cannot be resolved;
 * - `addon-missing`: the package is there but its compiled addon is not (its install script did not run);
 * - `abi-mismatch`: the addon was built for another Node.js (`compiledFor` ≠ `required`);
 * - `missing-library`: a shared library it links (`library`) is not on this system;
 * - `system-too-old`: this system's `library` lacks the symbol version the build needs (`requiredVersion`),
 *   e.g. glibc or libstdc++ older than the build machine's;
 * - `wrong-platform`: the addon was built for another operating system or CPU architecture;
 * - `unknown`: none of the above; see `cause`.
 */
export type AddonLoadFailure =
  | 'not-installed'
  | 'addon-missing'
  | 'abi-mismatch'
  | 'missing-library'
  | 'system-too-old'
  | 'wrong-platform'
  | 'unknown';

/** Who needed the client and what to tell a user who has not installed it. */
export interface AddonLoadContext {
  /** Starts the message, e.g. `the producer`. */
  readonly neededBy: string;
  /** The fix when the package is not installed, e.g. `install it next to @kafka-lambda/core`. */
  readonly install: string;
}

/**
 * `@confluentinc/kafka-javascript`, the native Kafka client, could not be loaded. `failure` says why;
 * the message names the cause and the fix, and `cause` is the loader's own error.
 *
 * @example
 * ```ts
 * try { await handler(event, context); } catch (error) { if (error instanceof AddonLoadError) console.error(error.failure, error.message); }
 * ```
 */
export class AddonLoadError extends KafkaLambdaError {
  override name = 'AddonLoadError';
  /** Why the load failed: the cause the message names. */
  readonly failure: AddonLoadFailure;
  /** `abi-mismatch`: the NODE_MODULE_VERSION the addon was built for. */
  readonly compiledFor?: number;
  /** `abi-mismatch`: the NODE_MODULE_VERSION of the running Node.js. */
  readonly required?: number;
  /** `missing-library`, `system-too-old`: the shared library at fault, e.g. `libsasl2.so.2`. */
  readonly library?: string;
  /** `system-too-old`: the symbol version the addon needs, e.g. `GLIBC_2.38`. */
  readonly requiredVersion?: string;
  /** `not-installed`: the module that could not be resolved. */
  readonly missingModule?: string;

  constructor(cause: unknown, context: AddonLoadContext) {
    const diagnosis = diagnose(messageOf(cause), codeOf(cause), context);
    super(`${context.neededBy} cannot load ${PACKAGE}: ${diagnosis.reason}`, { cause });
    this.failure = diagnosis.failure;
    if (diagnosis.compiledFor !== undefined) this.compiledFor = diagnosis.compiledFor;
    if (diagnosis.required !== undefined) this.required = diagnosis.required;
    if (diagnosis.library !== undefined) this.library = diagnosis.library;
    if (diagnosis.requiredVersion !== undefined) this.requiredVersion = diagnosis.requiredVersion;
    if (diagnosis.missingModule !== undefined) this.missingModule = diagnosis.missingModule;
  }
}

interface Diagnosis {
  failure: AddonLoadFailure;
  reason: string;
  compiledFor?: number;
  required?: number;
  library?: string;
  requiredVersion?: string;
  missingModule?: string;
}

// NODE_MODULE_VERSION of each Node.js major (node/doc/abi_version_registry.json).
const NODE_MAJOR_OF_ABI: Record<number, number> = { 108: 18, 115: 20, 127: 22, 131: 23, 137: 24 };

function diagnose(message: string, code: string | undefined, context: AddonLoadContext): Diagnosis {
  const abi = /NODE_MODULE_VERSION (\d+)\.[\s\S]*?requires\s+NODE_MODULE_VERSION (\d+)/.exec(message);
  if (abi) {
    const compiledFor = Number(abi[1]);
    const required = Number(abi[2]);
    return {
      failure: 'abi-mismatch',
      compiledFor,
      required,
      reason:
        `its native addon was built for ${nodeOfAbi(compiledFor)} but this is Node.js ${process.versions.node} ` +
        `(NODE_MODULE_VERSION ${required}). Get one for this Node: \`${ADDON_COMMAND}\` (@kafka-lambda/testing), ` +
        `or \`${rebuildCommand()}\` (a plain \`npm rebuild\` keeps the old binary); on Lambda, deploy a ` +
        "build made for the function's runtime (`npx kafka-lambda bundle` checks it)",
    };
  }
  const tooOld = /([^\s:]+): version `([^']+)' not found/.exec(message);
  if (tooOld) {
    const library = basename(tooOld[1]!);
    const requiredVersion = tooOld[2]!;
    return {
      failure: 'system-too-old',
      library,
      requiredVersion,
      reason:
        `its native addon needs ${requiredVersion} but this system's ${library} is older: it was built on a newer ` +
        'Linux than it runs on. Build it on the oldest system it runs on (for Lambda: Amazon Linux 2023, glibc 2.34, ' +
        'e.g. in the SAM build image), or install the prebuilt binary there',
    };
  }
  // An addon for another architecture that exists but fails with "No such file": the linker rejected it.
  const foreign =
    /invalid ELF header|wrong ELF class|ELFCLASS\d+|Exec format error|mach-o|not a valid Win32|\.node: cannot open shared object file/i;
  if (foreign.test(message)) {
    return {
      failure: 'wrong-platform',
      reason:
        `its native addon was built for another operating system or CPU architecture (${firstLine(message)}). ` +
        `Install or build it on ${process.platform}-${process.arch}; on Lambda, match the function's Architectures`,
    };
  }
  const missingLibrary = /([^\s:/]+\.so(?:\.[\d.]+)?): cannot open shared object file/.exec(message);
  if (missingLibrary) {
    const library = missingLibrary[1]!;
    const fix = /^librdkafka/.test(library)
      ? 'it was built with librdkafka as a shared library (CKJS_LINKING=dynamic): ship build/deps/librdkafka.so.1 ' +
        'and librdkafka++.so.1 beside build/Release, or use the prebuilt binary, which links librdkafka statically'
      : 'install the system package that provides it (or ship it, e.g. in a Lambda layer under /opt/lib), ' +
        'or use the prebuilt binary, which needs fewer system libraries';
    return {
      failure: 'missing-library',
      library,
      reason: `the shared library ${library} is not found: ${fix}`,
    };
  }
  if (/Could not locate the bindings file/.test(message)) {
    return {
      failure: 'addon-missing',
      reason:
        // Not the addon's file name: bundle tests check that nothing of the client is inlined by it.
        'it is installed but its native addon (the .node file in build/Release) is not: its install ' +
        'script did not run (npm --ignore-scripts, or pnpm without it in onlyBuiltDependencies) or the deployment ' +
        `package lacks it. Get it: \`${ADDON_COMMAND}\` (@kafka-lambda/testing), or \`${rebuildCommand()}\``,
    };
  }
  const missingModule =
    code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
      ? (/Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1] ?? PACKAGE)
      : undefined;
  if (missingModule !== undefined) {
    const ours = missingModule === PACKAGE || missingModule.startsWith(`${PACKAGE}/`);
    return {
      failure: 'not-installed',
      missingModule,
      reason: ours
        ? `it is not installed: ${context.install} (and keep it external when bundling)`
        : `the module ${missingModule} it requires is not installed: ship the package's dependencies with it ` +
          '(bindings, file-uri-to-path when bundling)',
    };
  }
  return { failure: 'unknown', reason: firstLine(message) };
}

function nodeOfAbi(abi: number): string {
  const major = NODE_MAJOR_OF_ABI[abi];
  return major === undefined ? `NODE_MODULE_VERSION ${abi}` : `Node.js ${major} (NODE_MODULE_VERSION ${abi})`;
}

/** The published command that fetches or builds the addon for the running Node, and caches it. */
const ADDON_COMMAND = 'npx kafka-lambda addon';

/**
 * A rebuild from source against the running Node's own headers: node-pre-gyp keeps any existing binary
 * unless told to build, and node-gyp uses another Node's headers unless told which.
 */
function rebuildCommand(): string {
  const bin = process.execPath.slice(0, process.execPath.lastIndexOf('/'));
  const prefix = bin.slice(0, bin.lastIndexOf('/'));
  // node:fs only here, once the addon failed: imported at module scope it costs every cold start.
  const fs = process.getBuiltinModule?.('node:fs');
  const nodedir = fs?.existsSync(`${prefix}/include/node/node_version.h`)
    ? ` npm_config_nodedir=${prefix}`
    : '';
  return `npm_config_build_from_source=true${nodedir} npm rebuild ${PACKAGE}`;
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const firstLine = (text: string) => text.split('\n')[0]!.trim();

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
