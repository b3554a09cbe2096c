import { readFileSync } from 'node:fs';
import { manualClock } from '@kafka-lambda/testing';
import {
  dynamoDbThrottlingError,
  memoryIdempotencyStore,
  redisConnectionError,
} from '@kafka-lambda/testing/idempotency';
import { describe, expect, it } from 'vitest';

const signal = new AbortController().signal;
const claimFor = (owner: string, inProgressUntil: number) => ({ owner, inProgressUntil, signal });

describe('memoryIdempotencyStore', () => {
  it('claims absent keys, and answers completed or in progress for the others', async () => {
    const clock = manualClock(0);
    const store = memoryIdempotencyStore({ clock });
    expect(await store.claim(['a', 'b'], claimFor('one', 1_000))).toEqual(['claimed', 'claimed']);
    await store.complete(['a'], { owner: 'one', completedUntil: 5_000, signal });
    expect(await store.claim(['a', 'b', 'c'], claimFor('two', 1_000))).toEqual([
      'completed',
      'in-progress',
      'claimed',
    ]);
  });

  it("answers claimed to the owner's repeated claim (a retried call), as the real stores do", async () => {
    const store = memoryIdempotencyStore({ clock: manualClock(0) });
    await store.claim(['a'], claimFor('one', 1_000));
    expect(await store.claim(['a'], claimFor('one', 1_000))).toEqual(['claimed']);
    expect(await store.claim(['a'], claimFor('two', 1_000))).toEqual(['in-progress']);
    await store.complete(['a'], { owner: 'one', completedUntil: 5_000, signal });
    expect(await store.claim(['a'], claimFor('one', 1_000))).toEqual(['completed']);
  });

  it('expires entries by its clock: an expired claim or completion is absent', async () => {
    const clock = manualClock(0);
    const store = memoryIdempotencyStore({ clock });
    await store.claim(['a', 'b'], claimFor('one', 1_000));
    await store.complete(['b'], { owner: 'one', completedUntil: 2_000, signal });
    clock.advance(1_000);
    expect(await store.claim(['a'], claimFor('two', 3_000))).toEqual(['claimed']);
    clock.advance(1_000);
    expect(store.entry('b')).toBeUndefined();
    expect(await store.claim(['b'], claimFor('two', 3_000))).toEqual(['claimed']);
  });

  it('completes and releases only what the owner holds', async () => {
    const store = memoryIdempotencyStore({ clock: manualClock(0) });
    await store.claim(['a', 'b'], claimFor('one', 1_000));
    await store.complete(['a'], { owner: 'zombie', completedUntil: 5_000, signal });
    await store.release(['b'], { owner: 'zombie', signal });
    expect(store.entry('a')).toEqual({ state: 'in-progress', owner: 'one', until: 1_000 });
    expect(store.entry('b')?.owner).toBe('one');
    await store.release(['b'], { owner: 'one', signal });
    expect(store.entry('b')).toBeUndefined();
    // A completed key is no longer a claim: releasing it changes nothing.
    await store.complete(['a'], { owner: 'one', completedUntil: 5_000, signal });
    await store.release(['a'], { owner: 'one', signal });
    expect(store.entry('a')?.state).toBe('completed');
  });

  it('counts every round trip and its keys, faulted ones included', async () => {
    const store = memoryIdempotencyStore().fail('claim', dynamoDbThrottlingError, 1);
    await expect(store.claim(['a'], claimFor('one', Date.now() + 1_000))).rejects.toMatchObject({
      name: 'StoreRequestError',
      store: 'dynamodb',
      operation: 'claim',
      keys: 1,
      code: 'ProvisionedThroughputExceededException',
      cause: { name: 'ProvisionedThroughputExceededException' },
    });
    expect(await store.claim(['a', 'b'], claimFor('one', Date.now() + 1_000))).toEqual([
      'claimed',
      'claimed',
    ]);
    expect(store.calls).toEqual({ claim: 2, complete: 0, release: 0 });
    expect(store.log).toEqual([
      { operation: 'claim', keys: ['a'] },
      { operation: 'claim', keys: ['a', 'b'] },
    ]);
  });

  it('rejects a call whose signal is aborted with its reason, and writes nothing', async () => {
    const store = memoryIdempotencyStore();
    const controller = new AbortController();
    const reason = new Error('the invocation has no time left');
    controller.abort(reason);
    await expect(
      store.claim(['a'], { owner: 'one', inProgressUntil: Date.now() + 1_000, signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(store.entry('a')).toBeUndefined();
  });

  it('stalls: a call does not answer until healed, and the next one does', async () => {
    const store = memoryIdempotencyStore().stall('release');
    let answered = false;
    void store.release(['a'], { owner: 'one', signal }).then(() => (answered = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    store.heal();
    await expect(store.release(['a'], { owner: 'one', signal })).resolves.toBeUndefined();
  });
});

describe('the outage errors have the real clients’ shapes', () => {
  const recording = (file: string) =>
    JSON.parse(readFileSync(new URL(`../../idempotency/test/recordings/${file}`, import.meta.url), 'utf8'));

  it('dynamoDbThrottlingError is the AWS SDK’s ProvisionedThroughputExceededException', () => {
    const real =
      recording('dynamodb-errors.json').scenarios['throttled-ProvisionedThroughputExceededException']
        .rejected;
    const error = dynamoDbThrottlingError('claim', 4);
    // What the DynamoDB store rejects with: its StoreRequestError, the SDK's exception as the cause.
    expect(error).toMatchObject({ store: 'dynamodb', operation: 'claim', keys: 4, retryable: true });
    expect(error.code).toBe(real.name);
    const fake = error.cause as Error & Record<string, unknown>;
    expect(fake).toBeInstanceOf(Error);
    expect({ name: fake.name, message: fake.message, $fault: fake.$fault, __type: fake.__type }).toEqual({
      name: real.name,
      message: real.message,
      $fault: real.$fault,
      __type: real.__type,
    });
    expect(Object.keys(fake.$metadata as object).sort()).toEqual(Object.keys(real.$metadata).sort());
    expect((fake.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(real.$metadata.httpStatusCode);
  });

  it('redisConnectionError is the socket error node-redis rejects with', () => {
    const real = recording('redis-errors.json').scenarios['connect-refused'].connect.rejected;
    const error = redisConnectionError('release', 2);
    expect(error).toMatchObject({ store: 'redis', operation: 'release', keys: 2, code: 'ECONNREFUSED' });
    const fake = error.cause as Error & Record<string, unknown>;
    const { class: _class, port, message, ...fields } = real;
    expect(fake).toMatchObject(fields);
    expect(fake.message).toBe(message.replace(String(port), '6379'));
    expect(typeof fake.port).toBe('number');
  });
});
