import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../abort.js';
import { StoreRequestError } from '../store-request-error.js';
import type { ResolvedDynamoDbOptions } from './dynamodb-options.js';
import { attributeNames, type Item } from './items.js';

/** BatchGetItem takes at most 100 keys per request. */
export const LOOKUP_CHUNK = 100;
const MAX_ROUNDS = 8;

/**
 * Reads the items of up to 100 distinct (prefixed) keys with one BatchGetItem (strongly consistent,
 * only the attributes the store reads), retrying what DynamoDB left in `UnprocessedKeys` with
 * exponential backoff and jitter until done, the signal aborts, or 8 rounds passed.
 */
export async function lookupChunk(
  client: Pick<DynamoDBClient, 'send'>,
  options: ResolvedDynamoDbOptions,
  keys: readonly string[],
  signal: AbortSignal,
): Promise<Map<string, Item>> {
  const { names, tableName } = options;
  const found = new Map<string, Item>();
  let request: KeysAndAttributes | undefined = {
    Keys: keys.map((key) => ({ [names.key]: { S: key } })),
    ConsistentRead: true,
    ProjectionExpression: '#k, #s, #o, #ms',
    ExpressionAttributeNames: attributeNames(names),
  };
  for (let round = 0; request?.Keys?.length; round++) {
    if (round === MAX_ROUNDS)
      throw new StoreRequestError(
        'dynamodb',
        'claim',
        keys.length,
        'UnprocessedKeys',
        new Error(`${request.Keys.length} key(s) still unprocessed after ${MAX_ROUNDS} BatchGetItem rounds`),
      );
    if (round > 0) await sleep(Math.random() * Math.min(1000, 25 * 2 ** round), signal);
    const reply: BatchGetItemCommandOutput = await client.send(
      new BatchGetItemCommand({ RequestItems: { [tableName]: request } }),
      {
        abortSignal: signal,
      },
    );
    for (const item of reply.Responses?.[tableName] ?? []) {
      const key = item[names.key]?.S;
      if (key !== undefined) found.set(key, item);
    }
    request = reply.UnprocessedKeys?.[tableName];
  }
  return found;
}
