// Kafka Streams for the trade-settlement example's stateful half (examples/trade-settlement/streams):
// the library's jars and protoc from Maven Central, fetched once into the stack cache like the
// broker's, and a javac build of the example's topology against them (cached by its sources' hash).
// Not a service: the demo and its test start the topology as a child process of their own.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stackHome } from './env.mjs';
import { cachedInstall, cacheKey, installDir, javaBin, requireJava, requireTool, run } from './install.mjs';
import { copyArtifact, copyDependencies } from './maven.mjs';
import { versions } from './versions.mjs';

export const streamsVersions = Object.freeze({
  // The same line as the broker (versions.kafka).
  kafkaStreams: versions.kafka,
  // protoc turns the registry's schema text into a descriptor; protobuf-java decodes with it.
  protobuf: '4.33.5',
  jackson: '2.19.0', // the jackson-annotations kafka-clients pulls: databind must not be newer
  slf4j: versions.slf4j,
});

const deps = [
  { groupId: 'org.apache.kafka', artifactId: 'kafka-streams', version: streamsVersions.kafkaStreams },
  { groupId: 'com.google.protobuf', artifactId: 'protobuf-java', version: streamsVersions.protobuf },
  { groupId: 'com.fasterxml.jackson.core', artifactId: 'jackson-databind', version: streamsVersions.jackson },
  // kafka-clients still pulls slf4j-api 1.7, which does not find a 2.x binding: pin both.
  { groupId: 'org.slf4j', artifactId: 'slf4j-api', version: streamsVersions.slf4j },
  { groupId: 'org.slf4j', artifactId: 'slf4j-simple', version: streamsVersions.slf4j },
];
// protoc's Maven classifier for this machine.
const protocClassifier = () => {
  const arch = { x64: 'x86_64', arm64: 'aarch_64' }[process.arch];
  const os = { linux: 'linux', darwin: 'osx' }[process.platform];
  if (!arch || !os)
    throw new Error(`no protoc build on Maven Central for ${process.platform}/${process.arch}`);
  return `${os}-${arch}`;
};
const protoc = () => ({
  groupId: 'com.google.protobuf',
  artifactId: 'protoc',
  version: streamsVersions.protobuf,
  classifier: protocClassifier(),
  type: 'exe',
});
const key = () => cacheKey(`kafka-streams-${streamsVersions.kafkaStreams}`, [deps, protoc()]);

/** Fetches the jars and protoc (once); returns `{ libs, protoc }`. */
export async function installStreams(opts) {
  requireJava();
  const { dir } = await cachedInstall(
    'streams',
    key(),
    async (tmp, log) => {
      await copyDependencies(deps, path.join(tmp, 'libs'), log);
      const exe = await copyArtifact(protoc(), path.join(tmp, 'bin'), log);
      fs.renameSync(exe, path.join(tmp, 'bin', 'protoc'));
      fs.chmodSync(path.join(tmp, 'bin', 'protoc'), 0o755);
    },
    opts,
  );
  return { libs: path.join(dir, 'libs'), protoc: path.join(dir, 'bin', 'protoc') };
}

/**
 * Compiles the `.java` files of `sourceDir` against the fetched jars into the stack cache (once per
 * content of the sources and versions). Returns what `java` needs: `{ classpath, protoc, java }`.
 */
export async function buildStreamsApp(sourceDir, opts = {}) {
  const { libs, protoc: protocBin } = await installStreams(opts);
  requireTool('javac', ['-version'], 'javac not found (need a Java 17+ JDK, not only a JRE)');
  const sources = fs
    .readdirSync(sourceDir, { recursive: true })
    .filter((file) => String(file).endsWith('.java'))
    .map((file) => path.join(sourceDir, String(file)))
    .sort();
  const hash = crypto.createHash('sha256').update(key());
  for (const file of sources) hash.update(file).update(fs.readFileSync(file));
  const out = path.join(stackHome, 'streams', 'apps', hash.digest('hex').slice(0, 12));
  const jars = fs
    .readdirSync(libs)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => path.join(libs, f));
  if (!fs.existsSync(path.join(out, '.built'))) {
    const tmp = `${out}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    const log = path.join(stackHome, 'streams', 'javac.log');
    fs.writeFileSync(log, '');
    await run('javac', ['--release', '17', '-d', tmp, '-cp', jars.join(path.delimiter), ...sources], {
      logFile: log,
    });
    fs.writeFileSync(path.join(tmp, '.built'), '');
    fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(tmp, out);
  }
  return { classpath: [out, ...jars].join(path.delimiter), protoc: protocBin, java: javaBin() };
}

export const streamsInstallDir = () => installDir('streams', key());
