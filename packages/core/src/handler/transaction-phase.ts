import { asError, ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ProducerOption } from '../producer/shared-producer.js';
import { checkTransactionalOptions, type TransactionalOptions } from '../producer/transactions.js';
import type { KafkaProducer, ProducerTransactions } from '../producer/types.js';
import type { Conclusion } from './batch-verdict.js';
import type { Deadline } from './deadline.js';

/**
 * The `transactional` option of `createKafkaHandler` checked against its `producer`: the options to
 * build a transactional producer with (properties or a config source), or undefined (off, or a
 * producer instance, which must then be transactional itself).
 *
 * @example
 * ```ts
 * transactionalSettings(true, { 'bootstrap.servers': 'b:9092' }); // { idPrefix: 'my-function', timeoutMs: 900000 }
 * ```
 */
export function transactionalSettings(
  option: boolean | TransactionalOptions | undefined,
  producer: ProducerOption | undefined,
): Required<TransactionalOptions> | undefined {
  if (option === undefined || option === false) return undefined;
  if (!producer) throw new ConfigError('transactional needs a `producer`');
  const settings = checkTransactionalOptions(option === true ? {} : option);
  const instance = producer as Partial<KafkaProducer>;
  if (typeof instance.send === 'function' && typeof instance.flush === 'function') {
    if (!instance.transactions)
      throw new ConfigError(
        'transactional: the producer passed is not transactional (build it with kafkaProducer(config, { transactional }))',
      );
    return undefined;
  }
  return settings;
}

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
