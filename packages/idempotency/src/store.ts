/**
 * The contract between core's idempotent-record handling and a store (DynamoDB and Redis in
 * `@kafka-lambda/idempotency`, a memory store in `@kafka-lambda/testing`). Core decides WHEN keys are
 * claimed, completed and released; a store only makes each of those one atomic, batched operation.
 *
 * A key's life: absent → `in-progress` (claimed by one invocation, until `inProgressUntil`) →
 * `completed` (until `completedUntil`), or back to absent when released. An expired entry counts as
 * absent. Every write is conditional on the owner token, so a late (zombie) invocation can never
 * complete or release a claim that has since passed to another invocation.
 */

/** What a claim found for one key. */
export type ClaimState =
  /** The key was absent or expired: it is now in progress, owned by this claim's `owner`. */
  | 'claimed'
  /** Another invocation completed it and the entry has not expired: do not process it again. */
  | 'completed'
  /** Another, still running, invocation holds it: the record must be retried later, never skipped. */
  | 'in-progress';

export interface ClaimOptions {
  /** Unique per invocation attempt: written with every claim, required by `complete` and `release`. */
  readonly owner: string;
  /** Epoch ms at which an in-progress claim expires (the invocation's deadline). */
  readonly inProgressUntil: number;
  /** Aborted when the invocation can no longer wait for the store. */
  readonly signal: AbortSignal;
}

export interface CompleteOptions {
  readonly owner: string;
  /** Epoch ms at which a completed entry expires (now + the completed TTL). */
  readonly completedUntil: number;
  readonly signal: AbortSignal;
}

export interface ReleaseOptions {
  readonly owner: string;
  readonly signal: AbortSignal;
}

/**
 * A store of idempotency keys. Each method handles a whole batch of keys in as few round trips as
 * the store allows (one MGET/script, BatchGetItem chunks) — never one call per record.
 *
 * Errors: a store that cannot answer rejects (with any error); core turns that into a retryable
 * failure of the invocation, so no record is ever skipped or dead-lettered because the store is down.
 */
export interface IdempotencyStore {
  /** Claims every key not completed and not in progress elsewhere; returns one state per key, in order. */
  claim(keys: readonly string[], options: ClaimOptions): Promise<readonly ClaimState[]>;
  /** Marks keys this owner claimed as completed. Keys no longer owned by `owner` are left alone. */
  complete(keys: readonly string[], options: CompleteOptions): Promise<void>;
  /** Drops this owner's in-progress claims (records that failed or did not run), so a retry can claim them at once. */
  release(keys: readonly string[], options: ReleaseOptions): Promise<void>;
}
