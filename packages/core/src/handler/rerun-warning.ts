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
  policy: ErrorPolicy,
  middleware: readonly BatchMiddleware[],
  logger: Logger,
): void {
  if (ordering.mode === 'partition' || (policy !== 'report' && policy !== 'retry-batch')) return;
  if (middleware.some((m) => m.name === 'idempotency')) return;
  logger.warn(
    `ordering '${ordering.mode}' with onError '${policy}': a retry re-runs the records of other keys above the retried offset that had succeeded; use idempotency to skip them (docs/ordering.md)`,
    { ordering: ordering.mode, onError: policy },
  );
}
