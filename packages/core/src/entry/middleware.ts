// `@kafka-lambda/core/middleware`: what a batch middleware or an observer is written against (the
// seam of `use: [...]`), for the packages that plug in (idempotency, observability) and for your
// own. Types, and the helpers that keep log lines and messages alike.

export type {
  AfterBatch,
  BatchMiddleware,
  BeforeBatch,
  Instrumentation,
  RecordFate,
} from '../middleware/batch-middleware.js';
export type { EventAdapter } from '../middleware/event-adapter.js';
export type { KafkaHandlerHooks } from '../middleware/hooks.js';
export type {
  BatchEnd,
  BatchObserver,
  BatchStart,
  FlushReport,
  RecordOutcome,
} from '../middleware/instrumentation.js';
export { describeLocation, locationOf, type RecordLocation } from '../shared/errors.js';
export { type LoggedError, loggedError } from '../shared/logged-error.js';
