import { locationOf } from '../shared/errors.js';
import { loggedError } from '../shared/logged-error.js';
import { type FailurePolicy, whereOf } from './policy.js';

/**
 * `onError: 'report'`: stop the partition at its first failed record and return it in
 * `batchItemFailures`, so the ESM resumes the partition there.
 */
export const reportPolicy: FailurePolicy = {
  recordFailed(failure, batch) {
    batch.reportAt(failure.record);
    batch.logger.error('record failed; reporting it so the partition resumes there (onError: report)', {
      ...whereOf(failure),
      error: loggedError(failure.error),
    });
    return false;
  },
  handBack(location, _reason, batch) {
    batch.reportAt(location);
  },
  result(reported) {
    return {
      batchItemFailures: reported.map((location) => {
        const { topic, partition, offset } = locationOf(location);
        return { itemIdentifier: { partition: `${topic}-${partition}`, offset } };
      }),
    };
  },
};
