// AWS Secrets Manager emulator: moto's server (PyPI) in a venv in the cache.
// Its request recorder is on, so tests can count calls (e.g. "the secret is read once").
import fs from 'node:fs';
import path from 'node:path';
import { host, ports, runDir, stackHome } from './env.mjs';
import { cachedInstall, cacheKey, installDir, isInstalled, requireTool, run } from './install.mjs';
import { httpRequest, spawnDetached } from './process.mjs';
import { ensureService, logFileOf, stopService } from './service.mjs';
import { versions } from './versions.mjs';

const spec = `moto[server]==${versions.moto}`;
const key = cacheKey(`moto-${versions.moto}`, spec);
const url = `http://${host}:${ports.secrets}`;
export const recordingFile = path.join(runDir, 'secrets', 'requests.jsonl');

export const secretsService = {
  name: 'secrets',
  ports: [ports.secrets],
  endpoint: url,
  timeoutMs: 30_000,
  async ready() {
    // Any HTTP answer will do; the recorder's own endpoints are the one path it never records.
    return (await httpRequest(`${url}/moto-api/recorder/download-recording`)) !== null;
  },
};

export const secretsInstalled = () => isInstalled('secrets', key);
const venv = () => path.join(installDir('secrets', key), 'venv');

export async function installSecrets(opts) {
  return cachedInstall(
    'secrets',
    key,
    async (dir, log) => {
      requireTool('python3', ['--version'], 'python3 not found (need Python 3.9+ with venv to run moto)');
      const v = path.join(dir, 'venv');
      await run('python3', ['-m', 'venv', v], { logFile: log });
      await run(path.join(v, 'bin', 'pip'), ['install', '--disable-pip-version-check', '-q', spec], {
        logFile: log,
      });
    },
    opts,
  );
}

export async function upSecrets({ quiet } = {}) {
  await installSecrets({ quiet });
  return ensureService(secretsService, {
    start: async () => {
      fs.mkdirSync(path.dirname(recordingFile), { recursive: true });
      fs.writeFileSync(recordingFile, ''); // a fresh server starts a fresh recording
      // Launch through the venv's python by path: the venv path in argv is the ownership marker.
      const r = await spawnDetached(
        path.join(venv(), 'bin', 'python'),
        ['-m', 'moto.server', '-H', host, '-p', String(ports.secrets)],
        {
          cwd: path.join(runDir, 'secrets'),
          env: { ...process.env, MOTO_ENABLE_RECORDING: 'True', MOTO_RECORDER_FILEPATH: recordingFile },
          logFile: logFileOf(secretsService),
        },
      );
      return { ...r, marker: stackHome };
    },
  });
}

export const stopSecrets = () => stopService(secretsService);

// --- helpers for tests -------------------------------------------------------------------

/** Forget all secrets (moto's global reset) and the request recording. */
export async function resetSecrets() {
  await httpRequest(`${url}/moto-api/reset`, { method: 'POST' });
  await httpRequest(`${url}/moto-api/recorder/reset-recording`, { method: 'POST' });
}

/** Requests moto recorded since the last reset: [{ method, url, headers, body }]. */
export async function recordedRequests() {
  const res = await httpRequest(`${url}/moto-api/recorder/download-recording`);
  if (res?.status !== 200) throw new Error(`moto recorder answered ${res?.status ?? 'nothing'}`);
  // moto writes a request over 8 KB in pieces, which concurrent requests (a DynamoDB batch) can
  // interleave into lines that are not JSON: those are skipped, not fatal to every later reader.
  return res.body
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
}

/** How many calls of one Secrets Manager action (e.g. 'GetSecretValue') moto has seen. */
export async function countSecretsCalls(action) {
  const target = `secretsmanager.${action}`;
  return (await recordedRequests()).filter((r) => {
    const h = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
    return h['x-amz-target'] === target;
  }).length;
}
