// A dedicated single-node Kafka broker for fault injection (stop, kill, restart, SIGSTOP/SIGCONT),
// so that faults never touch the shared broker other tests use. Same install (cached jars) and the
// same server.properties as the stack's broker, on its own ports, with its own data dir, log and
// pid file under <home>/run/isolated-kafka/<name>/. Only the pid this helper spawned is ever signalled.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { host, runDir, stackHome } from './env.mjs';
import { jvmTuning, requireJava, run } from './install.mjs';
import { installKafka, kafkaLibs, log4j2, serverProperties } from './kafka.mjs';
import {
  isAlive,
  ownedPid,
  portFreeWithin,
  readLogSince,
  spawnDetached,
  stopPid,
  tailLines,
  tcpOpen,
  waitFor,
  writePidFile,
} from './process.mjs';
import { portWaitMs } from './service.mjs';

// One set and one exit hook per process: test runners load this module once per test file.
const STARTED = Symbol.for('kafka-lambda.stack.isolated-kafka.started');
const started = globalThis[STARTED] ?? newStartedSet();

function newStartedSet() {
  const pids = new Set();
  globalThis[STARTED] = pids;
  // Never leave a broker behind a test process that exits without its afterAll (SIGKILL: it is a throwaway).
  process.once('exit', () => {
    for (const pid of pids) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
          break;
        } catch {
          /* gone */
        }
      }
    }
  });
  return pids;
}

function signalGroup(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Start a dedicated broker (fresh data) and wait until it serves. Returns a handle:
 * { brokers, port, pid, logFile, dataDir, stop(), kill(), start(), restart(), pause(), resume(), isRunning() }.
 * `stop()` is a clean SIGTERM shutdown (data kept), `kill()` a SIGKILL crash, `start()` starts it
 * again on its data, `pause()`/`resume()` SIGSTOP/SIGCONT the JVM. `properties` override server.properties.
 */
export async function startIsolatedKafka({
  name = 'isolated',
  port = 19092,
  controllerPort = 19093,
  properties = {},
  timeoutMs = 90_000,
} = {}) {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`startIsolatedKafka: invalid name "${name}"`);
  await installKafka({ quiet: true });
  const dir = path.join(runDir, 'isolated-kafka', name);
  const dataDir = path.join(dir, 'data');
  const propsFile = path.join(dir, 'server.properties');
  const log4jFile = path.join(dir, 'log4j2.properties');
  const logFile = path.join(dir, `${name}.log`);
  const pidFile = path.join(dir, `${name}.pid`);
  fs.mkdirSync(dir, { recursive: true });

  // A broker of ours left by a crashed run (named by our pid file only): stop it first.
  const stale = ownedPid(pidFile);
  if (stale) {
    signalGroup(stale, 'SIGCONT');
    await stopPid(stale, { graceMs: 5_000 });
  }
  for (const p of [port, controllerPort]) {
    if (!(await portFreeWithin(p, portWaitMs)))
      throw new Error(`startIsolatedKafka: port ${p} is taken by another process`);
  }

  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.writeFileSync(log4jFile, log4j2);
  fs.writeFileSync(
    propsFile,
    serverProperties({
      'controller.quorum.voters': `1@${host}:${controllerPort}`,
      listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://${host}:${port}`,
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': dataDir,
      ...properties,
    }),
  );
  const java = (args, extra = []) => [
    '-Xms128m',
    '-Xmx384m',
    ...jvmTuning(),
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    ...extra,
    '-cp',
    `${kafkaLibs()}/*`,
    ...args,
  ];
  let id;
  do id = crypto.randomBytes(16).toString('base64url');
  while (id.startsWith('-'));
  await run(requireJava(), java(['kafka.tools.StorageTool', 'format', '-t', id, '-c', propsFile]), {
    logFile,
  });

  let pid;
  let paused = false;

  const running = () => pid !== undefined && isAlive(pid);

  async function start() {
    if (running()) return;
    const spawned = await spawnDetached(requireJava(), java(['kafka.Kafka', propsFile]), {
      cwd: dir,
      env: process.env,
      logFile,
    });
    pid = spawned.pid;
    paused = false;
    started.add(pid);
    writePidFile(pidFile, {
      pid,
      logOffset: spawned.logOffset,
      marker: stackHome,
      endpoint: `${host}:${port}`,
    });
    try {
      await waitFor(
        async () =>
          (await tcpOpen(port)) && /Kafka Server started/.test(readLogSince(logFile, spawned.logOffset)),
        { timeoutMs, alive: () => isAlive(pid) },
      );
    } catch (err) {
      await kill();
      throw new Error(
        `isolated broker "${name}" ${err.code === 'EXITED' ? 'exited before it was ready' : 'not ready in time'}. Last lines of ${logFile}:\n${tailLines(logFile, 40)}`,
      );
    }
  }

  async function stop({ graceMs = 20_000 } = {}) {
    if (pid === undefined) return;
    if (paused) resume();
    await stopPid(pid, { graceMs });
    started.delete(pid);
    fs.rmSync(pidFile, { force: true });
    pid = undefined;
  }

  async function kill() {
    if (pid === undefined) return;
    signalGroup(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, intervalMs: 50 }).catch(() => undefined);
    started.delete(pid);
    fs.rmSync(pidFile, { force: true });
    pid = undefined;
    paused = false;
  }

  function pause() {
    if (!running()) throw new Error(`isolated broker "${name}" is not running`);
    signalGroup(pid, 'SIGSTOP');
    paused = true;
  }

  function resume() {
    if (pid === undefined) return;
    signalGroup(pid, 'SIGCONT');
    paused = false;
  }

  await start();
  return {
    name,
    brokers: `${host}:${port}`,
    port,
    logFile,
    dataDir,
    get pid() {
      return pid;
    },
    isRunning: running,
    start,
    stop,
    kill,
    async restart(opts) {
      await stop(opts);
      await start();
    },
    pause,
    resume,
  };
}
