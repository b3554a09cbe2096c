// Schema Registry: Apicurio Registry (Quarkus app from Maven Central), in-memory H2 storage,
// serving the Confluent-compatible API at /apis/ccompat/v7.
import fs from 'node:fs';
import path from 'node:path';
import { host, ports, runDir, stackHome } from './env.mjs';
import { cachedInstall, cacheKey, isInstalled, jvmTuning, requireJava, run } from './install.mjs';
import { copyArtifact } from './maven.mjs';
import { httpRequest, spawnDetached } from './process.mjs';
import { ensureService, logFileOf, stopService } from './service.mjs';
import { versions } from './versions.mjs';

const artifact = {
  groupId: 'io.apicurio',
  artifactId: 'apicurio-registry-app',
  version: versions.apicurio,
  classifier: 'all',
  type: 'tar.gz',
};
const key = cacheKey(`apicurio-${versions.apicurio}`, artifact);
const ccompat = `http://${host}:${ports.registry}/apis/ccompat/v7`;

export const registryService = {
  name: 'registry',
  ports: [ports.registry],
  endpoint: ccompat,
  timeoutMs: 90_000,
  async ready() {
    return (await httpRequest(`${ccompat}/subjects`))?.status === 200;
  },
};

export const registryInstalled = () => isInstalled('registry', key);

export async function installRegistry(opts) {
  requireJava();
  return cachedInstall(
    'registry',
    key,
    async (dir, log) => {
      const tgz = await copyArtifact(artifact, path.join(dir, 'download'), log);
      await run('tar', ['xzf', tgz, '-C', dir], { logFile: log });
      fs.rmSync(path.join(dir, 'download'), { recursive: true, force: true });
      if (!runnerJar(dir)) throw new Error(`no runnable jar in ${artifact.artifactId} ${versions.apicurio}`);
    },
    opts,
  );
}

// 3.0.x ships a Quarkus "legacy jar" (<name>-runner.jar + lib/); later lines ship quarkus-run.jar.
function runnerJar(dir) {
  if (fs.existsSync(path.join(dir, 'quarkus-run.jar'))) return 'quarkus-run.jar';
  return fs.readdirSync(dir).find((f) => f.endsWith('-runner.jar'));
}

// Settings that make Apicurio's ccompat API behave like Confluent's for Confluent-style clients.
const settings = {
  'quarkus.http.host': host,
  'quarkus.http.port': ports.registry,
  // Confluent ids name the schema content: the same schema under two subjects gets ONE id, and
  // an unknown id answers 40403. Apicurio's content ids do exactly that. Legacy-id mode (true)
  // would hand out global ids instead: a new id per subject version, and 40401 for unknown ids.
  'apicurio.ccompat.legacy-id-mode.enabled': false,
  // Same schema text modulo formatting => same id, as Confluent does.
  'apicurio.ccompat.use-canonical-hash': true,
  // Tests clean up subjects (DELETE /subjects/{s}), which Apicurio refuses by default.
  'apicurio.rest.deletion.group.enabled': true,
  'apicurio.rest.deletion.artifact.enabled': true,
  'apicurio.rest.deletion.artifact-version.enabled': true,
  // In-memory H2 (the default storage) with a small pool: the default holds 20 connections.
  'apicurio.datasource.jdbc.initial-size': 2,
  'apicurio.datasource.jdbc.min-size': 2,
  'apicurio.datasource.jdbc.max-size': 20,
};

export async function upRegistry({ quiet } = {}) {
  const { dir } = await installRegistry({ quiet });
  return ensureService(registryService, {
    start: async () => {
      const r = await spawnDetached(
        requireJava(),
        [
          '-Xms128m',
          '-Xmx512m',
          ...jvmTuning(),
          ...Object.entries(settings).map(([k, v]) => `-D${k}=${v}`),
          '-jar',
          path.join(dir, runnerJar(dir)),
        ],
        { cwd: path.join(runDir, 'registry'), env: process.env, logFile: logFileOf(registryService) },
      );
      return { ...r, marker: stackHome };
    },
  });
}

export const stopRegistry = () => stopService(registryService);
