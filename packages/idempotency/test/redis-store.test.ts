import { StoreConfigError, StoreRequestError } from '@kafka-lambda/idempotency';
import { type RedisEvalOptions, type RedisScriptClient, redisStore } from '@kafka-lambda/idempotency/redis';
import { describe, expect, it } from 'vitest';
import { redisErrorCode } from '../src/redis/redis-errors.js';
import { redisError } from './recorded-errors.js';

const signal = new AbortController().signal;
const claim = { owner: 'o', inProgressUntil: 1_000_000.7, signal };

/** A client whose EVALSHA and EVAL answer with what `reply` returns (or throws). */
function fakeClient(reply: (command: 'EVALSHA' | 'EVAL', options: RedisEvalOptions) => unknown) {
  const calls: { command: string; options: RedisEvalOptions }[] = [];
  const client: RedisScriptClient = {
    async evalSha(_sha, options) {
      calls.push({ command: 'EVALSHA', options });
      return reply('EVALSHA', options);
    },
    async eval(_source, options) {
      calls.push({ command: 'EVAL', options });
      return reply('EVAL', options);
    },
  };
  return { client, calls };
}

describe('redisStore (unit, recorded client errors)', () => {
  it('sends one script for the distinct, prefixed keys and maps its integers back to every key in order', async () => {
    const { client, calls } = fakeClient((_, { keys }) => keys.map((_, i) => i % 3));
    const store = redisStore({ client, keyPrefix: 'p:' });
    expect(await store.claim(['a', 'b', 'a', 'c'], claim)).toEqual([
      'claimed',
      'completed',
      'claimed',
      'in-progress',
    ]);
    expect(calls).toEqual([
      { command: 'EVALSHA', options: { keys: ['p:a', 'p:b', 'p:c'], arguments: ['o', '1000000'] } },
    ]);
  });

  it('NOSCRIPT (as node-redis rejects it) falls back to one EVAL of the source', async () => {
    const { client, calls } = fakeClient((command, { keys }) => {
      if (command === 'EVALSHA') throw redisError('noscript', 'reply');
      return keys.map(() => 0);
    });
    expect(await redisStore({ client }).claim(['k'], claim)).toEqual(['claimed']);
    expect(calls.map((c) => c.command)).toEqual(['EVALSHA', 'EVAL']);
  });

  it('classifies the recorded rejections by code, and wraps them with the operation', async () => {
    expect(redisErrorCode(redisError('connect-refused', 'connect'))).toBe('ECONNREFUSED');
    expect(redisErrorCode(redisError('server-stopped', 'command'))).toBe('ClientClosedError');
    expect(redisErrorCode(redisError('script-runtime-error', 'reply'))).toBe('ERR');
    expect(redisErrorCode(redisError('noscript', 'reply'))).toBe('NOSCRIPT');
    const { client } = fakeClient(() => {
      throw redisError('server-stopped', 'command');
    });
    const error = await redisStore({ client })
      .release(['k'], { owner: 'o', signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreRequestError);
    expect(error).toMatchObject({ store: 'redis', operation: 'release', keys: 1, code: 'ClientClosedError' });
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('a CROSSSLOT reply (a cluster, keys in several slots) is a config error that names the hash-tag fix', async () => {
    const crossSlot = redisError('crossslot', 'reply');
    const { client } = fakeClient(() => {
      throw crossSlot;
    });
    const error = await redisStore({ client })
      .claim(['a', 'b'], claim)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreConfigError);
    expect((error as Error).message).toContain("hash tag (e.g. '{idempotency}:')");
  });

  it('a reply that is not one integer per key is refused, not guessed', async () => {
    const { client } = fakeClient(() => [0]);
    await expect(redisStore({ client }).claim(['a', 'b'], claim)).rejects.toMatchObject({
      code: 'unexpected-reply',
    });
  });

  it('an aborted signal rejects as aborted without waiting for the client', async () => {
    const { client } = fakeClient(() => new Promise(() => {}));
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    await expect(
      redisStore({ client }).claim(['a'], { ...claim, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'aborted' });
  });

  it('empty batches make no call', async () => {
    const { client, calls } = fakeClient(() => []);
    const store = redisStore({ client });
    expect(await store.claim([], claim)).toEqual([]);
    await store.complete([], { owner: 'o', completedUntil: 1, signal });
    await store.release([], { owner: 'o', signal });
    expect(calls).toEqual([]);
  });

  it('options are validated when the store is created', () => {
    const client = fakeClient(() => []).client;
    expect(() => redisStore({})).toThrow('exactly one of client or url');
    expect(() => redisStore({ client, url: 'redis://x' })).toThrow('exactly one of client or url');
    expect(() => redisStore({ url: 'http://x' })).toThrow('url must start with redis://');
    expect(() => redisStore({ client, keyPrefx: 'a' } as never)).toThrow('unknown option "keyPrefx"');
    expect(() => redisStore({ url: 'redis://x', connectTimeoutMs: 0 })).toThrow(StoreConfigError);
    expect(() => redisStore({ client: {} as never })).toThrow('node-redis client');
  });
});
