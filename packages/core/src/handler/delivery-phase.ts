import { DeliveryError, isPermanentDeliveryError, locationOf } from '../errors.js';
import type { Logger } from '../logger.js';
import type { KafkaRecord } from '../record.js';
import type { BatchVerdict } from './batch-verdict.js';
import type { Deadline } from './deadline.js';
import type { DeliveryFailure, DeliveryLedger } from './delivery-ledger.js';
import type { BatchObserver } from './instrumentation.js';
import { retryOversizedAlone } from './oversized-retry.js';
import type { FailurePolicy, PolicyBatch } from './policies/policy.js';

/** What the end of a batch needs from it. */
export interface DeliveryPhaseHost extends PolicyBatch {
  readonly logger: Logger;
  readonly observer: BatchObserver;
  readonly policy: FailurePolicy;
  readonly verdict: BatchVerdict;
  /** A record that had succeeded failed after all (its output was refused for good). */
  failedLate(record: KafkaRecord<unknown, unknown>, error: Error): void;
}

/**
 * The end of a batch: waits for its own deliveries (the ledger's one wait), then decides on each
 * failure. An output refused for good fails its record under its policy (dead letters of such
 * records need one more wait); a dead letter that is not delivered, or a delivery that may succeed
 * later, fails the invocation (or, under `report`, hands the record back).
 */
export async function settleDeliveries(
  ledger: DeliveryLedger,
  deadline: Deadline,
  host: DeliveryPhaseHost,
): Promise<void> {
  if (ledger.sent === 0) return;
  const summary = host.verdict.summary;
  for (let round = 0; round < 2; round++) {
    const settled = await ledger.settle(deadline);
    const outcome = settled.incomplete
      ? settled
      : await retryOversizedAlone(settled.failures, ledger, deadline);
    const durationMs = settled.durationMs + (settled === outcome ? 0 : outcome.durationMs);
    summary.flushMs += durationMs;
    const incomplete = settled.incomplete ?? outcome.incomplete;
    host.observer.flush?.({ messages: ledger.sent, durationMs, error: incomplete });
    const sentBefore = ledger.sent;
    for (const failure of outcome.failures) decide(failure, host);
    if (incomplete) {
      // The producer's own reason (e.g. it could not connect) says more than "timed out".
      const cause = outcome.failures.find((f) => f.error.name === 'ProducerConnectionError')?.error;
      host.verdict.incomplete(cause ?? incomplete);
      host.logger.error('deliveries did not finish in time; failing the invocation so the batch is retried', {
        error: cause ?? incomplete,
      });
      break;
    }
    if (ledger.sent === sentBefore) break;
  }
  summary.produced = ledger.delivered;
}

function decide({ source, kind, message, error }: DeliveryFailure, host: DeliveryPhaseHost): void {
  const { topic } = message;
  if (kind === 'output' && isPermanentDeliveryError(error)) {
    // Retrying cannot deliver it: it is its record's failure, under the record's policy.
    host.failedLate(source, error);
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
  host.policy.handBack(source, failure, host);
}
