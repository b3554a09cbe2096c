import { ConfigError, createKafkaHandler } from '@kafka-lambda/core';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { describe, expect, it } from 'vitest';

// idempotency() checks its options where it is created (module scope), so a mistake fails the
// init, never the first batch; each message names the option and what it got, never its value.
const store = memoryIdempotencyStore();

function refusal(options: unknown): ConfigError {
  try {
    idempotency(options as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('idempotency() accepted the options');
}

describe('idempotency() options', () => {
  it.each([
    [true, /^idempotency\(\) needs an options object with a `store`, not a boolean$/],
    [undefined, /^idempotency\(\) needs an options object with a `store`, not undefined$/],
    [
      { store, ttl: 5 },
      /^idempotency\(\) has no option `ttl` \(it has `store`, `key`, `completedTtlSeconds`, `keyPrefix`\)$/,
    ],
    [
      { store: memoryIdempotencyStore },
      /^idempotency\(\{ store \}\) takes a store, not the function that makes one \(did you mean `memoryIdempotencyStore\(…\)`\?\)$/,
    ],
    [
      { store: {} },
      /^idempotency\(\{ store \}\): the store must have claim\(\), complete\(\) and release\(\) methods$/,
    ],
    [
      { store, key: 'tradeId' },
      /^idempotency\(\{ key \}\) must be a function of the record returning a string, not a string$/,
    ],
    [
      { store, completedTtlSeconds: '3600' },
      /^idempotency\(\{ completedTtlSeconds \}\) must be a positive number of seconds, not a string$/,
    ],
    [{ store, completedTtlSeconds: 0 }, /must be a positive number of seconds, not 0$/],
    [
      { store, completedTtlSeconds: Number.POSITIVE_INFINITY },
      /must be a positive number of seconds, not Infinity$/,
    ],
    [
      { store, completedTtlSeconds: 1e300 },
      /^idempotency\(\{ completedTtlSeconds \}\) \(1e\+300\) is over 1,000 years: it is in seconds/,
    ],
    [{ store, keyPrefix: 7 }, /^idempotency\(\{ keyPrefix \}\) must be a non-empty string$/],
    [{ store, keyPrefix: '' }, /^idempotency\(\{ keyPrefix \}\) must be a non-empty string$/],
  ])('%o is refused: %s', (options, message) => {
    expect(refusal(options).message).toMatch(message);
  });

  it('accepts every option, and is a batch middleware named idempotency', () => {
    const middleware = idempotency({ store, key: () => 'k', completedTtlSeconds: 60, keyPrefix: 'p' });
    expect(middleware.name).toBe('idempotency');
    expect(typeof middleware.before).toBe('function');
    expect(typeof middleware.after).toBe('function');
    expect(() => createKafkaHandler({ use: [middleware], process() {} })).not.toThrow();
  });

  it('the handler option of earlier versions names the middleware that replaced it', () => {
    expect(() => createKafkaHandler({ idempotency: { store }, process() {} } as never)).toThrow(
      /^`idempotency` is a middleware now: use: \[idempotency\(\{ store, \.\.\. \}\)\] from '@kafka-lambda\/idempotency'$/,
    );
  });
});
