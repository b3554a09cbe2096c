// How far a failed record got and how a record ended: shared by the outcomes, the policies, the
// delivery engine and the middleware, so it lives below all of them.

/**
 * How far a failed record got: its bytes or deserializer (`decode`), `process`, a produced message's
 * serializer (`produce`), or the broker refused one of its messages for good (`deliver`).
 */
export type FailureStage = 'decode' | 'process' | 'produce' | 'deliver';

/**
 * How a record ended, for a middleware's `after`: `done` (ran, produced nothing), `delivered` (ran,
 * every output acknowledged), `logged` (failed, logged and dropped under `log`), `dead-lettered`
 * (its dead letter acknowledged), `abandoned` (its `process` still ran when the batch gave up on
 * it), `not-done` (it comes again, or never ran: handed back, skipped, a tombstone, already processed).
 */
export type RecordFate = 'done' | 'delivered' | 'logged' | 'dead-lettered' | 'abandoned' | 'not-done';
