import {
  type AfterBatch,
  type BatchMiddleware,
  type BeforeBatch,
  locationOf,
  loggedError,
} from '@kafka-lambda/core/middleware';
import { RecordInProgressError } from '../claim-errors.js';
import { BatchClaims } from '../claims/batch-claims.js';
import { batchKeys } from '../claims/record-keys.js';
import { type IdempotencyOptions, type IdempotencySettings, resolveIdempotency } from './options.js';

/**
 * Idempotent records, as batch middleware: a record another invocation completed is not processed
 * again, and its outputs are not produced again. Before any record runs: ONE claim call for the whole
 * batch, bounded by the time until the deadline's stop time, in progress until the invocation's end;
 * records an earlier invocation completed are skipped, records another invocation holds are handed
 * back (under `report` their partition stops there; under any other policy the invocation fails
 * before any record runs). A failed claim rejects with an `IdempotencyStoreError`: then nothing ran.
 * After the batch (and after a transaction's commit or abort): completes the keys of the records
 * that are done and releases the others, one call each; that never fails the invocation (the outputs
 * are delivered and a retry would duplicate them: the claims expire by themselves instead).
 *
 * Create it once, at module scope: its options are checked there (a `ConfigError` fails the init).
 * See docs/effectively-once.md.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json } from '@kafka-lambda/core';
 * import { idempotency } from '@kafka-lambda/idempotency';
 * import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
 *
 * const store = dynamoDbStore({ tableName: process.env.IDEMPOTENCY_TABLE ?? 'idempotency' });
 * export const handler = createKafkaHandler({
 *   value: json<{ tradeId: string }>(),
 *   use: [idempotency({ store, key: (record) => record.value.tradeId })],
 *   async process(record) {
 *     console.log(record.value.tradeId);
 *   },
 * });
 * ```
 */
export function idempotency<K = unknown, V = unknown>(
  options: IdempotencyOptions<K, V>,
): BatchMiddleware<NoInfer<K>, NoInfer<V>> {
  const settings = resolveIdempotency(options);
  const middleware: BatchMiddleware<K, V, BatchClaims> = {
    name: 'idempotency',
    before: (batch) => claimRecords(batch as BeforeBatch, settings),
    after: (batch, claims) => (claims ? settleClaims(batch, claims, settings) : undefined),
  };
  // The claims are this middleware's own state between before and after: not part of its type.
  return middleware as BatchMiddleware<K, V>;
}

async function claimRecords(batch: BeforeBatch, settings: IdempotencySettings): Promise<BatchClaims> {
  const { logger } = batch;
  const started = Date.now();
  const budgetMs = batch.msUntilStop();
  const prefix = settings.keyPrefix ?? batch.context?.functionName ?? 'kafka-lambda';
  const keys = await batchKeys(
    batch.partitions,
    settings,
    prefix,
    batch.skipsTombstones,
    (partition, index) => batch.decode(partition, index),
    budgetMs,
  );
  if (keys.unkeyed > 0) {
    const { location, error } = keys.firstUnkeyed!;
    logger.warn(
      'records the key function could not key (decoding or key() threw) are keyed by their offset',
      {
        count: keys.unkeyed,
        first: locationOf(location),
        error: loggedError(error),
      },
    );
  }
  // The global's getter loads crypto at its first use; importing node:crypto costs ~7 ms of every cold start.
  const owner = `${batch.context?.awsRequestId ?? 'local'}/${globalThis.crypto.randomUUID()}`;
  // A failed claim rejects before any record ran: every record comes again with the retry.
  const left = Math.max(0, budgetMs - (Date.now() - started));
  const claims = await BatchClaims.claim(settings.store, keys, owner, batch.endsAt, left);
  if (claims.completed.length > 0) {
    logger.info(
      'records already processed (by an earlier invocation, or earlier in this batch) are not run again',
      {
        count: claims.completed.length,
        first: locationOf(claims.completed[0]!.raw),
      },
    );
    for (const { partition, index } of claims.completed) batch.skip(partition, index);
  }
  if (claims.inProgress.length > 0) {
    for (const { raw, key, partition, index } of claims.inProgress)
      batch.handBack(partition, index, new RecordInProgressError(raw, key));
    logger.warn(
      batch.reports
        ? 'records in progress in another invocation are reported; their partitions stop there'
        : 'records in progress in another invocation: failing the invocation before any record runs, so the batch is retried',
      { count: claims.inProgress.length, first: locationOf(claims.inProgress[0]!.raw) },
    );
  }
  return claims;
}

async function settleClaims(
  batch: AfterBatch,
  claims: BatchClaims,
  settings: IdempotencySettings,
): Promise<void> {
  const outcome = await claims.settle(
    batch.msLeft(),
    settings.completedTtlMs,
    batch.kept,
    (partition, index) => batch.fateOf(partition, index),
  );
  const { logger } = batch;
  if (!outcome.error) {
    logger.debug('idempotency keys completed and released', {
      completed: outcome.completed,
      released: outcome.released,
      left: outcome.left,
    });
    return;
  }
  logger.error('idempotency store failed at the end of the batch; its claims expire by themselves', {
    completed: outcome.completed,
    released: outcome.released,
    left: outcome.left,
    error: loggedError(outcome.error),
  });
}
