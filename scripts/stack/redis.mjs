// Redis (the idempotency store of @kafka-lambda/idempotency/redis): Debian's `redis-server`
// (apt; .ci/run installs it), started like the other services, in memory only (`--save ''`,
// `--appendonly no`), loopback only. Not installed by the stack: a missing binary fails with a plain
// message naming the package.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { host, ports, runDir } from './env.mjs';
import { spawnDetached } from './process.mjs';
import { ensureService, logFileOf, stopService } from './service.mjs';

const binary = process.env.REDIS_SERVER_BIN || 'redis-server';
export const redisUrl = `redis://${host}:${ports.redis}`;

/** One RESP command on a fresh connection; resolves the raw reply text, or null on any failure. */
export function redisCommand(port, args, { timeoutMs = 1000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    let reply = '';
    const done = (value) => {
      sock.destroy();
      resolve(value);
    };
    sock.setTimeout(timeoutMs, () => done(null));
    sock.once('error', () => done(null));
    sock.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('\r\n')) done(reply);
    });
    sock.once('connect', () =>
      sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`),
    );
  });
}

export const redisService = {
  name: 'redis',
  ports: [ports.redis],
  endpoint: redisUrl,
  timeoutMs: 15_000,
  stopGraceMs: 5_000,
  async ready() {
    return (await redisCommand(ports.redis, ['PING'])) === '+PONG\r\n';
  },
};

export const redisInstalled = () => spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * The arguments of a redis-server on `port` with its working dir `dir`. `--set-proc-title no` keeps
 * the command line as spawned, so it still names the stack home (the ownership marker of pid files).
 */
export function redisArgs(port, dir) {
  return [
    '--port',
    String(port),
    '--bind',
    host,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--set-proc-title',
    'no',
    '--daemonize',
    'no',
  ];
}

export async function upRedis() {
  if (!redisInstalled())
    throw new Error(`${binary} not found (install Debian's redis-server: apt-get install redis-server)`);
  const dir = path.join(runDir, 'redis', 'data');
  return ensureService(redisService, {
    start: async () => {
      fs.mkdirSync(dir, { recursive: true });
      const r = await spawnDetached(binary, redisArgs(ports.redis, dir), {
        cwd: dir,
        env: process.env,
        logFile: logFileOf(redisService),
      });
      return { ...r, marker: dir };
    },
  });
}

export const stopRedis = () => stopService(redisService);

/**
 * A redis-server of its own on `port` (default 16390), for fault injection: tests stop and start it
 * without touching the shared one. `args` are more server arguments (e.g. `--cluster-enabled yes`). Its pid file, log and data dir live under <home>/run/isolated-redis-<port>/.
 */
export async function startIsolatedRedis({ port = 16390, timeoutMs = 15_000, args = [] } = {}) {
  if (!redisInstalled())
    throw new Error(`${binary} not found (install Debian's redis-server: apt-get install redis-server)`);
  const svc = {
    name: `isolated-redis-${port}`,
    ports: [port],
    endpoint: `redis://${host}:${port}`,
    timeoutMs,
    stopGraceMs: 5_000,
    ready: async () => (await redisCommand(port, ['PING'])) === '+PONG\r\n',
  };
  const dir = path.join(runDir, svc.name, 'data');
  const start = () =>
    ensureService(svc, {
      start: async () => {
        fs.mkdirSync(dir, { recursive: true });
        const r = await spawnDetached(binary, [...redisArgs(port, dir), ...args], {
          cwd: dir,
          env: process.env,
          logFile: logFileOf(svc),
        });
        return { ...r, marker: dir };
      },
    });
  await start();
  return {
    url: svc.endpoint,
    port,
    start: async () => {
      await start();
    },
    stop: async () => {
      await stopService(svc);
    },
  };
}
