// What the README's commands need from the system, beyond Node and pnpm: one entry per Debian package
// (or, for Go, per tool apt cannot provide), which commands need it, and how to tell that it is there.
// The checks look for the command or header itself, not for the package, so they hold on any Linux.
//
//   addon  `pnpm install`'s native Kafka client: librdkafka built from source (scripts/addon/build.mjs)
//   demo   `pnpm demo`: Kafka, registry, moto, the RIE and Kafka Streams (scripts/stack)
//   test   `pnpm test`: the demo's parts plus redis-server (the Redis store's tests) and Jaeger
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const COMMANDS = ['addon', 'demo', 'test'];

// The checks run concurrently: a JVM or pyenv start each takes most of a second.
/** The command's output (stdout and stderr), or undefined when it cannot run or fails. */
const runs = (command, args = ['--version']) =>
  new Promise((resolve) =>
    execFile(command, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) =>
      resolve(error ? undefined : `${stdout}${stderr}`),
    ),
  );
const onPath = (command) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

// Where the C compiler finds headers: Debian puts some under the multiarch triplet (curl/curl.h).
const includeDirs = async () => {
  const triplet = (await runs('cc', ['-print-multiarch']))?.trim();
  return ['/usr/include', '/usr/local/include', ...(triplet ? [join('/usr/include', triplet)] : [])];
};
const header = (file) => async () => (await includeDirs()).some((dir) => existsSync(join(dir, file)));
const BUILD = ['addon', 'demo', 'test']; // the demo and the tests load the addon: they need its build

const majorOf = (text, pattern) => Number(pattern.exec(text ?? '')?.[1] ?? 0);

/**
 * @typedef {object} Requirement
 * @property {string} name       the Debian package, or the tool when apt cannot provide it
 * @property {string} why        what needs it (shown in the message)
 * @property {string[]} for      the commands that need it (COMMANDS)
 * @property {boolean} apt       installable with `apt-get install <name>`
 * @property {() => Promise<boolean>} present
 * @property {string} [manual]   how to get it when apt cannot
 */

/** @type {Requirement[]} */
export const requirements = [
  {
    name: 'build-essential',
    why: 'C/C++ compiler and make for librdkafka',
    for: BUILD,
    apt: true,
    present: async () => ['cc', 'c++', 'make'].every(onPath),
  },
  {
    name: 'python3',
    why: 'node-gyp',
    for: BUILD,
    apt: true,
    present: async () => onPath('python3'),
  },
  // librdkafka's configure silently leaves out whatever it does not find: each header is a feature.
  {
    name: 'libssl-dev',
    why: 'ssl, SASL/SCRAM, OAUTHBEARER',
    for: BUILD,
    apt: true,
    present: header('openssl/ssl.h'),
  },
  {
    name: 'libsasl2-dev',
    why: 'SASL/GSSAPI (Kerberos)',
    for: BUILD,
    apt: true,
    present: header('sasl/sasl.h'),
  },
  { name: 'zlib1g-dev', why: 'gzip compression', for: BUILD, apt: true, present: header('zlib.h') },
  { name: 'libzstd-dev', why: 'zstd compression', for: BUILD, apt: true, present: header('zstd.h') },
  { name: 'liblz4-dev', why: 'lz4 compression', for: BUILD, apt: true, present: header('lz4.h') },
  {
    name: 'libcurl4-openssl-dev',
    why: 'OIDC token retrieval',
    for: BUILD,
    apt: true,
    present: header('curl/curl.h'),
  },
  {
    name: 'openjdk-17-jdk-headless',
    why: 'Java 17+ with javac: Kafka, Apicurio Registry, the Kafka Streams topology',
    for: ['demo', 'test'],
    apt: true,
    present: async () => onPath('java') && majorOf(await runs('javac', ['-version']), /javac (\d+)/) >= 17,
  },
  {
    name: 'maven',
    why: 'fetches Kafka, Apicurio and Kafka Streams from Maven Central',
    for: ['demo', 'test'],
    apt: true,
    present: async () => onPath('mvn'),
  },
  {
    name: 'python3-venv',
    why: "moto's venv (Secrets Manager, DynamoDB)",
    for: ['demo', 'test'],
    apt: true,
    // Debian's python3 lacks ensurepip until python3-venv is installed: `python3 -m venv` then fails.
    present: async () => (await runs('python3', ['-c', 'import venv, ensurepip'])) !== undefined,
  },
  {
    name: 'redis-server',
    why: "the Redis idempotency store's tests",
    for: ['test'],
    apt: true,
    present: async () => (await runs(process.env.REDIS_SERVER_BIN || 'redis-server')) !== undefined,
  },
  {
    name: 'go',
    why: 'builds the Lambda Runtime Interface Emulator (and, for the tests, Jaeger) from the Go module proxy',
    for: ['demo', 'test'],
    apt: false,
    // 1.21+ fetches the newer toolchain a module asks for (GOTOOLCHAIN) from the module proxy itself.
    present: async () => {
      const [, major, minor] = /go(\d+)\.(\d+)/.exec((await runs('go', ['version'])) ?? '') ?? [];
      return Number(major) > 1 || (Number(major) === 1 && Number(minor) >= 21);
    },
    manual: "Go 1.21 or newer, from the Go project's downloads (Debian 12's golang-go is 1.19, too old)",
  },
];

/** The requirements of `command` that are not met. `pretend` names requirements to treat as missing. */
export async function missingFor(command, { pretend = [] } = {}) {
  if (!COMMANDS.includes(command)) throw new Error(`unknown command "${command}" (${COMMANDS.join(', ')})`);
  const needed = requirements.filter((r) => r.for.includes(command));
  const present = await Promise.all(needed.map((r) => !pretend.includes(r.name) && r.present()));
  return needed.filter((_, i) => !present[i]);
}
