import { type FailurePolicy, failTheInvocation } from './policy.js';

/** `onError: 'dead-letter'`: write the failed record to the dead-letter topic and go on. */
export const deadLetterPolicy: FailurePolicy = {
  ...failTheInvocation,
  recordFailed(failure, batch) {
    batch.deadLetter(failure);
    return true;
  },
};
