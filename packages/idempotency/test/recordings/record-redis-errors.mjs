// Records what node-redis (@redis/client) really rejects with on the faults the Redis store must
// classify, against a redis-server of this script's own on 127.0.0.1:16390 (never the shared one), a
// closed port (16391) and a one-node Redis Cluster of its own (16393). Writes redis-errors.json next to this file, which the unit tests' fake
// client replays. Re-record after upgrading the client or the server:
//
//   node packages/idempotency/test/recordings/record-redis-errors.mjs
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIsolatedRedis } from '../../../../scripts/stack/index.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../package.json'));
const { createClient } = require('@redis/client');
const clientVersion = require('@redis/client/package.json').version;

function shape(error) {
  const out = { class: error?.constructor?.name, name: error?.name, message: error?.message };
  for (const key of Object.keys(error ?? {})) if (key !== 'stack' && key !== 'message') out[key] = error[key];
  if (error?.cause) out.cause = shape(error.cause);
  return out;
}

/** A client as the store creates its own: no offline queue, no reconnect. */
function storeClient(url) {
  const events = [];
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: false },
  });
  client.on('error', (error) => events.push({ event: 'error', error: shape(error) }));
  return { client, events };
}

async function rejection(promise) {
  try {
    return { resolved: await promise };
  } catch (error) {
    return { rejected: shape(error) };
  }
}

const scenarios = {};
const redis = await startIsolatedRedis({ port: 16390 });
try {
  {
    const { client, events } = storeClient('redis://127.0.0.1:16391');
    scenarios['connect-refused'] = {
      how: 'connect() to a closed port (nothing listens on 16391)',
      connect: await rejection(client.connect()),
      events,
    };
  }
  {
    const { client, events } = storeClient(redis.url);
    await client.connect();
    const version = (await client.info('server')).match(/redis_version:(\S+)/)?.[1];
    scenarios.server = { version };
    scenarios.noscript = {
      how: 'EVALSHA of a sha1 the server has not loaded',
      reply: await rejection(client.evalSha('0'.repeat(40), { keys: ['k'], arguments: [] })),
    };
    await client.set('a-string', 'x');
    scenarios['script-runtime-error'] = {
      how: 'EVAL of a script whose redis.call fails (INCR of a non-integer value)',
      reply: await rejection(
        client.eval("return redis.call('INCR', KEYS[1])", { keys: ['a-string'], arguments: [] }),
      ),
    };
    scenarios['script-compile-error'] = {
      how: 'EVAL of a script that does not compile',
      reply: await rejection(client.eval('return (', { keys: [], arguments: [] })),
    };
    await redis.stop();
    const afterStop = await rejection(client.evalSha('0'.repeat(40), { keys: ['k'], arguments: [] }));
    scenarios['server-stopped'] = {
      how: 'the server is stopped (SIGTERM) under a connected client; then one EVALSHA',
      command: afterStop,
      isOpen: client.isOpen,
      isReady: client.isReady,
      events,
    };
    const again = await rejection(client.evalSha('0'.repeat(40), { keys: ['k'], arguments: [] }));
    scenarios['server-stopped'].secondCommand = again;
  }
} finally {
  await redis.stop();
}

// A one-node Redis Cluster (every slot on one node, 16393): a script over keys of several slots.
const node = await startIsolatedRedis({
  port: 16393,
  args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
});
try {
  const admin = createClient({ url: node.url });
  await admin.connect();
  await admin.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']).catch(() => {});
  while (!(await admin.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok'))
    await new Promise((resolve) => setTimeout(resolve, 50));
  await admin.close();
  const { createCluster } = require('@redis/client');
  const cluster = createCluster({ rootNodes: [{ url: node.url }] });
  await cluster.connect();
  scenarios.crossslot = {
    how: 'EVAL through createCluster() with KEYS of three different slots',
    reply: await rejection(cluster.eval('return 1', { keys: ['a', 'b', 'c'], arguments: [] })),
  };
  await cluster.close();
} finally {
  await node.stop();
}

const file = path.join(here, 'redis-errors.json');
fs.writeFileSync(
  file,
  `${JSON.stringify(
    {
      producedBy: 'node packages/idempotency/test/recordings/record-redis-errors.mjs',
      client: `@redis/client ${clientVersion}`,
      server: `redis-server ${scenarios.server.version} (Debian)`,
      recordedAt: new Date().toISOString(),
      scenarios,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${file}`);
process.exit(0);
