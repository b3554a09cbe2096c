import type { Deadline } from '../deadline/deadline.js';
import type { BatchObserver } from '../middleware/instrumentation.js';
import type { BatchVerdict } from '../outcomes/batch-verdict.js';
import { Fate, type RecordOutcomes } from '../outcomes/outcomes.js';
import type { FailurePolicy, PolicyBatch } from '../policies/policy.js';
import type { KafkaRecord } from '../record/record.js';
import { DeliveryError, isPermanentDeliveryError, locationOf } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { DeliveryFailure, DeliveryLedger } from './delivery-ledger.js';
import { retryOversizedAlone } from './oversized-retry.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** What the end of a batch needs from it. */
export interface DeliveryPhaseHost extends PolicyBatch {
  readonly logger: Logger;
  readonly observer: BatchObserver;
  readonly policy: FailurePolicy;
  readonly verdict: BatchVerdict;
  readonly outcomes: RecordOutcomes;
  /** A record that had succeeded failed after all (an output refused for good): once per record. */
  failedLate(slot: number, record: AnyRecord, error: Error): void;
  /** Sends the dead letters of the records failed so far (unless the failures turn out to be the environment's). */
  sendDeadLetters(): void;
  /** Adds the time spent waiting for deliveries to the summary. */
  waited(ms: number): void;
}

/**
 * The end of a batch: waits for its own deliveries (the ledger's one wait), then decides on each
 * failure. An output refused for good fails its record once under its policy, however many of its
 * outputs were refused (dead letters of such records need one more wait); a dead letter that is not
 * delivered, or a delivery that may succeed later, fails the invocation (or, under `report`, hands
 * the record back).
 */
export async function settleDeliveries(
  ledger: DeliveryLedger,
  deadline: Deadline,
  host: DeliveryPhaseHost,
): Promise<void> {
  if (ledger.sent === 0) return;
  for (let round = 0; round < 2; round++) {
    const settled = await ledger.settle(deadline);
    // Nothing refused (the usual batch): no re-send to consider, no extra await.
    const outcome =
      settled.incomplete || settled.failures.length === 0
        ? settled
        : await retryOversizedAlone(settled.failures, ledger, deadline);
    const durationMs = settled.durationMs + (settled === outcome ? 0 : outcome.durationMs);
    host.waited(durationMs);
    const incomplete = settled.incomplete ?? outcome.incomplete;
    host.observer.flush?.({ messages: ledger.sent, durationMs, error: incomplete });
    const sentBefore = ledger.sent;
    const sources = new Map<number, AnyRecord>();
    for (const failure of outcome.failures) decide(failure, host, sources);
    const refused = host.outcomes.takeRefused();
    if (!incomplete) {
      for (const [slot, error] of refused) {
        // Handed back meanwhile (another output's transient failure): it comes again anyway.
        if (host.outcomes.fateOf(slot) === Fate.sending) host.failedLate(slot, sources.get(slot)!, error);
      }
    }
    // Incomplete: a refusal is not decided (the record stays unsettled, its key released). A message
    // refused only for travelling with an oversized one was not sent again alone: it is no failure.
    if (incomplete) {
      // The producer's own reason (e.g. it could not connect) says more than "timed out".
      const cause = outcome.failures.find((f) => f.error.name === 'ProducerConnectionError')?.error;
      host.verdict.incomplete(cause ?? incomplete);
      host.logger.error('deliveries did not finish in time; failing the invocation so the batch is retried', {
        error: cause ?? incomplete,
      });
      break;
    }
    host.sendDeadLetters();
    if (ledger.sent === sentBefore) break;
  }
}

function decide(
  { source, slot, kind, message, error }: DeliveryFailure,
  host: DeliveryPhaseHost,
  sources: Map<number, AnyRecord>,
): void {
  const { topic } = message;
  if (kind === 'output' && isPermanentDeliveryError(error)) {
    // Retrying cannot deliver it: its record's failure, decided once per record after this round.
    host.outcomes.refused(slot, error);
    sources.set(slot, source);
    return;
  }
  const failure = new DeliveryError([{ topic, source: locationOf(source), error }]);
  if (kind === 'dead-letter') {
    host.logger.error('a dead letter was not delivered; failing the invocation so the record is retried', {
      ...locationOf(source),
      deadLetterTopic: topic,
      error,
    });
    host.failWith(failure);
    return;
  }
  // The producer has nothing to connect to as configured: the invocation fails with that reason (it
  // names the servers and says why), not with one delivery failure per message.
  if (error.name === 'ProducerConnectionError' && (error as { definitive?: unknown }).definitive === true)
    host.verdict.incomplete(error);
  if (host.outcomes.fateOf(slot) === Fate.sending) {
    host.outcomes.handBack(slot);
    host.observer.recordEnd?.(source, 'unprocessed');
  }
  host.policy.handBack(source, failure, host);
}
