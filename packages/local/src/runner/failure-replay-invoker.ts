import { KafkaLambdaError } from '@kafka-lambda/core';
import { fromFailureRecords, type KafkaEvent } from '@kafka-lambda/core/events';
import type { Invoker } from './types.js';

/** The handler reported records of a replayed on-failure batch: the whole batch is retried. */
export class ReplayReportedError extends KafkaLambdaError {
  override name = 'ReplayReportedError';
  constructor(readonly reported: unknown) {
    super(
      `the handler reported records of a reprocessed on-failure batch (${JSON.stringify(reported)}): ` +
        'their offsets are the source topic’s, so the on-failure topic’s batch is retried whole',
    );
  }
}

/**
 * Reprocesses an ESM on-failure topic (`kafka://…`): each consumed message's value is an on-failure
 * invocation record; the batch of them becomes one ESM event of the original records
 * ({@link fromFailureRecords}), which the handler gets with the failure metadata on each record.
 * A `{ batchItemFailures }` answer names source-topic offsets, not the on-failure topic's, so it fails
 * the invocation ({@link ReplayReportedError}) and the batch is retried whole.
 */
export class FailureReplayInvoker implements Invoker {
  constructor(readonly inner: Invoker) {}

  async invoke(event: KafkaEvent, timeoutMs: number): Promise<unknown> {
    const values: Buffer[] = [];
    for (const records of Object.values(event.records))
      for (const record of records)
        if (record.value !== null) values.push(Buffer.from(record.value, 'base64'));
    this.check(await this.inner.invoke(fromFailureRecords(values), timeoutMs));
    return undefined;
  }

  /** Throws {@link ReplayReportedError} when a replay's answer reports batch item failures. */
  check(result: unknown): void {
    const failures = (result as { batchItemFailures?: unknown[] } | null | undefined)?.batchItemFailures;
    if (Array.isArray(failures) && failures.length > 0) throw new ReplayReportedError(failures);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
