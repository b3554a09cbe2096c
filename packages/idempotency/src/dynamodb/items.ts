import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ClaimState } from '../store.js';
import type { DynamoDbAttributeNames } from './dynamodb-options.js';

type Names = Required<DynamoDbAttributeNames>;
export type Item = Record<string, AttributeValue>;

/** The conditions' placeholders (`#k`, `#s`, …) for the table's attribute names. */
export const attributeNames = (names: Names): Record<string, string> => ({
  '#k': names.key,
  '#s': names.status,
  '#o': names.owner,
  '#ms': names.expiresAtMs,
});

/** The item of a claim (`in-progress`) or a completion (`completed`) of `key`. */
export function itemOf(
  names: Names,
  key: string,
  status: 'in-progress' | 'completed',
  owner: string,
  untilMs: number,
): Item {
  const ms = Math.floor(untilMs);
  return {
    [names.key]: { S: key },
    [names.status]: { S: status },
    [names.owner]: { S: owner },
    // DynamoDB's TTL takes epoch seconds; rounding up never deletes an entry before it expired.
    [names.expiresAt]: { N: String(Math.ceil(ms / 1000)) },
    [names.expiresAtMs]: { N: String(ms) },
  };
}

/**
 * What a stored item (or none) means for a claim by `owner` at `now`: `undefined` when the key is
 * free to claim (absent, or expired though TTL has not deleted it yet).
 */
export function stateOf(
  names: Names,
  item: Item | undefined,
  owner: string,
  now: number,
): ClaimState | undefined {
  if (!item) return undefined;
  const until = Number(item[names.expiresAtMs]?.N);
  if (!(until > now)) return undefined;
  if (item[names.status]?.S === 'completed') return 'completed';
  return item[names.owner]?.S === owner ? 'claimed' : 'in-progress';
}
