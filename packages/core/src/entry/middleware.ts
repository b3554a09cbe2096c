// `@kafka-lambda/core/middleware`: what a batch middleware or an observer is written against (the
// seam of `use: [...]`), for the packages that plug in (idempotency, observability) and for your
// own. Types, and the helpers that keep log lines and messages alike.

export { describeLocation, locationOf, type RecordLocation } from '../errors.js';
export type {
  AfterBatch,
  BatchMiddleware,
  BeforeBatch,
  Instrumentation,
  RecordFate,
} from '../handler/batch-middleware.js';
export type { KafkaHandlerHooks } from '../handler/hooks.js';
export type {
  BatchEnd,
  BatchObserver,
  BatchStart,
  FlushReport,
  RecordOutcome,
} from '../handler/instrumentation.js';
export { type LoggedError, loggedError } from '../handler/logged-error.js';
