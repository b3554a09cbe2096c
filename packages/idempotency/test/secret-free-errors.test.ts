// Issue 23, finding 9: no error the SDK throws carries a secret anywhere in its chain (message,
// stack, cause, `input`, any own property): `console.error(error)` and loggers that print causes
// write all of it. Node's ERR_INVALID_URL keeps the whole URL, password included, in `input`.
import { StoreConfigError } from '@kafka-lambda/idempotency';
import { redisStore } from '@kafka-lambda/idempotency/redis';
import { describe, expect, it } from 'vitest';
import { everythingIn, rejection } from '../../../test/support/error-text.js';

const PASSWORD = 's3cret-Pa55';

const claim = (store: ReturnType<typeof redisStore>) =>
  store.claim(['k'], {
    owner: 'o',
    inProgressUntil: Date.now() + 60_000,
    signal: AbortSignal.timeout(5_000),
  });

describe('redisStore: the URL password never reaches an error', () => {
  it.each([
    ['an invalid host', `redis://default:${PASSWORD}@exa mple.com:6379`],
    ['an invalid port', `redis://default:${PASSWORD}@localhost:99999`],
    ['a bracketed host left open', `redis://:${PASSWORD}@[::1:6379`],
    ['a percent sign in the password', `redis://default:${PASSWORD}%zz@127.0.0.1:1/0`],
  ])('%s', async (_, url) => {
    const error = await rejection(async () => claim(redisStore({ url })));
    expect(error).toBeInstanceOf(Error);
    expect(everythingIn(error)).not.toContain(PASSWORD);
  });

  it('a URL that does not parse is a StoreConfigError when the store is created', () => {
    for (const url of [`redis://default:${PASSWORD}@exa mple.com:6379`, `redis://default:${PASSWORD}%zz@h:1`])
      expect(() => redisStore({ url })).toThrow(StoreConfigError);
  });

  it('a refused connection', async () => {
    const store = redisStore({ url: `redis://default:${PASSWORD}@127.0.0.1:1/0`, connectTimeoutMs: 1_000 });
    const error = await rejection(() => claim(store));
    expect((error as Error).name).toBe('StoreRequestError');
    expect(everythingIn(error)).not.toContain(PASSWORD);
    await store.close();
  });
});
