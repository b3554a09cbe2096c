// `@kafka-lambda/core/errors`: every error class the handler throws, rejects with or logs, to tell
// them apart with `instanceof` (the root exports the few a `process` function uses), and
// `RecordFailure`, a failed record as `onError`'s route is given it.

export type { RecordFailure } from '../policies/error-policy.js';
export {
  ConfigError,
  DeadLetterError,
  DeadlineExceededError,
  DeliveryError,
  EveryRecordFailedError,
  FailureRouteError,
  FlushTimeoutError,
  InvalidEventError,
  InvalidProduceRequestError,
  isPermanentDeliveryError,
  isRetryable,
  KafkaLambdaError,
  LateProduceError,
  OutcomeInvariantError,
  RecordDecodeError,
  type RecordLocation,
  RecordProcessingError,
  RecordValidationError,
  RetryableError,
  type ValidationIssue,
} from '../shared/errors.js';
