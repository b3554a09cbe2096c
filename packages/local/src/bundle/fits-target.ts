// Whether the shipped binaries can run on the function's target: its architecture, and no symbol
// version newer than Amazon Linux 2023's glibc and libstdc++ provide. Libraries beyond glibc's and
// libstdc++ that are neither shipped nor part of the runtime (a source build's libssl, libsasl2,
// libcurl, libzstd, liblz4) are reported: the build machine has them, a Lambda runtime may not.
import { basename } from 'node:path';
import { compareVersions, readElfNeeds } from './elf.js';
import {
  AMAZON_LINUX_2023,
  LAMBDA_ARCHITECTURES,
  type LambdaArchitecture,
  RUNTIME_LIBRARIES,
} from './lambda-runtime.js';

/** The verdict on the shipped binaries. */
export interface TargetFit {
  /** Why they cannot run on the target; empty when they fit. */
  problems: string[];
  /** The newest GLIBC / GLIBCXX version any of them needs. */
  newest: Record<string, string>;
  /** System libraries they link that Lambda's runtime is not known to provide. */
  systemLibraries: string[];
}

const MACHINES: Record<number, string> = {
  62: 'x86_64',
  183: 'arm64',
  3: 'x86 (32-bit)',
  40: 'arm (32-bit)',
};

/**
 * Checks every binary against `arch` and Amazon Linux 2023.
 *
 * @example
 * ```ts
 * fitsTarget(['build/Release/confluent-kafka-javascript.node', 'build/deps/librdkafka.so.1'], 'arm64').problems;
 * // ['confluent-kafka-javascript.node is built for x86_64, the function runs on arm64', …]
 * ```
 */
export function fitsTarget(binaries: readonly string[], arch: LambdaArchitecture): TargetFit {
  const problems: string[] = [];
  const newest: Record<string, string> = {};
  const linked = new Set<string>();
  const shipped = new Set(binaries.map((file) => basename(file)));
  for (const file of binaries) {
    const needs = readElfNeeds(file);
    const name = basename(file);
    if (needs.machine !== LAMBDA_ARCHITECTURES[arch].elfMachine)
      problems.push(
        `${name} is built for ${MACHINES[needs.machine] ?? `ELF machine ${needs.machine}`}, the function runs on ${arch}`,
      );
    for (const family of ['GLIBC', 'GLIBCXX'] as const) {
      const version = needs.newest[family];
      if (version === undefined) continue;
      if (newest[family] === undefined || compareVersions(version, newest[family]) > 0)
        newest[family] = version;
      if (compareVersions(version, AMAZON_LINUX_2023[family]) > 0)
        problems.push(
          `${name} needs ${family}_${version}; Amazon Linux 2023 (Lambda's nodejs22.x/nodejs24.x) has ${family} up to ${AMAZON_LINUX_2023[family]}: build it on an older system (or in the Lambda build image)`,
        );
    }
    for (const library of needs.libraries) linked.add(library);
  }
  const systemLibraries = [...linked]
    .filter((library) => !shipped.has(library) && !RUNTIME_LIBRARIES.some((pattern) => pattern.test(library)))
    .sort();
  return { problems, newest, systemLibraries };
}
