// The Redis store against the real redis-server of the stack (REDIS_URL) and, for the outage, one of
// this file's own on port 16390 (never the shared one).
import { randomUUID } from 'node:crypto';
import type { ClaimState } from '@kafka-lambda/idempotency';
import { StoreRequestError } from '@kafka-lambda/idempotency';
import { type RedisScriptClient, redisStore } from '@kafka-lambda/idempotency/redis';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedRedis, startIsolatedRedis } from '../../../scripts/stack/index.mjs';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const signal = new AbortController().signal;
const claimFor = (owner: string, ms = 60_000) => ({ owner, inProgressUntil: Date.now() + ms, signal });
const completeFor = (owner: string, ms = 60_000) => ({ owner, completedUntil: Date.now() + ms, signal });
const keysOf = (n: number, tag = randomUUID()) => Array.from({ length: n }, (_, i) => `${tag}/orders-0@${i}`);

const admin = createClient({ url });
beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await admin.close();
});

/** A node-redis client that counts the scripts it sends: each EVAL/EVALSHA is one round trip. */
async function countingClient() {
  const client = createClient({ url });
  await client.connect();
  const calls: string[] = [];
  const counted: RedisScriptClient = {
    evalSha(sha, options) {
      calls.push('EVALSHA');
      return client.evalSha(sha, options);
    },
    eval(source, options) {
      calls.push('EVAL');
      return client.eval(source, options);
    },
  };
  return { client, counted, calls };
}

/** Waits until Redis has dropped `key` (its PXAT expiry passed). */
async function expired(key: string) {
  while ((await admin.pTTL(key)) !== -2) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('redisStore against redis-server', () => {
  it('claims absent keys, reports completed and in-progress ones, releases, and an expired entry is absent', async () => {
    const store = redisStore({ url });
    const keys = keysOf(3);
    expect(await store.claim(keys, claimFor('a'))).toEqual(['claimed', 'claimed', 'claimed']);
    // The same owner claiming again (a retried call) still holds them; another owner does not.
    expect(await store.claim(keys, claimFor('a'))).toEqual(['claimed', 'claimed', 'claimed']);
    expect(await store.claim(keys, claimFor('b'))).toEqual(['in-progress', 'in-progress', 'in-progress']);
    await store.complete([keys[0] as string], completeFor('a'));
    await store.release([keys[1] as string], { owner: 'a', signal });
    expect(await store.claim(keys, claimFor('b'))).toEqual(['completed', 'claimed', 'in-progress']);
    // What Redis holds: the state and owner, with the expiry the options gave.
    expect(await admin.get(`kafka-lambda:idempotency:${keys[0]}`)).toBe('c:a');
    expect(await admin.get(`kafka-lambda:idempotency:${keys[1]}`)).toBe('p:b');
    await store.close();
  });

  it('an in-progress claim expires at inProgressUntil and a completed entry at completedUntil', async () => {
    const store = redisStore({ url, keyPrefix: 'exp:' });
    const [claimed, completed] = keysOf(2) as [string, string];
    await store.claim([claimed, completed], claimFor('a', 300));
    await store.complete([completed], completeFor('a', 400));
    expect(await store.claim([claimed, completed], claimFor('b'))).toEqual(['in-progress', 'completed']);
    await expired(`exp:${claimed}`);
    await expired(`exp:${completed}`);
    expect(await store.claim([claimed, completed], claimFor('b'))).toEqual(['claimed', 'claimed']);
    await store.close();
  });

  it('a zombie owner can neither complete nor release a key that was claimed again after its claim expired', async () => {
    const store = redisStore({ url, keyPrefix: 'zombie:' });
    const keys = keysOf(2);
    await store.claim(keys, claimFor('zombie', 200));
    for (const key of keys) await expired(`zombie:${key}`);
    expect(await store.claim(keys, claimFor('fresh'))).toEqual(['claimed', 'claimed']);
    await store.complete([keys[0] as string], completeFor('zombie'));
    await store.release([keys[1] as string], { owner: 'zombie', signal });
    // Both still belong to the fresh owner: a third invocation finds them in progress, not completed or free.
    expect(await store.claim(keys, claimFor('third'))).toEqual(['in-progress', 'in-progress']);
    expect(await admin.mGet(keys.map((key) => `zombie:${key}`))).toEqual(['p:fresh', 'p:fresh']);
    await store.close();
  });

  it('two claims racing for overlapping keys: each key is claimed by exactly one of them', async () => {
    const [a, b] = [redisStore({ url }), redisStore({ url })];
    const keys = keysOf(3000);
    const [first, second] = await Promise.all([
      a.claim(keys.slice(0, 2000), claimFor('a')),
      b.claim(keys.slice(1000), claimFor('b')),
    ]);
    const stateOf = (states: readonly ClaimState[], offset: number, i: number) => states[i - offset];
    for (let i = 1000; i < 2000; i++) {
      const both = [stateOf(first, 0, i), stateOf(second, 1000, i)];
      expect(both.filter((s) => s === 'claimed')).toHaveLength(1);
      expect(both.filter((s) => s === 'in-progress')).toHaveLength(1);
    }
    expect(first.slice(0, 1000).every((s) => s === 'claimed')).toBe(true);
    expect(second.slice(1000).every((s) => s === 'claimed')).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('10,000 keys: one script per operation (EVAL once to load it), as the server counts them too', async () => {
    const { client, counted, calls } = await countingClient();
    const store = redisStore({ client: counted, keyPrefix: 'bulk:' });
    const keys = keysOf(10_000);
    await admin.scriptFlush();
    await admin.configResetStat();
    const states = await store.claim(keys, claimFor('a'));
    expect(states.filter((s) => s === 'claimed')).toHaveLength(10_000);
    await store.complete(keys, completeFor('a'));
    expect(await store.claim(keys, claimFor('b'))).toEqual(keys.map(() => 'completed'));
    await store.release(keys, { owner: 'b', signal }); // b holds none of them: nothing is deleted
    expect(await store.claim(keys.slice(0, 1), claimFor('b'))).toEqual(['completed']);
    // A flushed script cache: each script's first EVALSHA answers NOSCRIPT and one EVAL loads it.
    expect(calls).toEqual(['EVALSHA', 'EVAL', 'EVALSHA', 'EVAL', 'EVALSHA', 'EVALSHA', 'EVAL', 'EVALSHA']);
    const stats = await admin.info('commandstats');
    const callsOf = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    // The server saw exactly the round trips the client sent (NOSCRIPT answers count as calls too).
    expect(callsOf('eval')).toBe(3);
    expect(callsOf('evalsha')).toBe(5);
    expect(callsOf('get')).toBe(40_001); // inside the scripts: every key read once per operation
    // Warm: exactly one round trip per operation, whatever the number of keys.
    calls.length = 0;
    const more = keysOf(10_000);
    await store.claim(more, claimFor('c'));
    await store.complete(more, completeFor('c'));
    await store.release(more, { owner: 'c', signal });
    expect(calls).toEqual(['EVALSHA', 'EVALSHA', 'EVALSHA']);
    await client.close();
  });

  it('a script error (a key of another type under the prefix) rejects with a StoreRequestError naming the reply code', async () => {
    const store = redisStore({ url, keyPrefix: 'typed:' });
    const [key] = keysOf(1) as [string];
    await admin.hSet(`typed:${key}`, 'field', 'value');
    const error = await store.claim([key], claimFor('a')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreRequestError);
    expect(error).toMatchObject({
      store: 'redis',
      operation: 'claim',
      keys: 1,
      code: 'WRONGTYPE',
      retryable: true,
    });
    await store.close();
  });

  describe('an outage (a redis-server of its own on 16390)', () => {
    let redis: IsolatedRedis;
    beforeAll(async () => {
      redis = await startIsolatedRedis({ port: 16390 });
    });
    afterAll(async () => {
      await redis.stop();
    });

    it('rejects with a typed, retryable error while the server is down, and works again once it is back', async () => {
      const store = redisStore({ url: redis.url });
      const keys = keysOf(5);
      expect(await store.claim(keys, claimFor('a'))).toEqual(keys.map(() => 'claimed'));
      await redis.stop();
      const down = await store.claim(keys, claimFor('b')).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(StoreRequestError);
      expect(down).toMatchObject({ store: 'redis', operation: 'claim', keys: 5, code: 'ECONNREFUSED' });
      const completing = await store.complete(keys, completeFor('a')).catch((e: unknown) => e);
      expect(completing).toMatchObject({ operation: 'complete', code: 'ECONNREFUSED' });
      await redis.start();
      // In memory only: the restarted server forgot the claims, and the store reconnects by itself.
      expect(await store.claim(keys, claimFor('b'))).toEqual(keys.map(() => 'claimed'));
      await store.close();
    });

    it('a connected client of the user: the server going away rejects with the client error it gives', async () => {
      const client = createClient({
        url: redis.url,
        disableOfflineQueue: true,
        socket: { reconnectStrategy: false },
      });
      client.on('error', () => {});
      await client.connect();
      const store = redisStore({ client });
      await store.claim(keysOf(1), claimFor('a'));
      await redis.stop();
      const error = await store.claim(keysOf(1), claimFor('a')).catch((e: unknown) => e);
      expect(error).toMatchObject({ store: 'redis', code: 'ClientClosedError' });
      await redis.start();
    });

    it('the signal bounds the wait: a client queueing offline commands rejects as aborted', async () => {
      // node-redis' defaults: reconnect forever, queue commands while offline (the call would hang).
      const client = createClient({ url: redis.url });
      client.on('error', () => {});
      await client.connect();
      await redis.stop();
      const store = redisStore({ client });
      const error = await store
        .claim(keysOf(1), {
          owner: 'a',
          inProgressUntil: Date.now() + 60_000,
          signal: AbortSignal.timeout(300),
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ store: 'redis', code: 'aborted' });
      await redis.start();
      client.destroy();
    });
  });
});
