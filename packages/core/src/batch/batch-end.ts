import type { BatchSummary } from '../contract/lambda.js';
import type { BatchObserver } from '../middleware/instrumentation.js';
import type { Conclusion } from '../outcomes/batch-verdict.js';
import type { Logger } from '../shared/logger.js';

/**
 * Says how the invocation ended, once: an error line when it failed (the ESM will retry the batch),
 * the summary line when it succeeded and `logSummary` is on; then the instrumentation's `end`.
 *
 * @example
 * ```ts
 * reportBatchEnd({ logger, logSummary: true, observer }, summary, { result: undefined });
 * ```
 */
export function reportBatchEnd(
  { logger, logSummary, observer }: { logger: Logger; logSummary: boolean; observer: BatchObserver },
  summary: BatchSummary,
  conclusion: Conclusion,
): void {
  const { error } = conclusion;
  if (error) {
    logger.error('kafka batch failed; the event source mapping will retry it', {
      ...summary,
      error: { name: error.name, message: error.message },
    });
  } else if (logSummary) {
    logger.info('kafka batch processed', { ...summary });
  }
  observer.end?.({ summary, error, result: conclusion.result });
}
