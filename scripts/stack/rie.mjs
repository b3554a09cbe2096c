// AWS Lambda Runtime Interface Emulator: install (cached), and start one per test harness.
//
// Install: the RIE is built with Go from the module proxy at a pinned pseudo-version. Its go.mod
// says `module go.amzn.com`, so it cannot be `go install`ed by its GitHub path; a throwaway
// module requires go.amzn.com and replaces it with the GitHub module at the pin. Where that
// build is impossible (no Go, or the proxy refuses the module, as seen in this project's
// sandbox) the stack falls back to lambda-emulator.mjs, a Node stand-in with the same command
// line and HTTP contract. Either way <home>/rie/bin/aws-lambda-rie is the binary to run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { host, rieBinPath, runDir, stackHome } from './env.mjs';
import { cachedInstall, cacheKey, installDir, run } from './install.mjs';
import { httpRequest, isAlive, stopPid, tcpOpen, waitFor } from './process.mjs';
import { versions } from './versions.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const bootstrapPath = path.join(here, 'node-runtime-bootstrap.mjs');
export const emulatorPath = path.join(here, 'lambda-emulator.mjs');
const key = cacheKey(`rie-${versions.rie}`, { m: versions.rieModule, v: versions.rie });
const binDir = path.join(stackHome, 'rie', 'bin');
const unavailableFile = path.join(stackHome, 'rie', `unavailable-${key}.txt`);

const goAvailable = () => spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

async function buildRie(dir, log) {
  const mod = path.join(dir, 'src');
  fs.mkdirSync(mod, { recursive: true });
  fs.writeFileSync(
    path.join(mod, 'go.mod'),
    `module kafka-lambda-stack/rie\n\ngo 1.22\n\nreplace go.amzn.com => ${versions.rieModule} ${versions.rie}\n`,
  );
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off', CGO_ENABLED: '0' };
  await run('go', ['get', 'go.amzn.com/cmd/aws-lambda-rie'], { cwd: mod, env, logFile: log });
  await run(
    'go',
    ['build', '-trimpath', '-o', path.join(dir, 'aws-lambda-rie'), 'go.amzn.com/cmd/aws-lambda-rie'],
    {
      cwd: mod,
      env,
      logFile: log,
    },
  );
  fs.rmSync(mod, { recursive: true, force: true });
}

function writeEmulatorShim(bin) {
  fs.writeFileSync(
    bin,
    `#!/bin/sh\n# kafka-lambda stack: the Go RIE could not be built here (see ${unavailableFile});\n` +
      `# this runs the Node stand-in with the same command line.\nexec '${process.execPath}' '${emulatorPath}' "$@"\n`,
    { mode: 0o755 },
  );
}

/**
 * Make <home>/rie/bin/aws-lambda-rie exist. Returns { bin, kind: 'aws-lambda-rie' | 'node-emulator', note }.
 * A failed Go build is remembered per pin, so a warm `up` does not retry it.
 */
export async function installRie({ quiet = false } = {}) {
  fs.mkdirSync(binDir, { recursive: true });
  const bin = path.join(binDir, 'aws-lambda-rie');
  const real = path.join(installDir('rie', key), 'aws-lambda-rie');
  let note;
  if (!fs.existsSync(real) && !fs.existsSync(unavailableFile)) {
    if (!goAvailable()) note = 'go not found (need Go 1.22+ to build the RIE)';
    else {
      try {
        await cachedInstall('rie', key, buildRie, { quiet });
      } catch (err) {
        note = `go build of ${versions.rieModule}@${versions.rie} failed`;
        fs.writeFileSync(unavailableFile, `${note}\n${err.message}\n`);
      }
    }
    if (note && !quiet) console.error(`[stack] rie: ${note}; using the Node emulator (lambda-emulator.mjs)`);
  }
  fs.rmSync(bin, { force: true });
  if (fs.existsSync(real)) {
    fs.symlinkSync(real, bin);
    return { bin, kind: 'aws-lambda-rie' };
  }
  writeEmulatorShim(bin);
  return {
    bin,
    kind: 'node-emulator',
    note: note ?? fs.readFileSync(unavailableFile, 'utf8').split('\n')[0],
  };
}

export function rieInfo() {
  const bin = rieBinPath();
  if (!fs.existsSync(bin)) return { installed: false, bin };
  const kind =
    fs.lstatSync(bin).isSymbolicLink() || !fs.readFileSync(bin, 'utf8').startsWith('#!/bin/sh')
      ? 'aws-lambda-rie'
      : 'node-emulator';
  return { installed: true, bin, kind };
}

// One set and one exit hook per process: test runners load this module once per test file.
const LIVE = Symbol.for('kafka-lambda.stack.rie.live');
const live = globalThis[LIVE] ?? newLiveSet();

function newLiveSet() {
  const children = new Set();
  globalThis[LIVE] = children;
  // SIGTERM, not SIGKILL: the emulator (and the RIE) then stop their runtime process too.
  process.once('exit', () => {
    for (const child of children) child.kill('SIGTERM');
  });
  return children;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start an RIE running `handler` from `handlerDir` with the Node bootstrap, on loopback.
 * Options: port (invoke port, default: a free one), env (function environment), timeoutSeconds
 * (AWS_LAMBDA_FUNCTION_TIMEOUT), freeze (SIGSTOP between invocations: forces the Node emulator),
 * emulator ('auto' | 'aws' | 'node'), logFile.
 * Returns { url, port, pid, logFile, kind, invoke(event) -> { status, functionError, body, json }, stop() }.
 */
export async function startRie({
  handlerDir,
  handler = 'index.handler',
  port,
  env = {},
  timeoutSeconds = 60,
  freeze = false,
  emulator = 'auto',
  logFile,
} = {}) {
  if (!handlerDir) throw new Error('startRie: handlerDir is required');
  handlerDir = path.resolve(handlerDir);
  port ??= await freePort();
  const rapiPort = await freePort();
  if (await tcpOpen(port)) throw new Error(`startRie: port ${port} is taken`);

  let cmd;
  let prefix = [];
  let kind;
  const useNode = freeze || emulator === 'node';
  if (useNode) {
    [cmd, prefix, kind] = [process.execPath, [emulatorPath], 'node-emulator'];
  } else {
    const info = rieInfo().installed ? rieInfo() : await installRie({ quiet: true });
    if (emulator === 'aws' && info.kind !== 'aws-lambda-rie')
      throw new Error(`startRie: the Go RIE is not installed (${info.bin})`);
    [cmd, kind] = [info.bin, info.kind];
  }
  logFile ??= path.join(runDir, 'rie', `rie-${port}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(
    cmd,
    [
      ...prefix,
      '--runtime-interface-emulator-address',
      `${host}:${port}`,
      '--runtime-api-address',
      `${host}:${rapiPort}`,
      process.execPath,
      bootstrapPath,
      handler,
    ],
    {
      cwd: handlerDir,
      stdio: ['ignore', fd, fd],
      env: {
        ...process.env,
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(timeoutSeconds),
        LAMBDA_TASK_ROOT: handlerDir,
        _HANDLER: handler,
        ...(freeze ? { KAFKA_LAMBDA_RIE_FREEZE: '1' } : {}),
        ...env,
      },
    },
  );
  fs.closeSync(fd);
  live.add(child); // never leave an RIE behind a finished test process
  child.once('exit', () => live.delete(child));
  try {
    await waitFor(() => tcpOpen(port), {
      timeoutMs: 10_000,
      intervalMs: 50,
      alive: () => child.exitCode === null && isAlive(child.pid),
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(
      `RIE did not start (${err.message}); log: ${logFile}\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}`,
    );
  }
  const url = `http://${host}:${port}/2015-03-31/functions/function/invocations`;
  return {
    url,
    port,
    pid: child.pid,
    logFile,
    kind,
    async invoke(event = {}, { timeoutMs = (timeoutSeconds + 30) * 1000 } = {}) {
      const body = typeof event === 'string' || Buffer.isBuffer(event) ? event : JSON.stringify(event);
      const res = await httpRequest(url, {
        method: 'POST',
        body,
        timeoutMs,
        headers: { 'Content-Type': 'application/json' },
      });
      if (!res) throw new Error(`RIE on port ${port} did not answer`);
      let json;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { ...res, functionError: res.headers['x-amz-function-error'], json };
    },
    async stop() {
      if (child.exitCode === null) await stopPid(child.pid, { graceMs: 5000 });
    },
  };
}
