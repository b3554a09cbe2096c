import { RecordProcessingError } from '../shared/errors.js';
import { loggedError } from '../shared/logged-error.js';
import { type FailurePolicy, failTheInvocation, whereOf } from './policy.js';

/** `onError: 'retry-batch'`: stop at the failed record and fail the invocation, so the ESM retries the batch. */
export const retryBatchPolicy: FailurePolicy = {
  ...failTheInvocation,
  recordFailed(failure, batch) {
    batch.failWith(new RecordProcessingError(failure.record, { cause: failure.error }));
    batch.logger.error('record failed; failing the invocation to retry the batch (onError: retry-batch)', {
      ...whereOf(failure),
      error: loggedError(failure.error),
    });
    return false;
  },
};
