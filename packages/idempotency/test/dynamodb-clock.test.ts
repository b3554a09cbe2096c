// Issue 23, suspected: "the DynamoDB store compares expiry with Lambda's clock while the docs say
// the store's". Confirmed, and it is the docs that were wrong: DynamoDB's condition expressions
// have no server time, so the store compares `expiresAtMs` with the claiming invocation's clock
// (Date.now(), passed as `:now`), both when it reads an item and in the conditional write. Redis
// compares with its own clock (PXAT). docs/effectively-once.md says so now.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';

type Command = { constructor: { name: string }; input: Record<string, unknown> };
const EXPIRES = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A table holding one in-progress claim of another invocation, expiring at EXPIRES. */
function table() {
  const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
  const item: Record<string, AttributeValue> = {
    id: { S: 'k' },
    status: { S: 'in-progress' },
    owner: { S: 'another-invocation' },
    expiresAtMs: { N: String(EXPIRES) },
  };
  const client = {
    async send(command: Command) {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: command.input });
      return name === 'BatchGetItem' ? { Responses: { ttt: [item] } } : {};
    },
  };
  return { client: client as never, sent };
}

afterEach(() => void vi.useRealTimers());

describe("dynamoDbStore compares expiry with the claiming invocation's clock", () => {
  it.each([
    [EXPIRES - 1, 'in-progress', undefined],
    [EXPIRES + 1, 'claimed', String(EXPIRES + 1)],
  ])('at %i the claim finds %s', async (now, state, conditionNow) => {
    vi.useFakeTimers({ now, toFake: ['Date'] });
    const { client, sent } = table();
    const store = dynamoDbStore({ tableName: 'ttt', client });
    const signal = new AbortController().signal;
    expect(await store.claim(['k'], { owner: 'me', inProgressUntil: now + 60_000, signal })).toEqual([state]);
    const put = sent.find((s) => s.name === 'PutItem');
    expect(
      (put?.input.ExpressionAttributeValues as Record<string, { N?: string }> | undefined)?.[':now']?.N,
    ).toBe(conditionNow);
  });
});
