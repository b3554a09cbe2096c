// AWS Lambda Runtime Interface Emulator: install (cached), and start one per test harness.
//
// Install: AWS's own emulator, `go install`ed from the module proxy at the pseudo-version in
// versions.mjs (its go.mod names the GitHub path, so no replace directive is needed). It runs the
// project's one Lambda runtime client for Node, the same the local package's runner uses
// (packages/local/src/runner/rie-bootstrap.ts, written out to a file at start).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { host, rieBinPath, runDir, stackHome } from './env.mjs';
import { goEnv, requireGo } from './go.mjs';
import { cachedInstall, cacheKey, installDir, run } from './install.mjs';
import { httpRequest, isAlive, sleep, stopPid, tcpOpen, waitFor } from './process.mjs';
import { versions } from './versions.mjs';

const key = cacheKey(`rie-${versions.rie}`, { m: versions.rieModule, v: versions.rie, recipe: 'go install' });
const binDir = path.join(stackHome, 'rie', 'bin');

/** Where the runtime client is written: one file per content, so concurrent harnesses share it. */
export const bootstrapPath = path.join(runDir, 'rie', 'lambda-runtime-client.mjs');

async function buildRie(dir, log) {
  const pkg = `${versions.rieModule}/cmd/aws-lambda-rie@${versions.rie}`;
  await run('go', ['install', '-trimpath', pkg], { cwd: dir, env: goEnv({ GOBIN: dir }), logFile: log });
}

/** Make <home>/rie/bin/aws-lambda-rie exist (built once per pin). Returns { bin, kind }. */
export async function installRie({ quiet = false } = {}) {
  const bin = path.join(binDir, 'aws-lambda-rie');
  const real = path.join(installDir('rie', key), 'aws-lambda-rie');
  if (!fs.existsSync(real)) {
    requireGo('the Lambda Runtime Interface Emulator');
    if (!quiet)
      console.error('[stack] rie: building aws-lambda-rie with Go (first time only: 30 s to 2 minutes)');
    await cachedInstall('rie', key, buildRie, { quiet });
  }
  fs.mkdirSync(binDir, { recursive: true });
  if (!fs.existsSync(bin) || fs.readlinkSync(bin) !== real) {
    fs.rmSync(bin, { force: true });
    fs.symlinkSync(real, bin);
  }
  return { bin, kind: 'aws-lambda-rie' };
}

export function rieInfo() {
  const bin = rieBinPath();
  return { installed: fs.existsSync(bin), bin, kind: 'aws-lambda-rie' };
}

/**
 * The runtime client, from the local package's source: a .ts file that Node 22.18+ and 24 load as
 * is. Imported only here, so the rest of the stack (up, down, status) also runs on an older `node`.
 */
async function runtimeClientSource() {
  try {
    return (await import('../../packages/local/src/runner/rie-bootstrap.ts')).RIE_BOOTSTRAP_SOURCE;
  } catch (error) {
    if (error.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    throw new Error(
      `startRie needs Node 22.18+ or 24 to load the runtime client's source (this is ${process.version})`,
    );
  }
}

async function writeBootstrap() {
  const RIE_BOOTSTRAP_SOURCE = await runtimeClientSource();
  fs.mkdirSync(path.dirname(bootstrapPath), { recursive: true });
  const current = fs.existsSync(bootstrapPath) ? fs.readFileSync(bootstrapPath, 'utf8') : undefined;
  if (current === RIE_BOOTSTRAP_SOURCE) return;
  const temporary = `${bootstrapPath}.${process.pid}`;
  fs.writeFileSync(temporary, RIE_BOOTSTRAP_SOURCE);
  fs.renameSync(temporary, bootstrapPath);
}

// One set and one exit hook per process: test runners load this module once per test file.
const LIVE = Symbol.for('kafka-lambda.stack.rie.live');
const live = globalThis[LIVE] ?? newLiveSet();

function newLiveSet() {
  const children = new Set();
  globalThis[LIVE] = children;
  // SIGTERM, not SIGKILL: the RIE then stops its runtime process too.
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

/** The RIE's children: the runtime process it started (none before the first invocation). */
function runtimePids(riePid) {
  const pids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === riePid) pids.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

const signalAll = (pids, signal) => {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* exited */
    }
  }
};

/**
 * Start an RIE running `handler` from `handlerDir` with the project's Node runtime client, on loopback.
 * Options: port (invoke port, default: a free one), env (function environment), timeoutSeconds
 * (AWS_LAMBDA_FUNCTION_TIMEOUT), freeze (SIGSTOP the runtime between invocations, as Lambda freezes
 * the sandbox: librdkafka's threads really stop while idle; the RIE itself does not), logFile.
 * Returns { url, port, pid, logFile, kind, invoke(event) -> { status, functionError, body, json }, stop() }.
 */
export async function startRie({
  handlerDir,
  handler = 'index.handler',
  port,
  env = {},
  timeoutSeconds = 60,
  freeze = false,
  logFile,
} = {}) {
  if (!handlerDir) throw new Error('startRie: handlerDir is required');
  handlerDir = path.resolve(handlerDir);
  port ??= await freePort();
  const rapiPort = await freePort();
  if (await tcpOpen(port)) throw new Error(`startRie: port ${port} is taken`);
  const { bin, kind } = rieInfo().installed ? rieInfo() : await installRie({ quiet: true });
  await writeBootstrap();
  logFile ??= path.join(runDir, 'rie', `rie-${port}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(
    bin,
    [
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
  let frozen = [];
  const thaw = () => {
    signalAll(frozen, 'SIGCONT');
    frozen = [];
  };
  return {
    url,
    port,
    pid: child.pid,
    logFile,
    kind,
    async invoke(event = {}, { timeoutMs = (timeoutSeconds + 30) * 1000 } = {}) {
      thaw();
      const body = typeof event === 'string' || Buffer.isBuffer(event) ? event : JSON.stringify(event);
      const res = await httpRequest(url, {
        method: 'POST',
        body,
        timeoutMs,
        headers: { 'Content-Type': 'application/json' },
      });
      if (!res) throw new Error(`RIE on port ${port} did not answer`);
      if (freeze) {
        // Let the runtime post its response and ask for the next event, then stop it, as Lambda does.
        await sleep(100);
        frozen = runtimePids(child.pid);
        signalAll(frozen, 'SIGSTOP');
      }
      let json;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      // Lambda marks a failed invocation with X-Amz-Function-Error; the RIE answers 200 with the
      // runtime's error payload and no such header, so the payload's shape says it.
      const failed = typeof json?.errorType === 'string' && typeof json?.errorMessage === 'string';
      const functionError = res.headers['x-amz-function-error'] ?? (failed ? 'Unhandled' : undefined);
      return { ...res, functionError, json };
    },
    async stop() {
      thaw(); // a stopped runtime would not see the RIE's SIGTERM
      if (child.exitCode === null) await stopPid(child.pid, { graceMs: 5000 });
    },
  };
}
