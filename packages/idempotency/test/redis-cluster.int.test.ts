// The Redis store on a Redis Cluster (one redis-server of this file's own on 16393 in cluster mode,
// holding every slot): a script's keys must share a slot, which a hash tag in keyPrefix gives.
import { randomUUID } from 'node:crypto';
import { StoreConfigError } from '@kafka-lambda/idempotency';
import { redisStore } from '@kafka-lambda/idempotency/redis';
import { createClient, createCluster } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedRedis, startIsolatedRedis } from '../../../scripts/stack/index.mjs';

const signal = new AbortController().signal;
let node: IsolatedRedis;
let cluster: ReturnType<typeof createCluster>;

/** A one-node cluster: cluster mode on, all 16384 slots assigned to the node. */
async function oneNodeCluster(port: number): Promise<IsolatedRedis> {
  const server = await startIsolatedRedis({
    port,
    args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
  });
  const admin = createClient({ url: server.url });
  await admin.connect();
  await admin.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']).catch(() => {}); // already assigned
  while (!(await admin.sendCommand<string>(['CLUSTER', 'INFO'])).includes('cluster_state:ok'))
    await new Promise((resolve) => setTimeout(resolve, 50));
  await admin.close();
  return server;
}

beforeAll(async () => {
  node = await oneNodeCluster(16393);
  cluster = createCluster({ rootNodes: [{ url: node.url }] });
  await cluster.connect();
});
afterAll(async () => {
  await cluster?.close();
  await node?.stop();
});

describe('redisStore on a Redis Cluster', () => {
  it("keys of several slots: the cluster's CROSSSLOT answer becomes a StoreConfigError naming the hash-tag fix", async () => {
    const store = redisStore({ client: cluster });
    const tag = randomUUID();
    const error = await store
      .claim([`${tag}-a`, `${tag}-b`, `${tag}-c`], {
        owner: 'a',
        inProgressUntil: Date.now() + 60_000,
        signal,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreConfigError);
    expect((error as Error).message).toContain('hash tag');
    expect(((error as Error).cause as Error).message).toMatch(/^CROSSSLOT /);
  });

  it('with a hash tag in keyPrefix every key shares one slot: claim, complete and claim again work', async () => {
    const store = redisStore({ client: cluster, keyPrefix: '{idempotency}:' });
    const keys = Array.from({ length: 500 }, (_, i) => `${randomUUID()}-${i}`);
    const until = Date.now() + 60_000;
    expect(new Set(await store.claim(keys, { owner: 'a', inProgressUntil: until, signal }))).toEqual(
      new Set(['claimed']),
    );
    await store.complete(keys, { owner: 'a', completedUntil: until, signal });
    expect(new Set(await store.claim(keys, { owner: 'b', inProgressUntil: until, signal }))).toEqual(
      new Set(['completed']),
    );
  });
});
