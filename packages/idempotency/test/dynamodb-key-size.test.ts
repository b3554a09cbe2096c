// Issue 23, suspected: a key function returning a key longer than DynamoDB's 2,048-byte partition
// key limit made the batch's one claim fail (ValidationException) on every retry: the whole batch
// blocked until its records expired. Confirmed with a fake table that enforces the limit as
// DynamoDB does; the store now stores such a key as a digest (see key-size.ts).
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { idempotency } from '@kafka-lambda/idempotency';
import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
import { lambdaContext, mskEvent } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';

type Item = Record<string, AttributeValue>;
type Command = { constructor: { name: string }; input: Record<string, unknown> };

/**
 * A table of partition key `id` that rejects a key over 2,048 UTF-8 bytes in any request, as
 * DynamoDB does (ValidationException; message from DynamoDB's documented limit, not recorded: moto
 * does not enforce it), and evaluates the store's three conditions.
 */
function fakeTable() {
  const items = new Map<string, Item>();
  const tooLong = (key: string | undefined) => key !== undefined && Buffer.byteLength(key) > 2048;
  const reject = () =>
    Object.assign(
      new Error(
        'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes',
      ),
      { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } },
    );
  const conditionFailed = (item: Item | undefined) =>
    Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
      Item: item,
    });
  const client = {
    async send(command: Command) {
      const name = command.constructor.name.replace(/Command$/, '');
      const input = command.input as Record<string, unknown>;
      if (name === 'BatchGetItem') {
        const [table, request] = Object.entries(input.RequestItems as Record<string, { Keys: Item[] }>)[0]!;
        if (request.Keys.some((k) => tooLong(k.id?.S))) throw reject();
        const found: Item[] = [];
        for (const k of request.Keys) {
          const item = items.get(k.id!.S!);
          if (item) found.push(item);
        }
        return { Responses: { [table]: found } };
      }
      const item = (input.Item ?? input.Key) as Item;
      const key = item.id!.S!;
      if (tooLong(key)) throw reject();
      const current = items.get(key);
      const values = input.ExpressionAttributeValues as Record<string, AttributeValue>;
      const mine = current?.owner?.S === values[':me']?.S;
      if (name === 'PutItem' && String(input.ConditionExpression).startsWith('attribute_not_exists')) {
        const free =
          !current ||
          Number(current.expiresAtMs?.N) < Number(values[':now']?.N) ||
          (current.status?.S === 'in-progress' && mine);
        if (!free) throw conditionFailed(current);
        items.set(key, item);
      } else if (name === 'PutItem') {
        if (!mine) throw conditionFailed(current);
        items.set(key, item);
      } else if (name === 'DeleteItem') {
        if (!mine || current?.status?.S !== 'in-progress') throw conditionFailed(current);
        items.delete(key);
      }
      return {};
    },
  };
  return { client: client as never, items };
}

const signal = new AbortController().signal;

describe('dynamoDbStore: a key over DynamoDB’s 2,048-byte limit', () => {
  it('is claimed, completed and found completed again, stored as a digest', async () => {
    const { client, items } = fakeTable();
    const store = dynamoDbStore({ tableName: 'idempotency', client, keyPrefix: 'fn:' });
    const long = `settle#${'é'.repeat(1_500)}`; // 3,007 bytes
    const claim = () =>
      store.claim([long, 'settle#short'], { owner: 'a', inProgressUntil: Date.now() + 60_000, signal });

    expect(await claim()).toEqual(['claimed', 'claimed']);
    await store.complete([long], { owner: 'a', completedUntil: Date.now() + 60_000, signal });
    await store.release(['settle#short'], { owner: 'a', signal });
    expect(await claim()).toEqual(['completed', 'claimed']);

    const stored = [...items.keys()].find((k) => k !== 'fn:settle#short')!;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(2048);
    expect(stored.startsWith('fn:settle#é')).toBe(true); // readable in the table, and prefixed
    // Two keys that share their first 2,048 bytes stay apart.
    const other = `${long}x`;
    expect(await store.claim([other], { owner: 'b', inProgressUntil: Date.now() + 60_000, signal })).toEqual([
      'claimed',
    ]);
  });

  it('through the handler: a redelivered batch runs the record once instead of failing every retry', async () => {
    const { client } = fakeTable();
    const store = dynamoDbStore({ tableName: 'idempotency', client });
    const runs: number[] = [];
    const handler = createKafkaHandler({
      value: json<{ document: string }>(),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      onError: 'retry-batch',
      use: [idempotency<string, { document: string }>({ store, key: (record) => record.value.document })],
      process: (record) => void runs.push(record.offset),
    });
    const event = mskEvent([{ offset: 7, value: { document: 'x'.repeat(5_000) } }], { topic: 'docs' });
    const context = lambdaContext({ functionName: 'archive', timeoutMs: 60_000 });
    await handler(event, context);
    await handler(event, context);
    expect(runs).toEqual([7]);
  });
});
