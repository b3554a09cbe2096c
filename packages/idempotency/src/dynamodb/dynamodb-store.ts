import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { chunks, distinct, mapConcurrent } from '../concurrency.js';
import type { StoreOperation } from '../errors.js';
import type {
  ClaimOptions,
  ClaimState,
  CompleteOptions,
  IdempotencyStore,
  ReleaseOptions,
} from '../store.js';
import { dynamoDbStoreError, isConditionFailed } from './dynamodb-errors.js';
import {
  type DynamoDbStoreOptions,
  type ResolvedDynamoDbOptions,
  resolveDynamoDbOptions,
} from './dynamodb-options.js';
import { attributeNames, type Item, itemOf, stateOf } from './items.js';
import { storedKey } from './key-size.js';
import { LOOKUP_CHUNK, lookupChunk } from './lookup.js';

type Client = Pick<DynamoDBClient, 'send'>;

/**
 * An {@link IdempotencyStore} on a DynamoDB table. A claim reads the batch's keys with BatchGetItem
 * (one request per 100 keys, in parallel), then writes a conditional PutItem for each key that is
 * absent or expired; complete and release are conditional on the owner. DynamoDB has no batched
 * conditional write (BatchWriteItem takes no conditions; TransactWriteItems fails every write when
 * one condition fails, and takes at most 100), so writes run one per key, `concurrency` at a time.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 * import { idempotency } from '@kafka-lambda/idempotency';
 * import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
 *
 * const store = dynamoDbStore({ tableName: process.env.IDEMPOTENCY_TABLE! });
 * export const handler = createKafkaHandler({
 *   value: json<{ id: string }>(),
 *   use: [idempotency({ store })],
 *   async process(record) {
 *     console.log(record.value.id);
 *   },
 * });
 * ```
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  readonly #options: ResolvedDynamoDbOptions;
  #client: Client | undefined;

  constructor(options: DynamoDbStoreOptions) {
    this.#options = resolveDynamoDbOptions(options);
    this.#client = this.#options.client;
  }

  /** The user's client, or the store's own, created on first use (not at module scope: no I/O there). */
  get #dynamo(): Client {
    this.#client ??= new DynamoDBClient(this.#options.clientConfig);
    return this.#client;
  }

  /** Claims the absent or expired keys for `options.owner`; one state per key, in order (see `IdempotencyStore`). */
  async claim(keys: readonly string[], options: ClaimOptions): Promise<readonly ClaimState[]> {
    if (keys.length === 0) return [];
    const { unique, indexOf } = distinct(keys.map((key) => this.#stored(key)));
    return this.#guard('claim', keys.length, options.signal, async () => {
      const { concurrency } = this.#options;
      const found = new Map<string, Item>();
      const lookups = await mapConcurrent(chunks(unique, LOOKUP_CHUNK), concurrency, (chunk) =>
        lookupChunk(this.#dynamo, this.#options, chunk, options.signal),
      );
      for (const items of lookups) for (const [key, item] of items) found.set(key, item);
      const now = Date.now();
      const states = unique.map((key) => stateOf(this.#options.names, found.get(key), options.owner, now));
      const free = states.flatMap((state, i) => (state === undefined ? [i] : []));
      const won: string[] = [];
      try {
        await mapConcurrent(free, concurrency, async (i) => {
          states[i] = await this.#claimOne(unique[i] as string, options, now);
          if (states[i] === 'claimed') won.push(unique[i] as string);
        });
      } catch (error) {
        // A claim that fails half-way must not leave the keys it won held until inProgressUntil
        // (the retry would find them in progress): drop them again while the budget lasts.
        if (!options.signal.aborted) await this.#drop(won, options.owner, options.signal).catch(() => {});
        throw error;
      }
      return indexOf.map((at) => states[at] as ClaimState);
    });
  }

  /** Marks the keys `options.owner` holds as completed until `options.completedUntil`; others are left alone. */
  async complete(keys: readonly string[], options: CompleteOptions): Promise<void> {
    if (keys.length === 0) return;
    const { names, tableName, concurrency } = this.#options;
    const { unique } = distinct(keys.map((key) => this.#stored(key)));
    await this.#guard('complete', keys.length, options.signal, () =>
      mapConcurrent(unique, concurrency, (key) =>
        this.#conditional(
          new PutItemCommand({
            TableName: tableName,
            Item: itemOf(names, key, 'completed', options.owner, options.completedUntil),
            ConditionExpression: '#o = :me',
            ExpressionAttributeNames: { '#o': names.owner },
            ExpressionAttributeValues: { ':me': { S: options.owner } },
          }),
          options.signal,
        ),
      ),
    );
  }

  /** Drops the in-progress claims `options.owner` holds; others are left alone. */
  async release(keys: readonly string[], options: ReleaseOptions): Promise<void> {
    if (keys.length === 0) return;
    const { unique } = distinct(keys.map((key) => this.#stored(key)));
    await this.#guard('release', keys.length, options.signal, () =>
      this.#drop(unique, options.owner, options.signal),
    );
  }

  /** The item's partition key of `key`: prefixed, and a digest when too long for DynamoDB (key-size.ts). */
  #stored(key: string): string {
    return storedKey(this.#options.keyPrefix + key);
  }

  /** Deletes this owner's in-progress claims of the (prefixed) keys, `concurrency` at a time. */
  async #drop(keys: readonly string[], owner: string, signal: AbortSignal): Promise<void> {
    const { names, tableName, concurrency } = this.#options;
    await mapConcurrent(keys, concurrency, (key) =>
      this.#conditional(
        new DeleteItemCommand({
          TableName: tableName,
          Key: { [names.key]: { S: key } },
          ConditionExpression: '#o = :me AND #s = :p',
          ExpressionAttributeNames: { '#o': names.owner, '#s': names.status },
          ExpressionAttributeValues: { ':me': { S: owner }, ':p': { S: 'in-progress' } },
        }),
        signal,
      ),
    );
  }

  /**
   * The conditional PutItem of one free key: wins if the key is still absent, expired, or already
   * this owner's claim. When another invocation got there first, the failed condition returns the
   * item that won (ALL_OLD), which says whether it is completed or in progress: no second read.
   */
  async #claimOne(key: string, options: ClaimOptions, now: number): Promise<ClaimState> {
    const { names, tableName } = this.#options;
    try {
      await this.#dynamo.send(
        new PutItemCommand({
          TableName: tableName,
          Item: itemOf(names, key, 'in-progress', options.owner, options.inProgressUntil),
          ConditionExpression: 'attribute_not_exists(#k) OR #ms < :now OR (#s = :p AND #o = :me)',
          ExpressionAttributeNames: attributeNames(names),
          ExpressionAttributeValues: {
            ':now': { N: String(now) },
            ':p': { S: 'in-progress' },
            ':me': { S: options.owner },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: options.signal },
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const winner = (error as { Item?: Item }).Item ?? (await this.#read(key, options.signal));
      // Expired again by now, or gone (released): still someone else's attempt; retried, never skipped.
      return stateOf(names, winner, options.owner, now) ?? 'in-progress';
    }
  }

  async #read(key: string, signal: AbortSignal): Promise<Item | undefined> {
    const { names, tableName } = this.#options;
    const reply = await this.#dynamo.send(
      new GetItemCommand({ TableName: tableName, Key: { [names.key]: { S: key } }, ConsistentRead: true }),
      { abortSignal: signal },
    );
    return reply.Item;
  }

  /** Sends a write whose failed condition means "not this owner's any more": left alone. */
  async #conditional(command: PutItemCommand | DeleteItemCommand, signal: AbortSignal): Promise<void> {
    try {
      await this.#dynamo.send(command as PutItemCommand, { abortSignal: signal });
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  async #guard<T>(
    operation: StoreOperation,
    keys: number,
    signal: AbortSignal,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw dynamoDbStoreError(operation, keys, error, signal.aborted);
    }
  }
}

/**
 * Creates a {@link DynamoDbIdempotencyStore} on `tableName`: around your `client`, or with one it
 * creates from `clientConfig` (the default credential chain and region otherwise).
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
 *
 * const own = dynamoDbStore({ tableName: 'idempotency', clientConfig: { maxAttempts: 2 } });
 * const shared = dynamoDbStore({ tableName: 'idempotency', client: new DynamoDBClient({}), keyPrefix: 'settle#' });
 * ```
 */
export function dynamoDbStore(options: DynamoDbStoreOptions): DynamoDbIdempotencyStore {
  return new DynamoDbIdempotencyStore(options);
}
