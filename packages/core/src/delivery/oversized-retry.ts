import type { Deadline } from '../deadline/deadline.js';
import { isPermanentDeliveryError } from '../shared/errors.js';
import type { DeliveryFailure, DeliveryLedger } from './delivery-ledger.js';

/** librdkafka's (and the broker's) MSG_SIZE_TOO_LARGE. */
const MSG_SIZE_TOO_LARGE = 10;

/**
 * A broker that finds one message over the topic's `max.message.bytes` refuses the whole record
 * batch it travelled in, so its batch-mates come back with the same permanent error. Sent again one
 * at a time, the healthy ones are delivered; only a message refused alone is really too large.
 * The batch-mate may belong to another batch on the same producer (the local runner invokes one
 * handler for several batches at once), so even a lone suspect is sent again, in a record batch of
 * its own (`enqueueAlone`); a producer that cannot promise that gets a second send only when the
 * batch has two suspects or more (one of them, at least, was refused for another's size).
 * Returns the failures that remain, with everything else this batch produced untouched. A message
 * delivered on its second send is acknowledged to its record like any other: the first refusal was
 * never applied to the record (the delivery phase decides only on what remains).
 */
export async function retryOversizedAlone(
  failures: readonly DeliveryFailure[],
  ledger: DeliveryLedger,
  deadline: Deadline,
): Promise<{ failures: DeliveryFailure[]; durationMs: number; incomplete?: Error | undefined }> {
  const suspects = failures.filter(
    (f) => f.kind === 'output' && isPermanentDeliveryError(f.error) && codeOf(f.error) === MSG_SIZE_TOO_LARGE,
  );
  const remaining = failures.filter((f) => !suspects.includes(f));
  if (suspects.length < (ledger.sendsAlone ? 1 : 2)) return { failures: [...failures], durationMs: 0 };
  let durationMs = 0;
  for (const suspect of suspects) {
    ledger.send([suspect.message], suspect.source, suspect.slot, 'output', true);
    const outcome = await ledger.settle(deadline);
    durationMs += outcome.durationMs;
    remaining.push(...outcome.failures);
    if (outcome.incomplete) return { failures: remaining, durationMs, incomplete: outcome.incomplete };
  }
  return { failures: remaining, durationMs };
}

function codeOf(error: Error): unknown {
  return (error as { code?: unknown }).code;
}
