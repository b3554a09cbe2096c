import type { KafkaProducer } from '@kafka-lambda/core';
import { kafkaProducer } from '@kafka-lambda/core/producer';
import type { SourceMessage } from '../runner/types.js';
import { type RedriveFilter, type RedrivePlan, redrivePlan, type SkipReason } from './dead-letter-redrive.js';
import { TopicReader } from './topic-reader.js';

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  /** The cluster's `bootstrap.servers`. */
  readonly brokers: string;
  /** The dead-letter topic to read (from its start to its end when the redrive starts). */
  readonly from: string;
  /** Send every record here instead of back to its source topic and partition. */
  readonly to?: string | undefined;
  readonly filter?: RedriveFilter | undefined;
  /** Say what would move; send nothing. */
  readonly dryRun?: boolean | undefined;
  /** At most this many records a second. Default 100. */
  readonly ratePerSecond?: number | undefined;
  /** librdkafka properties for both the consumer and the producer (SASL, TLS). */
  readonly config?: Readonly<Record<string, string | number | boolean>> | undefined;
  /** Hears every decision, e.g. to print it (the CLI does). */
  readonly onPlan?: ((plan: RedrivePlan, letter: SourceMessage) => void) | undefined;
  /** The producer to send with; default one made from `brokers` and `config` (acks=all, idempotent), closed at the end. */
  readonly producer?: KafkaProducer | undefined;
}

/** What a redrive did. */
export interface RedriveSummary {
  readonly read: number;
  /** Sent back and acknowledged (or, in a dry run, that would be). */
  readonly redriven: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  readonly dryRun: boolean;
}

/**
 * Sends the dead letters of a topic back to where their records came from — the day after the fix
 * that makes them succeed — with their original key, value and headers (the dead-letter headers
 * removed, `kafka-lambda.redrive.count` added), filtered by failure time, source partition or error
 * class, at a bounded rate. A dead letter whose record was truncated to fit is reported, never sent
 * back as if whole. Rejects (naming how many were sent) when the broker refuses one.
 *
 * @example
 * ```ts
 * import { redriveDeadLetters } from '@kafka-lambda/local';
 *
 * const summary = await redriveDeadLetters({ brokers: 'b-1:9092', from: 'orders.dlq', filter: { errorClass: 'RangeError' } });
 * console.log(summary.redriven, summary.skipped);
 * ```
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveSummary> {
  const rate = options.ratePerSecond ?? 100;
  if (!(rate > 0)) throw new RangeError('ratePerSecond must be a positive number');
  const dryRun = options.dryRun ?? false;
  const skipped: Record<SkipReason, number> = { 'not-a-dead-letter': 0, truncated: 0, filtered: 0 };
  let read = 0;
  let redriven = 0;
  const reader = await TopicReader.open(options.brokers, options.from, options.config ?? {});
  const own = !options.producer && !dryRun;
  const producer =
    options.producer ??
    (dryRun ? undefined : kafkaProducer({ 'bootstrap.servers': options.brokers, ...options.config }));
  const started = Date.now();
  try {
    for await (const batch of reader.batches()) {
      const sends: Array<Promise<unknown>> = [];
      for (const letter of batch) {
        read++;
        const plan = redrivePlan(letter, { to: options.to, filter: options.filter ?? {} });
        options.onPlan?.(plan, letter);
        if (plan.action === 'skip') {
          skipped[plan.reason]++;
          continue;
        }
        if (producer) {
          // At most `rate` a second since the start: wait for the slot of this one.
          const due = started + (redriven * 1_000) / rate - Date.now();
          if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
          sends.push(producer.send(plan.message));
        }
        redriven++;
      }
      const results = await Promise.allSettled(sends);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (refused) {
        const sent = redriven - results.filter((r) => r.status === 'rejected').length;
        throw new Error(
          `redrive stopped: the broker refused a record (${sent} of ${read} read were sent back)`,
          {
            cause: refused.reason,
          },
        );
      }
    }
  } finally {
    await reader.close();
    if (own) await producer?.close();
  }
  return { read, redriven, skipped, dryRun };
}
