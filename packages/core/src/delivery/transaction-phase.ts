import type { ProducerTransactions } from '../contract/producer.js';
import type { Deadline } from '../deadline/deadline.js';
import type { Conclusion } from '../outcomes/batch-verdict.js';
import { asError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/**
 * One batch's transaction: begun before its first record, ended after every delivery report is in:
 * committed when the invocation is about to succeed, aborted when it fails. Every step is bounded by
 * the invocation's deadline; a commit that does not happen fails the invocation (the ESM retries).
 *
 * @example
 * ```ts
 * const transaction = new TransactionPhase(producer.transactions!, logger);
 * await transaction.begin(deadline);
 * // … records run, deliveries settle …
 * conclusion = await transaction.end(conclusion, deadline);
 * ```
 */
export class TransactionPhase {
  readonly #transactions: ProducerTransactions;
  readonly #logger: Logger;
  #open = false;

  constructor(transactions: ProducerTransactions, logger: Logger) {
    this.#transactions = transactions;
    this.#logger = logger;
  }

  /**
   * Begins the batch's transaction; throws (the invocation fails before any record) when it cannot.
   * Bounded by the stop time: past it no record may start, and the reserve is kept for the abort.
   */
  async begin(deadline: Deadline): Promise<void> {
    await this.#transactions.begin(Math.max(1, Math.min(deadline.msUntilStop(), deadline.msUntilEnd())));
    this.#open = true;
  }

  /**
   * Commits when `conclusion` succeeds, aborts when it fails (or when the transaction never began,
   * does nothing). Returns the invocation's conclusion: a failed commit replaces success with its error.
   */
  async end(conclusion: Conclusion, deadline: Deadline): Promise<Conclusion> {
    if (!this.#open) return conclusion;
    this.#open = false;
    if (conclusion.error) {
      await this.#abort(deadline);
      return conclusion;
    }
    try {
      await this.#transactions.commit(deadline.msUntilEnd());
      return conclusion;
    } catch (error) {
      const failure = asError(error);
      this.#logger.error('the transaction did not commit; failing the invocation so the batch is retried', {
        error: failure,
      });
      return { error: failure };
    }
  }

  async #abort(deadline: Deadline): Promise<void> {
    try {
      await this.#transactions.abort(deadline.msUntilEnd());
    } catch (error) {
      // The invocation fails anyway; an open transaction is ended by the next client's init, or by the
      // coordinator after transaction.timeout.ms.
      this.#logger.error('the transaction of a failed batch did not abort; its client is replaced', {
        error: asError(error),
      });
    }
  }
}
