// Process helpers: pid files, detached spawns, probes (TCP/HTTP), waiting, log tails.
// A process is "ours" only if our pid file names it, it is alive, and its command line still
// mentions the stack home (guards against a recycled pid). We never look processes up by name.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) still answers kill(0): treat it as gone.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
}

export function readPidFile(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export function writePidFile(file, info) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...info, startedAt: new Date().toISOString() }, null, 2));
}

/** The pid recorded in `file` if that process is alive and still the one we started. */
export function ownedPid(file) {
  const info = readPidFile(file);
  if (!info?.pid || !isAlive(info.pid)) return null;
  const cmd = cmdline(info.pid);
  if (cmd !== null && info.marker && !cmd.includes(info.marker)) return null;
  return info.pid;
}

/**
 * Spawn a long-lived child that outlives this CLI: own process group, stdio to a log file.
 * Returns { pid, logOffset } — the log size before the spawn, so readiness checks read only
 * what this run wrote.
 */
export function spawnDetached(cmd, args, { cwd, env, logFile }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  const logOffset = fs.fstatSync(fd).size;
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.unref();
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${cmd}: ${err.message}`)));
    child.once('spawn', () => resolve({ pid: child.pid, logOffset }));
  });
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Signals the process group we created. */
export async function stopPid(pid, { graceMs = 10_000 } = {}) {
  const signal = (sig) => {
    try {
      process.kill(-pid, sig); // detached => the child leads its own group
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  signal('SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

/** True if something accepts TCP connections on host:port. */
export function tcpOpen(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Minimal HTTP request on loopback; resolves { status, headers, body } or null on connection error. */
export function httpRequest(url, { method = 'GET', headers = {}, body, timeoutMs = 3000 } = {}) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

/** Poll `check` until it returns truthy, the `alive` guard fails, or the timeout passes. */
export async function waitFor(check, { timeoutMs, intervalMs = 250, alive = () => true }) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (!alive()) throw Object.assign(new Error('process exited'), { code: 'EXITED' });
    if (Date.now() > until) throw Object.assign(new Error('timed out'), { code: 'TIMEOUT' });
    await sleep(intervalMs);
  }
}

/**
 * Whether `port` is free or frees itself within `timeoutMs`: a port held by a process that is going
 * away (a stack another checkout is stopping) is released within seconds, so that is not "taken".
 */
export async function portFreeWithin(port, timeoutMs) {
  if (!(await tcpOpen(port))) return true;
  return waitFor(async () => !(await tcpOpen(port)), { timeoutMs }).then(
    () => true,
    () => false,
  );
}

/** Text appended to a log since `offset`. */
export function readLogSince(file, offset = 0) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - offset));
      fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function tailLines(file, n = 40) {
  const text = readLogSince(
    file,
    Math.max(0, (fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) - 64 * 1024),
  );
  return text
    .split('\n')
    .slice(-n - 1)
    .join('\n');
}
