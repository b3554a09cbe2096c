import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { StoreConfigError } from '../errors.js';

/** The table's attribute names. */
export interface DynamoDbAttributeNames {
  /** The partition key (type S); default `'id'`. The table has no sort key. */
  readonly key?: string;
  /** `'in-progress'` or `'completed'`; default `'status'`. */
  readonly status?: string;
  /** The owner token of the invocation that claimed the key; default `'owner'`. */
  readonly owner?: string;
  /** Expiry in epoch SECONDS (type N): name this attribute in the table's TTL setting; default `'expiresAt'`. */
  readonly expiresAt?: string;
  /** The same expiry in epoch ms, which the store's conditions compare (TTL deletes lazily); default `'expiresAtMs'`. */
  readonly expiresAtMs?: string;
}

/** Options of `dynamoDbStore`. */
export interface DynamoDbStoreOptions {
  /** The table: a partition key of type S, no sort key, TTL on `attributes.expiresAt` (see the README). */
  readonly tableName: string;
  /** A DynamoDB client you create (v3, `@aws-sdk/client-dynamodb`); the store never destroys it. */
  readonly client?: Pick<DynamoDBClient, 'send'>;
  /** Without `client`: the config of the client the store creates (region, endpoint, maxAttempts…). */
  readonly clientConfig?: DynamoDBClientConfig;
  /** The table's attribute names, where they are not the defaults. */
  readonly attributes?: DynamoDbAttributeNames;
  /** Prepended to every key (e.g. the function's name, to share one table); default `''`. */
  readonly keyPrefix?: string;
  /** Conditional writes (and BatchGetItem chunks) in flight at once; default 25. */
  readonly concurrency?: number;
}

export interface ResolvedDynamoDbOptions {
  readonly tableName: string;
  readonly client: Pick<DynamoDBClient, 'send'> | undefined;
  readonly clientConfig: DynamoDBClientConfig;
  readonly names: Required<DynamoDbAttributeNames>;
  readonly keyPrefix: string;
  readonly concurrency: number;
}

const KNOWN = new Set(['tableName', 'client', 'clientConfig', 'attributes', 'keyPrefix', 'concurrency']);
const ATTRIBUTES: Required<DynamoDbAttributeNames> = {
  key: 'id',
  status: 'status',
  owner: 'owner',
  expiresAt: 'expiresAt',
  expiresAtMs: 'expiresAtMs',
};

/** Validates the options (unknown keys, names, limits), at store creation. */
export function resolveDynamoDbOptions(options: DynamoDbStoreOptions): ResolvedDynamoDbOptions {
  if (typeof options !== 'object' || options === null)
    throw new StoreConfigError('dynamoDbStore options must be an object');
  for (const key of Object.keys(options))
    if (!KNOWN.has(key)) throw new StoreConfigError(`dynamoDbStore: unknown option "${key}"`);
  const { tableName, client, clientConfig = {}, attributes = {}, keyPrefix = '', concurrency = 25 } = options;
  if (typeof tableName !== 'string' || !/^[\w.-]{3,255}$/.test(tableName))
    throw new StoreConfigError(
      'dynamoDbStore: tableName must be 3-255 characters of a-z, A-Z, 0-9, _, - and .',
    );
  if (client !== undefined && typeof client?.send !== 'function')
    throw new StoreConfigError('dynamoDbStore: client must be a DynamoDBClient (send)');
  if (client !== undefined && options.clientConfig !== undefined)
    throw new StoreConfigError('dynamoDbStore: give client or clientConfig, not both');
  const names = { ...ATTRIBUTES };
  for (const [name, value] of Object.entries(attributes)) {
    if (!(name in ATTRIBUTES)) throw new StoreConfigError(`dynamoDbStore: unknown attribute "${name}"`);
    if (typeof value !== 'string' || value === '')
      throw new StoreConfigError(`dynamoDbStore: attributes.${name} must be a non-empty string`);
    names[name as keyof DynamoDbAttributeNames] = value;
  }
  if (new Set(Object.values(names)).size !== Object.keys(names).length)
    throw new StoreConfigError('dynamoDbStore: attribute names must differ from each other');
  if (typeof keyPrefix !== 'string') throw new StoreConfigError('dynamoDbStore: keyPrefix must be a string');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000)
    throw new StoreConfigError('dynamoDbStore: concurrency must be an integer from 1 to 1000');
  return { tableName, client, clientConfig, names, keyPrefix, concurrency };
}
