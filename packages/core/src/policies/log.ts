import { loggedError } from '../shared/logged-error.js';
import { type FailurePolicy, failTheInvocation, whereOf } from './policy.js';

/** `onError: 'log'`: log the failed record with its location and go on; the batch succeeds. */
export const logPolicy: FailurePolicy = {
  ...failTheInvocation,
  recordFailed(failure, batch) {
    batch.logger.error('record failed; continuing (onError: log)', {
      ...whereOf(failure),
      error: loggedError(failure.error),
    });
    return true;
  },
};
