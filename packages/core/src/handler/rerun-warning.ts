import type { BatchMiddleware } from '../middleware/batch-middleware.js';
import type { ResolvedOrdering } from '../ordering/ordering.js';
import type { ErrorPolicy } from '../policies/error-policy.js';
import type { Logger } from '../shared/logger.js';

/**
 * Under `'key'` or `'none'` with `report` or `retry-batch`, the ESM's retry re-runs records of other
 * keys above the retried offset that had succeeded: without idempotency (the middleware named
 * `'idempotency'`, which skips them), say so once, at init.
 */
export function warnOfRerunsWithoutIdempotency(
  ordering: ResolvedOrdering,
  routes: readonly ErrorPolicy[],
  middleware: readonly BatchMiddleware[],
  logger: Logger,
): void {
  if (ordering.mode === 'partition') return;
  // The policy named, or the first a route may take that re-runs records.
  const policy = routes.find((route) => route === 'report' || route === 'retry-batch');
  if (!policy) return;
  if (middleware.some((m) => m.name === 'idempotency')) return;
  logger.warn(
    `ordering '${ordering.mode}' with onError '${policy}': a retry re-runs the records of other keys above the retried offset that had succeeded; use idempotency to skip them (docs/ordering.md)`,
    { ordering: ordering.mode, onError: policy },
  );
}
