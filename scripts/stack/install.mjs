// Cached installs: each part installs into <home>/<part>/<key>, where key is derived from the
// pinned versions (and the install recipe), so a warm `up` finds it and a bump reinstalls.
// Installs go to a temp dir renamed into place, so an interrupted install is never "found".
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stackHome } from './env.mjs';

export function cacheKey(label, recipe) {
  const hash = crypto.createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 10);
  return `${label}-${hash}`;
}

export function installDir(part, key) {
  return path.join(stackHome, part, key);
}

export function isInstalled(part, key) {
  return fs.existsSync(path.join(installDir(part, key), '.installed'));
}

/**
 * Return the install dir for (part, key), running `fn(tmpDir, log)` first if it is missing.
 * Older keys of the same part are pruned after a successful install.
 */
export async function cachedInstall(part, key, fn, { quiet = false } = {}) {
  const dir = installDir(part, key);
  if (isInstalled(part, key)) return { dir, installed: false, ms: 0 };
  const started = Date.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const logFile = path.join(stackHome, part, `install-${key}.log`);
  fs.writeFileSync(logFile, '');
  if (!quiet) console.error(`[stack] installing ${part} (${key}) ... log: ${logFile}`);
  try {
    await fn(tmp, logFile);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    err.message = `${part} install failed: ${err.message}\n  install log: ${logFile}`;
    throw err;
  }
  fs.writeFileSync(path.join(tmp, '.installed'), JSON.stringify({ key, at: new Date().toISOString() }));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  prune(part, key);
  const ms = Date.now() - started;
  if (!quiet) console.error(`[stack] installed ${part} in ${(ms / 1000).toFixed(1)}s`);
  return { dir, installed: true, ms };
}

function prune(part, keep) {
  const root = path.join(stackHome, part);
  for (const name of fs.readdirSync(root)) {
    if (name === keep || name === 'bin' || name.includes('.tmp-') || name.startsWith('install-')) continue;
    if (fs.existsSync(path.join(root, name, '.installed')))
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

/** Run a command to completion, appending its output to `logFile`; rejects with the tail on failure. */
export function run(cmd, args, { cwd, env, logFile }) {
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(logFile, 'a');
    fs.writeSync(fd, `\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', fd, fd] });
    child.on('error', (err) => {
      fs.closeSync(fd);
      reject(err);
    });
    child.on('close', (code) => {
      fs.closeSync(fd);
      if (code === 0) return resolve();
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
      reject(new Error(`${cmd} exited with ${code}:\n${tail}`));
    });
  });
}

/** Check a tool is on PATH; throws the friendly message otherwise. Returns its stdout+stderr. */
export function requireTool(cmd, args, message) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(message);
  return `${r.stdout}${r.stderr}`;
}

export function javaBin() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/**
 * JIT/GC flags for the stack's JVMs. Default: C1 only + serial GC, which roughly halves start
 * time on a 2-core machine (Kafka ~4 s, Apicurio ~2.5 s) at some cost in peak throughput.
 * KAFKA_LAMBDA_STACK_JVM_OPTS replaces them (e.g. "-XX:+UseG1GC" for a benchmark run).
 */
export function jvmTuning() {
  const v = process.env.KAFKA_LAMBDA_STACK_JVM_OPTS;
  return v !== undefined ? v.split(/\s+/).filter(Boolean) : ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
}

/** Java 17+ is required by Kafka 4 and Apicurio 3.0. */
export function requireJava() {
  const out = requireTool(javaBin(), ['-version'], 'java not found (need Java 17+)');
  const m = out.match(/version "(\d+)(?:\.(\d+))?/);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) throw new Error(`java ${major || '?'} found, need Java 17+ (set JAVA_HOME)`);
  return javaBin();
}

/** Serialize calls that share a cache not safe for concurrent writers (the local Maven repo). */
export function mutex() {
  let tail = Promise.resolve();
  return (fn) => {
    const result = tail.then(fn);
    tail = result.catch(() => {});
    return result;
  };
}
