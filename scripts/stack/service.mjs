// The lifecycle every long-running part shares: reuse ours if healthy, refuse ports held by
// someone else, start detached, wait for readiness, and on failure show the log tail.
import fs from 'node:fs';
import path from 'node:path';
import { portEnvNames, runDir } from './env.mjs';
import {
  ownedPid,
  portFreeWithin,
  readPidFile,
  stopPid,
  tailLines,
  waitFor,
  writePidFile,
} from './process.mjs';

/**
 * @typedef {object} Service
 * @property {string} name           short name: kafka | registry | secrets
 * @property {number[]} ports        every port it listens on (checked before a start)
 * @property {string} endpoint       what `status` prints
 * @property {number} timeoutMs      readiness timeout for a start
 * @property {(ctx: {logOffset: number}) => Promise<boolean>} ready
 */

export const pidFileOf = (svc) => path.join(runDir, svc.name, `${svc.name}.pid`);
export const logFileOf = (svc) => path.join(runDir, svc.name, `${svc.name}.log`);

const timeoutScale = Number(process.env.KAFKA_LAMBDA_STACK_TIMEOUT_SCALE || 1);

/** 'running' (ours, answering), 'starting' (ours, not answering yet) or 'stopped'. */
export async function serviceState(svc) {
  const pid = ownedPid(pidFileOf(svc));
  if (!pid) return { state: 'stopped' };
  const info = readPidFile(pidFileOf(svc));
  const ok = await svc.ready({ logOffset: info.logOffset ?? 0 });
  return { state: ok ? 'running' : 'starting', pid, info };
}

// How long a port held by someone else may take to free itself. KAFKA_LAMBDA_STACK_PORT_WAIT_MS overrides.
export const portWaitMs = Number(process.env.KAFKA_LAMBDA_STACK_PORT_WAIT_MS ?? 60_000);

async function assertPortsFree(svc) {
  for (const port of svc.ports) {
    if (await portFreeWithin(port, portWaitMs)) continue;
    throw new Error(
      `port ${port} is taken by another process (not started by kafka-lambda stack); stop it or set ${portEnvNames[port] ?? 'its port variable'}`,
    );
  }
}

async function awaitReady(svc, pid, logOffset, timeoutMs) {
  const logFile = logFileOf(svc);
  try {
    await waitFor(() => svc.ready({ logOffset }), {
      timeoutMs: timeoutMs * timeoutScale,
      alive: () => ownedPid(pidFileOf(svc)) === pid,
    });
  } catch (err) {
    const why =
      err.code === 'EXITED'
        ? 'exited before it was ready'
        : `not ready after ${(timeoutMs * timeoutScale) / 1000}s`;
    await stopPid(pid, { graceMs: 3000 });
    fs.rmSync(pidFileOf(svc), { force: true });
    throw new Error(`${svc.name} ${why}. Last 40 lines of ${logFile}:\n${tailLines(logFile, 40)}`);
  }
}

/**
 * Make sure the service runs. `start()` spawns it and returns { pid, logOffset, marker };
 * `beforeStart()` runs only when a fresh process is about to start (e.g. wipe data).
 * Returns { pid, reused }.
 */
export async function ensureService(svc, { start, beforeStart } = {}) {
  const pidFile = pidFileOf(svc);
  const current = await serviceState(svc);
  if (current.state === 'running') return { pid: current.pid, reused: true };
  if (current.state === 'starting') {
    // Ours but not answering yet: another `up` may be starting it. Give it the normal time.
    try {
      await awaitReady(svc, current.pid, current.info.logOffset ?? 0, svc.timeoutMs);
      return { pid: current.pid, reused: true };
    } catch {
      /* it was stopped by awaitReady; start afresh below */
    }
  }
  fs.rmSync(pidFile, { force: true }); // stale
  await assertPortsFree(svc);
  if (beforeStart) await beforeStart();
  const { pid, logOffset, marker } = await start();
  writePidFile(pidFile, { pid, logOffset, marker, endpoint: svc.endpoint });
  await awaitReady(svc, pid, logOffset, svc.timeoutMs);
  return { pid, reused: false };
}

/** Stop the process our pid file names (never anything else); remove the pid file. */
export async function stopService(svc) {
  const pidFile = pidFileOf(svc);
  const pid = ownedPid(pidFile);
  if (pid) await stopPid(pid, { graceMs: svc.stopGraceMs ?? 15_000 });
  fs.rmSync(pidFile, { force: true });
  return pid;
}
