import { locationOf } from '../errors.js';
import type { PartitionBatch } from '../event.js';
import { BatchClaims, type KeyVerdict } from '../idempotency/batch-claims.js';
import { RecordInProgressError } from '../idempotency/errors.js';
import { batchKeys } from '../idempotency/record-keys.js';
import type { Logger } from '../logger.js';
import type { Deadline } from './deadline.js';
import type { BatchObserver } from './instrumentation.js';
import { loggedError } from './logged-error.js';
import type { FailurePolicy, PolicyBatch } from './policies/policy.js';
import { RecordPipeline } from './record-pipeline.js';
import type { HandlerSettings } from './settings.js';
import type { LambdaContext } from './types.js';

/** What the idempotency phases need from their batch. */
export interface IdempotencyPhaseHost extends PolicyBatch {
  readonly settings: HandlerSettings;
  readonly lambdaContext: LambdaContext;
  readonly observer: BatchObserver;
  readonly policy: FailurePolicy;
}

/**
 * Before any record runs (`idempotency` set): ONE claim call for the whole batch, bounded by the
 * time until the deadline's stop time; in progress until the invocation's end. Records another
 * invocation holds are handed back now, at the first per partition: under `report` their partition
 * stops there; under any other policy the invocation fails before any record runs.
 *
 * Rejects with an `IdempotencyStoreError` when the claim fails: then nothing ran.
 */
export async function claimRecords(
  host: IdempotencyPhaseHost,
  partitions: readonly PartitionBatch[],
  deadline: Deadline,
): Promise<BatchClaims> {
  const { settings, logger } = host;
  const idempotency = settings.idempotency!;
  const started = Date.now();
  const budgetMs = deadline.bounded ? deadline.msUntilStop() : deadline.msUntilEnd();
  const pipeline = new RecordPipeline(settings, host.observer);
  const prefix = idempotency.keyPrefix ?? host.lambdaContext?.functionName ?? 'kafka-lambda';
  const keys = await batchKeys(
    partitions,
    idempotency,
    prefix,
    settings.skipTombstones,
    (record) => pipeline.decodeAhead(record),
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
  const owner = `${host.lambdaContext?.awsRequestId ?? 'local'}/${globalThis.crypto.randomUUID()}`;
  // A failed claim rejects before any record ran: every record comes again with the retry.
  const left = Math.max(0, budgetMs - (Date.now() - started));
  const claims = await BatchClaims.claim(idempotency.store, partitions, keys, owner, deadline.endsAt(), left);
  if (claims.completed.length > 0) {
    logger.info(
      'records already processed (by an earlier invocation, or earlier in this batch) are not run again',
      {
        count: claims.completed.length,
        first: locationOf(claims.completed[0]!.raw),
      },
    );
  }
  if (claims.inProgress.length > 0) handBackInProgress(host, claims);
  return claims;
}

function handBackInProgress(host: IdempotencyPhaseHost, claims: BatchClaims): void {
  const seen = new Set<number>();
  for (const { raw, key, partition } of claims.inProgress) {
    if (seen.has(partition)) continue;
    seen.add(partition);
    host.policy.handBack(raw, new RecordInProgressError(raw, key), host);
  }
  host.logger.warn(
    host.settings.policyName === 'report'
      ? 'records in progress in another invocation are reported; their partitions stop there'
      : 'records in progress in another invocation: failing the invocation before any record runs, so the batch is retried',
    { count: claims.inProgress.length, first: locationOf(claims.inProgress[0]!.raw) },
  );
}

/** Kept from the margin before Lambda's timeout for the last calls: a wait for deliveries may have used all the rest. */
const SETTLE_FLOOR_MS = 100;

/**
 * How long `complete` and `release` may take: until the deadline's end, and at least a round trip's
 * worth of the margin kept before Lambda's timeout (a flush that timed out waited until the end), so
 * that the delivered records of a failing invocation still complete.
 */
function settleBudgetMs(deadline: Deadline): number {
  const untilTimeout = deadline.endsAt() - Date.now();
  return Math.max(deadline.msUntilEnd(), Math.min(SETTLE_FLOOR_MS, untilTimeout / 2));
}

/**
 * After the batch's deliveries settled (and, with transactions, after the commit): completes the
 * keys of the records that are done (as `verdictOf` says, from their outcomes) and releases the
 * others, one call each. It never fails the
 * invocation: the outputs are delivered, and a retry would duplicate them; the claims then expire
 * by themselves (completed: the retry runs them again; in progress: at this invocation's end).
 * Pass `delivered: false` when the batch's outputs were discarded (an aborted transaction).
 */
export async function settleClaims(
  claims: BatchClaims,
  deadline: Deadline,
  settings: HandlerSettings,
  logger: Logger,
  delivered: boolean,
  verdictOf: (partition: number, index: number) => KeyVerdict,
): Promise<void> {
  const outcome = await claims.settle(
    settleBudgetMs(deadline),
    settings.idempotency!.completedTtlMs,
    delivered,
    verdictOf,
  );
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
