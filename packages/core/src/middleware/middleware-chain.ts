import type { LambdaContext } from '../contract/lambda.js';
import type { Deadline } from '../deadline/deadline.js';
import type { PartitionBatch } from '../event/event.js';
import type { RecordOutcomes } from '../outcomes/outcomes.js';
import { KafkaLambdaError, messageOf } from '../shared/errors.js';
import { loggedError } from '../shared/logged-error.js';
import type { Logger } from '../shared/logger.js';
import type { BatchGate } from './batch-gate.js';
import type { AfterBatch, BatchMiddleware } from './batch-middleware.js';

/** Kept from the margin before Lambda's timeout for `after`: a wait for deliveries may have used all the rest. */
const AFTER_FLOOR_MS = 100;

/**
 * A handler's `use` list, run around one batch: every `before` in order (the first to fail stops
 * the others and fails the invocation), then, once the outcome is decided, every `after` in reverse
 * order with what its `before` returned (a failing `after` is logged and ignored).
 *
 * @example
 * ```ts
 * const chain = new MiddlewareChain(settings.middleware);
 * await chain.before(gate); // may reject: the invocation fails before any record ran
 * // … the records run, the deliveries settle, the transaction ends …
 * await chain.after({ partitions, context, logger, outcomes, deadline, error, kept: true });
 * ```
 */
export class MiddlewareChain {
  readonly #middleware: readonly BatchMiddleware[];
  /** What each `before` returned (undefined until it did). */
  readonly #states: unknown[];

  constructor(middleware: readonly BatchMiddleware[]) {
    this.#middleware = middleware;
    this.#states = new Array(middleware.length);
  }

  async before(gate: BatchGate): Promise<void> {
    try {
      for (let i = 0; i < this.#middleware.length; i++) {
        const middleware = this.#middleware[i]!;
        if (!middleware.before) continue;
        try {
          this.#states[i] = await middleware.before(gate);
        } catch (error) {
          throw error instanceof KafkaLambdaError
            ? error
            : new KafkaLambdaError(
                `middleware '${middleware.name}' failed before the batch: ${messageOf(error)}`,
                {
                  cause: error,
                },
              );
        }
      }
    } finally {
      gate.close();
    }
  }

  async after(end: {
    partitions: readonly PartitionBatch[];
    context: LambdaContext;
    logger: Logger;
    outcomes: RecordOutcomes;
    deadline: Deadline;
    error: Error | undefined;
    kept: boolean;
  }): Promise<void> {
    const { outcomes, deadline, logger } = end;
    const view: AfterBatch = {
      partitions: end.partitions,
      context: end.context,
      logger,
      error: end.error,
      kept: end.kept,
      msLeft: () => {
        // Until the deadline's end, and at least a round trip's worth of the margin kept before
        // Lambda's timeout (a flush that timed out waited until the end).
        const untilTimeout = deadline.endsAt() - Date.now();
        return Math.max(deadline.msUntilEnd(), Math.min(AFTER_FLOOR_MS, untilTimeout / 2));
      },
      fateOf: (partition, index) => outcomes.fateFor(outcomes.baseOf(partition) + index),
    };
    for (let i = this.#middleware.length - 1; i >= 0; i--) {
      const middleware = this.#middleware[i]!;
      if (!middleware.after) continue;
      try {
        await middleware.after(view, this.#states[i]);
      } catch (error) {
        logger.error(`middleware '${middleware.name}' failed after the batch; ignored`, {
          error: loggedError(error),
        });
      }
    }
  }
}
