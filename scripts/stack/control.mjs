// up / down / status over the parts. Parts install and start in parallel; `up` holds a lock so
// concurrent callers (CI step + vitest globalSetup, parallel test projects) never double-start.
// A caller names the parts it uses (the demo: kafka, registry, secrets, rie): nothing else is
// installed or started for it, so a slow first build (Jaeger) never holds up a command without it.
import fs from 'node:fs';
import path from 'node:path';
import { runDir, stackEnv } from './env.mjs';
import { jaegerInstalled, jaegerService, jaegerUnavailable, upJaeger } from './jaeger.mjs';
import { kafkaInstalled, kafkaService, upKafka } from './kafka.mjs';
import { isAlive, readPidFile, sleep } from './process.mjs';
import { redisInstalled, redisService, upRedis } from './redis.mjs';
import { registryInstalled, registryService, upRegistry } from './registry.mjs';
import { installRie, rieInfo } from './rie.mjs';
import { secretsInstalled, secretsService, upSecrets } from './secrets.mjs';
import { serviceState, stopService } from './service.mjs';

export const services = [
  { svc: kafkaService, up: upKafka, installed: kafkaInstalled },
  { svc: registryService, up: upRegistry, installed: registryInstalled },
  { svc: secretsService, up: upSecrets, installed: secretsInstalled },
  { svc: redisService, up: upRedis, installed: redisInstalled },
  // Optional (needs Go): an unavailable Jaeger is reported, not an error.
  { svc: jaegerService, up: upJaeger, installed: jaegerInstalled },
];

const lockDir = path.join(runDir, 'up.lock');

async function withLock(fn, { timeoutMs = 10 * 60_000 } = {}) {
  fs.mkdirSync(runDir, { recursive: true });
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(lockDir); // atomic: exactly one caller wins
      fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify({ pid: process.pid }));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const owner = readPidFile(path.join(lockDir, 'owner.json'));
      const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      // Owner gone (or never wrote its pid within 5 s): the lock is stale.
      if ((owner && !isAlive(owner.pid)) || (!owner && age > 5000))
        fs.rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > until) throw new Error(`another "stack up" (pid ${owner?.pid}) holds ${lockDir}`);
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

/** Every part, in the order `up` reports them: the services, then the RIE (installed, not started). */
export const PARTS = [...services.map(({ svc }) => svc.name), 'rie'];

/**
 * Install what is missing and start what is not running, of `parts` (default: all). Throws if any
 * part failed.
 */
export async function up({ quiet = false, parts = PARTS } = {}) {
  const unknown = parts.filter((part) => !PARTS.includes(part));
  if (unknown.length > 0) throw new Error(`unknown part ${unknown.join(', ')} (parts: ${PARTS.join(', ')})`);
  return withLock(async () => {
    const say = quiet ? () => {} : (m) => console.log(m);
    const timed = async (name, fn) => {
      const t = Date.now();
      const r = await fn();
      return { name, ms: Date.now() - t, ...r };
    };
    const chosen = services.filter(({ svc }) => parts.includes(svc.name));
    const names = [...chosen.map(({ svc }) => svc.name), ...(parts.includes('rie') ? ['rie'] : [])];
    const jobs = [
      ...chosen.map(({ svc, up: start }) => timed(svc.name, () => start({ quiet }))),
      ...(parts.includes('rie') ? [timed('rie', () => installRie({ quiet }))] : []),
    ];
    const results = await Promise.allSettled(jobs);
    const errors = [];
    for (const [i, r] of results.entries()) {
      const name = names[i];
      if (r.status === 'rejected') {
        errors.push(`${name}: ${r.reason?.message ?? r.reason}`);
        say(`${name.padEnd(9)} FAILED`);
        continue;
      }
      const v = r.value;
      if (v.unavailable) {
        say(`${name.padEnd(9)} unavailable — ${v.unavailable}`);
        continue;
      }
      if (name === 'rie') {
        say(`${'rie'.padEnd(9)} installed (${v.kind}) ${v.bin}`);
        continue;
      }
      const state = v.reused ? 'running (reused)' : `started in ${secs(v.ms)}`;
      say(`${name.padEnd(9)} ${state}  pid ${v.pid}  ${chosen[i].svc.endpoint}`);
    }
    if (errors.length) throw new Error(errors.join('\n\n'));
    return stackEnv;
  });
}

/**
 * Start whatever of `parts` (default: all) is not running (reusing running parts), then copy the
 * endpoints of every part into process.env (without overriding values already set). Safe to call
 * from several processes at once: `up` holds a lock. Returns the endpoints.
 */
export async function ensureStack({ quiet = true, applyEnv = true, parts = PARTS } = {}) {
  await up({ quiet, parts });
  if (applyEnv)
    for (const [k, v] of Object.entries(stackEnv)) if (process.env[k] === undefined) process.env[k] = v;
  return stackEnv;
}

/** Stop only the processes our pid files name. `purge` also removes logs and Kafka data. */
export async function down({ purge = false, quiet = false } = {}) {
  const stopped = await Promise.all(services.map(async ({ svc }) => [svc.name, await stopService(svc)]));
  if (!quiet)
    for (const [name, pid] of stopped)
      console.log(`${name.padEnd(9)} ${pid ? `stopped (pid ${pid})` : 'was not running'}`);
  if (purge) fs.rmSync(runDir, { recursive: true, force: true });
}

export async function status() {
  const rows = await Promise.all(
    services.map(async ({ svc, installed }) => {
      const s = await serviceState(svc);
      const inst = installed() ? 'installed' : 'not installed';
      if (s.state === 'stopped' && svc === jaegerService && !installed())
        return `${svc.name.padEnd(9)} stopped   (not installed: ${jaegerUnavailable()})`;
      if (s.state === 'stopped') return `${svc.name.padEnd(9)} stopped   (${inst})`;
      return `${svc.name.padEnd(9)} ${s.state.padEnd(9)} pid ${s.pid}  ${svc.endpoint}`;
    }),
  );
  const rie = rieInfo();
  rows.push(`${'rie'.padEnd(9)} ${rie.installed ? `installed (${rie.kind}) ${rie.bin}` : 'not installed'}`);
  return rows.join('\n');
}
