import type { ErrorPolicy } from '../policies/error-policy.js';
import { deadLetterPolicy } from './dead-letter.js';
import { logPolicy } from './log.js';
import type { FailurePolicy } from './policy.js';
import { reportPolicy } from './report.js';
import { retryBatchPolicy } from './retry-batch.js';

/** Every `onError` value and the policy it names. */
export const POLICIES: Readonly<Record<ErrorPolicy, FailurePolicy>> = {
  log: logPolicy,
  'dead-letter': deadLetterPolicy,
  report: reportPolicy,
  'retry-batch': retryBatchPolicy,
};
