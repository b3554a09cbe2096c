import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { StoreConfigError, StoreRequestError } from '@kafka-lambda/idempotency';
import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
import { describe, expect, it } from 'vitest';
import { stateOf } from '../src/dynamodb/items.js';
import { dynamoDbError } from './recorded-errors.js';

type Item = Record<string, AttributeValue>;
type Command = { constructor: { name: string }; input: Record<string, unknown> };
const signal = new AbortController().signal;
const claim = { owner: 'me', inProgressUntil: Date.now() + 60_000, signal };

/** A DynamoDB client answering each command with `answer` (or its throw), recording what it was sent. */
function fakeDynamo(answer: (name: string, input: Record<string, unknown>) => unknown) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    async send(command: Command) {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: command.input });
      return answer(name, command.input);
    },
  };
  return { client: client as never, sent };
}

/** The KeysAndAttributes a BatchGetItem asked of table `ttt`. */
const request = (input: Record<string, unknown>) =>
  (input.RequestItems as Record<string, { Keys: Item[] } & Record<string, unknown>>).ttt ?? { Keys: [] };

describe('dynamoDbStore (unit, recorded SDK errors)', () => {
  it('looks keys up 100 per BatchGetItem (duplicates once), then writes only the free ones', async () => {
    const { client, sent } = fakeDynamo((name) =>
      name === 'BatchGetItem' ? { Responses: { ttt: [] } } : {},
    );
    const keys = Array.from({ length: 250 }, (_, i) => `k${i}`);
    const states = await dynamoDbStore({ tableName: 'ttt', client }).claim([...keys, 'k0'], claim);
    expect(states).toHaveLength(251);
    expect(new Set(states)).toEqual(new Set(['claimed']));
    const lookups = sent.filter((s) => s.name === 'BatchGetItem');
    expect(lookups.map((s) => request(s.input).Keys.length)).toEqual([100, 100, 50]);
    expect(sent.filter((s) => s.name === 'PutItem')).toHaveLength(250);
  });

  it("retries UnprocessedKeys until answered, and a lost race takes the winner's state from the failed condition", async () => {
    let round = 0;
    const winner = dynamoDbError('condition-failed');
    const future = String(Date.now() + 60_000);
    (winner as unknown as { Item: Item }).Item = {
      id: { S: 'b' },
      status: { S: 'completed' },
      owner: { S: 'other' },
      expiresAtMs: { N: future },
    };
    const { client, sent } = fakeDynamo((name, input) => {
      if (name === 'BatchGetItem') {
        const asked = request(input);
        round++;
        // First round: DynamoDB leaves the second key unprocessed.
        return round === 1
          ? {
              Responses: { ttt: [] },
              UnprocessedKeys: { ttt: { ...asked, Keys: asked.Keys.slice(1) } },
            }
          : { Responses: { ttt: [] } };
      }
      if ((input.Item as Item).id?.S === 'b') throw winner;
      return {};
    });
    expect(await dynamoDbStore({ tableName: 'ttt', client }).claim(['a', 'b'], claim)).toEqual([
      'claimed',
      'completed',
    ]);
    expect(sent.map((s) => s.name)).toEqual(['BatchGetItem', 'BatchGetItem', 'PutItem', 'PutItem']);
  });

  it('keys left unprocessed round after round fail as UnprocessedKeys; an abort during the backoff as aborted', async () => {
    const stuck = fakeDynamo((_name, input) => ({ Responses: {}, UnprocessedKeys: input.RequestItems }));
    await expect(
      dynamoDbStore({ tableName: 'ttt', client: stuck.client }).claim(['a'], claim),
    ).rejects.toMatchObject({
      store: 'dynamodb',
      operation: 'claim',
      code: 'UnprocessedKeys',
    });
    const controller = new AbortController();
    const aborting = fakeDynamo((_name, input) => {
      controller.abort(new Error('deadline'));
      return { Responses: {}, UnprocessedKeys: input.RequestItems };
    });
    await expect(
      dynamoDbStore({ tableName: 'ttt', client: aborting.client }).claim(['a'], {
        ...claim,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'aborted' });
  }, 30_000);

  it('the recorded throttling, refused connection and missing table become StoreRequestErrors with their codes', async () => {
    for (const [scenario, code] of [
      ['throttled-ProvisionedThroughputExceededException', 'ProvisionedThroughputExceededException'],
      ['throttled-ThrottlingException', 'ThrottlingException'],
      ['connection-refused', 'ECONNREFUSED'],
      ['table-not-found', 'ResourceNotFoundException'],
    ] as const) {
      const { client } = fakeDynamo(() => {
        throw dynamoDbError(scenario);
      });
      const error = await dynamoDbStore({ tableName: 'ttt', client })
        .complete(['a'], { owner: 'me', completedUntil: Date.now(), signal })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreRequestError);
      expect(error).toMatchObject({ store: 'dynamodb', operation: 'complete', code, retryable: true });
    }
  });

  it('a claim failing half-way (throttled) deletes the claims it had won before it rejects', async () => {
    const { client, sent } = fakeDynamo((name, input) => {
      if (name === 'BatchGetItem') return { Responses: { ttt: [] } };
      if (name === 'PutItem' && (input.Item as Item).id?.S === 'c')
        throw dynamoDbError('throttled-ThrottlingException');
      return {};
    });
    const error = await dynamoDbStore({ tableName: 'ttt', client, concurrency: 1 })
      .claim(['a', 'b', 'c', 'd'], claim)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ store: 'dynamodb', operation: 'claim', code: 'ThrottlingException' });
    expect(
      sent.map((s) => `${s.name} ${((s.input.Item ?? s.input.Key) as Item | undefined)?.id?.S ?? ''}`),
    ).toEqual(['BatchGetItem ', 'PutItem a', 'PutItem b', 'PutItem c', 'DeleteItem a', 'DeleteItem b']);
    expect(sent.at(-1)?.input.ConditionExpression).toBe('#o = :me AND #s = :p');
  });

  it('complete and release leave keys alone whose owner condition fails (a zombie), and fail on anything else', async () => {
    const { client, sent } = fakeDynamo(() => {
      throw dynamoDbError('condition-failed');
    });
    const store = dynamoDbStore({ tableName: 'ttt', client });
    await store.complete(['a', 'b'], { owner: 'me', completedUntil: Date.now() + 1000, signal });
    await store.release(['a'], { owner: 'me', signal });
    expect(sent.map((s) => [s.name, s.input.ConditionExpression])).toEqual([
      ['PutItem', '#o = :me'],
      ['PutItem', '#o = :me'],
      ['DeleteItem', '#o = :me AND #s = :p'],
    ]);
  });

  it("reads an item's state: expired is absent, completed, this owner's claim, someone else's", () => {
    const names = {
      key: 'id',
      status: 'status',
      owner: 'owner',
      expiresAt: 'expiresAt',
      expiresAtMs: 'expiresAtMs',
    };
    const item = (status: string, owner: string, until: number): Item => ({
      status: { S: status },
      owner: { S: owner },
      expiresAtMs: { N: String(until) },
    });
    expect(stateOf(names, undefined, 'me', 100)).toBeUndefined();
    expect(stateOf(names, item('completed', 'x', 100), 'me', 100)).toBeUndefined();
    expect(stateOf(names, item('completed', 'x', 101), 'me', 100)).toBe('completed');
    expect(stateOf(names, item('in-progress', 'me', 101), 'me', 100)).toBe('claimed');
    expect(stateOf(names, item('in-progress', 'x', 101), 'me', 100)).toBe('in-progress');
  });

  it('options are validated when the store is created', () => {
    const client = fakeDynamo(() => ({})).client;
    expect(() => dynamoDbStore({ tableName: '' })).toThrow(StoreConfigError);
    expect(() => dynamoDbStore({ tableName: 'ttt', client, clientConfig: {} })).toThrow('not both');
    expect(() => dynamoDbStore({ tableName: 'ttt', attributes: { owner: 'status' } })).toThrow('differ');
    expect(() => dynamoDbStore({ tableName: 'ttt', attributes: { ownr: 'x' } as never })).toThrow(
      'unknown attribute',
    );
    expect(() => dynamoDbStore({ tableName: 'ttt', concurrency: 0 })).toThrow('concurrency');
    expect(() => dynamoDbStore({ tableName: 'ttt', tabel: 'x' } as never)).toThrow('unknown option "tabel"');
  });
});
