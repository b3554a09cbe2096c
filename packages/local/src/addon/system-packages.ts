// What a source build of librdkafka needs from the system. configure silently leaves out a codec or SASL
// mechanism whose headers are missing, so every one is checked before the two-minute build starts, and
// all missing ones are named in one line, with the Debian and RPM package names.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

interface Requirement {
  deb: string;
  rpm: string;
  present: () => boolean;
}

const onPath = (command: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

let includeDirs: string[] | undefined;
// Where the C compiler finds headers: Debian puts some under the multiarch triplet (curl/curl.h).
function headerDirs(): string[] {
  if (includeDirs) return includeDirs;
  let triplet = '';
  try {
    triplet = execFileSync('cc', ['-print-multiarch'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {}
  includeDirs = ['/usr/include', '/usr/local/include', ...(triplet ? [join('/usr/include', triplet)] : [])];
  return includeDirs;
}
const header = (file: string) => () => headerDirs().some((dir) => existsSync(join(dir, file)));

const REQUIREMENTS: readonly Requirement[] = [
  { deb: 'build-essential', rpm: 'gcc-c++ make', present: () => ['cc', 'c++', 'make'].every(onPath) },
  { deb: 'python3', rpm: 'python3', present: () => onPath('python3') },
  { deb: 'libssl-dev', rpm: 'openssl-devel', present: header('openssl/ssl.h') },
  { deb: 'libsasl2-dev', rpm: 'cyrus-sasl-devel', present: header('sasl/sasl.h') },
  { deb: 'zlib1g-dev', rpm: 'zlib-devel', present: header('zlib.h') },
  { deb: 'libzstd-dev', rpm: 'libzstd-devel', present: header('zstd.h') },
  { deb: 'liblz4-dev', rpm: 'lz4-devel', present: header('lz4.h') },
  { deb: 'libcurl4-openssl-dev', rpm: 'libcurl-devel', present: header('curl/curl.h') },
];

/**
 * The one line naming what a source build lacks, or undefined when nothing is missing.
 * `KAFKA_LAMBDA_PRETEND_MISSING` (Debian names, comma-separated) treats packages as missing, to see
 * the message on a machine that has everything.
 *
 * @example
 * ```ts
 * missingBuildPackages(); // 'missing for the source build: libzstd-dev … (Debian/Ubuntu: apt-get install -y …; Fedora/RHEL/Amazon Linux: dnf install -y …)'
 * ```
 */
export function missingBuildPackages(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const pretend = (env.KAFKA_LAMBDA_PRETEND_MISSING ?? '').split(',').filter(Boolean);
  const missing = REQUIREMENTS.filter((r) => pretend.includes(r.deb) || !r.present());
  if (missing.length === 0) return undefined;
  const deb = missing.map((r) => r.deb).join(' ');
  const rpm = missing.map((r) => r.rpm).join(' ');
  return (
    `missing for the source build: ${deb} ` +
    `(Debian/Ubuntu: apt-get install -y ${deb}; Fedora/RHEL/Amazon Linux: dnf install -y ${rpm})`
  );
}
