// The DynamoDB store against moto's real DynamoDB server (the stack's moto, AWS_ENDPOINT_URL_DYNAMODB),
// a table of its own per test; the outage against a closed port.
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { ClaimState } from '@kafka-lambda/idempotency';
import { StoreRequestError } from '@kafka-lambda/idempotency';
import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTable, deleteTable, dynamoCalls, dynamoClient, repairRecording } from './dynamodb-table.js';
import { dynamoDbError } from './recorded-errors.js';

const signal = new AbortController().signal;
const claimFor = (owner: string, ms = 60_000) => ({ owner, inProgressUntil: Date.now() + ms, signal });
const completeFor = (owner: string, ms = 60_000) => ({ owner, completedUntil: Date.now() + ms, signal });
// Short keys: moto's recorder writes a request of more than 8 KB in several writes, which concurrent
// requests interleave (a broken line breaks every reader of the shared recording).
const keysOf = (n: number, tag = randomUUID().slice(0, 8)) =>
  Array.from({ length: n }, (_, i) => `${tag}-${i}`);
const waitPast = async (epochMs: number) => {
  while (Date.now() <= epochMs) await new Promise((resolve) => setTimeout(resolve, 20));
};

const client = dynamoClient();
let tableName: string;
beforeEach(async () => {
  tableName = await createTable(client);
});
afterEach(async () => {
  await deleteTable(client, tableName);
});
afterAll(repairRecording);

describe('dynamoDbStore against moto DynamoDB', () => {
  it('claims absent keys, reports completed and in-progress ones, releases, and writes the documented item', async () => {
    const store = dynamoDbStore({ tableName, client });
    const keys = keysOf(3);
    expect(await store.claim(keys, claimFor('a'))).toEqual(['claimed', 'claimed', 'claimed']);
    expect(await store.claim(keys, claimFor('a'))).toEqual(['claimed', 'claimed', 'claimed']);
    expect(await store.claim(keys, claimFor('b'))).toEqual(['in-progress', 'in-progress', 'in-progress']);
    const completedUntil = Date.now() + 60_000;
    await store.complete([keys[0] as string], { owner: 'a', completedUntil, signal });
    await store.release([keys[1] as string], { owner: 'a', signal });
    expect(await store.claim(keys, claimFor('b'))).toEqual(['completed', 'claimed', 'in-progress']);
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { id: { S: keys[0] as string } },
        ConsistentRead: true,
      }),
    );
    expect(Item).toEqual({
      id: { S: keys[0] },
      status: { S: 'completed' },
      owner: { S: 'a' },
      expiresAt: { N: String(Math.ceil(completedUntil / 1000)) },
      expiresAtMs: { N: String(completedUntil) },
    });
  });

  it('an expired entry counts as absent though TTL has not deleted it, and attribute names are configurable', async () => {
    const store = dynamoDbStore({
      tableName,
      client,
      keyPrefix: 'fn#',
      attributes: { status: 'st', owner: 'who', expiresAtMs: 'untilMs' },
    });
    const [claimed, completed] = keysOf(2) as [string, string];
    const inProgressUntil = Date.now() + 300;
    await store.claim([claimed, completed], { owner: 'a', inProgressUntil, signal });
    const completedUntil = Date.now() + 400;
    await store.complete([completed], { owner: 'a', completedUntil, signal });
    expect(await store.claim([claimed, completed], claimFor('b'))).toEqual(['in-progress', 'completed']);
    await waitPast(Math.max(inProgressUntil, completedUntil));
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { id: { S: `fn#${completed}` } },
        ConsistentRead: true,
      }),
    );
    expect(Item?.st).toEqual({ S: 'completed' }); // still there: TTL deletes within days, not at expiry
    expect(await store.claim([claimed, completed], claimFor('b'))).toEqual(['claimed', 'claimed']);
  });

  it('a zombie owner can neither complete nor release a key that was claimed again after its claim expired', async () => {
    const store = dynamoDbStore({ tableName, client });
    const keys = keysOf(2);
    const until = Date.now() + 200;
    await store.claim(keys, { owner: 'zombie', inProgressUntil: until, signal });
    await waitPast(until);
    expect(await store.claim(keys, claimFor('fresh'))).toEqual(['claimed', 'claimed']);
    await store.complete([keys[0] as string], completeFor('zombie'));
    await store.release([keys[1] as string], { owner: 'zombie', signal });
    expect(await store.claim(keys, claimFor('third'))).toEqual(['in-progress', 'in-progress']);
    for (const key of keys) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { id: { S: key } }, ConsistentRead: true }),
      );
      expect([Item?.status?.S, Item?.owner?.S]).toEqual(['in-progress', 'fresh']);
    }
  });

  it('two claims racing for the same keys: each key is claimed by exactly one, the other learns who holds it', async () => {
    const [a, b] = [
      dynamoDbStore({ tableName, client }),
      dynamoDbStore({ tableName, client: dynamoClient() }),
    ];
    const keys = keysOf(300);
    const [first, second] = await Promise.all([a.claim(keys, claimFor('a')), b.claim(keys, claimFor('b'))]);
    for (let i = 0; i < keys.length; i++) {
      const both: ClaimState[] = [first[i] as ClaimState, second[i] as ClaimState];
      expect(both.sort()).toEqual(['claimed', 'in-progress']);
    }
    // Then a completes its share while b still holds the rest: a third sees each key's real state.
    const mine = keys.filter((_, i) => first[i] === 'claimed');
    await a.complete(mine, completeFor('a'));
    const third = await a.claim(keys, claimFor('c'));
    expect(third.map((s, i) => [s, first[i]])).toEqual(
      keys.map((_, i) =>
        first[i] === 'claimed' ? ['completed', 'claimed'] : ['in-progress', 'in-progress'],
      ),
    );
  });

  it('10,000 keys: one BatchGetItem per 100 keys, then one conditional write per key (none for known keys)', async () => {
    const store = dynamoDbStore({ tableName, client, concurrency: 50 });
    const keys = keysOf(10_000);
    expect(new Set(await store.claim(keys, claimFor('a')))).toEqual(new Set(['claimed']));
    // Every request that named this test's table (others share the recorder), minus the set-up.
    const claimCalls = (await dynamoCalls(tableName)).filter(
      (c) => c !== 'CreateTable' && c !== 'UpdateTimeToLive',
    );
    expect(claimCalls.filter((c) => c === 'BatchGetItem')).toHaveLength(100);
    expect(claimCalls.filter((c) => c === 'PutItem')).toHaveLength(10_000);
    expect(claimCalls).toHaveLength(10_100);
    const before = (await dynamoCalls(tableName)).length;
    expect(new Set(await store.claim(keys, claimFor('b')))).toEqual(new Set(['in-progress']));
    // Every key found held by another owner: the lookups alone answer, no write.
    expect((await dynamoCalls(tableName)).slice(before)).toEqual(
      Array.from({ length: 100 }, () => 'BatchGetItem'),
    );
  }, 180_000);

  it('a claim that fails half-way gives back the keys it had won: another owner claims them at once', async () => {
    // moto never throttles: the third PutItem is refused as the SDK rejects a throttled request.
    let puts = 0;
    const throttling = {
      send: ((command: { constructor: { name: string } }, options: never) => {
        if (command.constructor.name === 'PutItemCommand' && ++puts === 3)
          return Promise.reject(dynamoDbError('throttled-ThrottlingException'));
        return client.send(command as never, options);
      }) as typeof client.send,
    };
    const keys = keysOf(5);
    const failing = await dynamoDbStore({ tableName, client: throttling, concurrency: 1 })
      .claim(keys, claimFor('a'))
      .catch((e: unknown) => e);
    expect(failing).toMatchObject({ store: 'dynamodb', operation: 'claim', code: 'ThrottlingException' });
    expect(await dynamoDbStore({ tableName, client }).claim(keys, claimFor('b'))).toEqual(
      keys.map(() => 'claimed'),
    );
  });

  it('a table that does not exist rejects with a StoreRequestError naming the service error', async () => {
    const store = dynamoDbStore({ tableName: 'no-such-table', client });
    const error = await store.claim(keysOf(2), claimFor('a')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreRequestError);
    expect(error).toMatchObject({
      store: 'dynamodb',
      operation: 'claim',
      keys: 2,
      code: 'ResourceNotFoundException',
    });
  });

  it('an unreachable endpoint (a closed port) rejects every operation with a typed, retryable error', async () => {
    const down = dynamoClient({ endpoint: 'http://127.0.0.1:16392', maxAttempts: 1 });
    const store = dynamoDbStore({ tableName, client: down });
    for (const run of [
      () => store.claim(keysOf(2), claimFor('a')),
      () => store.complete(keysOf(2), completeFor('a')),
      () => store.release(keysOf(2), { owner: 'a', signal }),
    ]) {
      const error = await run().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreRequestError);
      expect(error).toMatchObject({ store: 'dynamodb', code: 'ECONNREFUSED', retryable: true });
    }
  });
});
