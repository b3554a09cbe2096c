import type { ProducerTransactions } from '@kafka-lambda/core/producer';
import { TransactionError, type TransactionFailureKind } from '@kafka-lambda/core/producer';

/** Where a transaction stands; a message produced in it is visible to read_committed readers once `committed`. */
export type TransactionState = 'open' | 'committed' | 'aborted';

/** One transaction of a {@link MemoryTransactions}. */
export interface MemoryTransaction {
  readonly id: number;
  state: TransactionState;
}

/** What the transactions need from their producer. */
export interface TransactionHost {
  /** Settles the transaction's pending messages (as librdkafka's commit flushes first). */
  settle(transaction: MemoryTransaction): void;
  /** Fails the transaction's pending messages (abort purges them); true if any of its messages failed. */
  purge(transaction: MemoryTransaction): void;
  failedIn(transaction: MemoryTransaction): boolean;
}

// The errors the real producer rejects with (recorded: core's test/recordings/client-errors.json).
const FAILURES: Record<TransactionFailureKind, { code: number; reason: string }> = {
  abortable: {
    code: 10,
    reason:
      'ProduceRequest for a topic with 1 message(s) failed: Broker: Message size too large: current transaction must be aborted',
  },
  retriable: { code: -185, reason: 'Timed out waiting for operation to finish, retry call to resume' },
  fatal: {
    code: -144,
    reason: 'Failed to end transaction: Local: This instance has been fenced by a newer instance',
  },
};

/**
 * The transactions of a transactional {@link MemoryProducer}: one open at a time; `commit` settles
 * its messages and commits them together, or, when one of them failed (or a failure was asked for),
 * rejects with core's `TransactionError` shaped like the real producer's and leaves them aborted.
 *
 * @example
 * ```ts
 * const producer = memoryProducer({ transactional: true });
 * producer.transactions.failNextCommit('fatal'); // fenced, as when another container took the id
 * ```
 */
export class MemoryTransactions implements ProducerTransactions {
  readonly transactionalId = 'memory-producer-txn';
  /** Calls so far. */
  readonly counts = { begin: 0, commit: 0, abort: 0 };
  readonly #host: TransactionHost;
  readonly #failures: TransactionFailureKind[] = [];
  #current: MemoryTransaction | undefined;
  #next = 1;

  constructor(host: TransactionHost) {
    this.#host = host;
  }

  /** The open transaction, if any: messages sent now belong to it. */
  get current(): MemoryTransaction | undefined {
    return this.#current;
  }

  /**
   * Begins one. Like the SDK's producer, a begin while another batch's transaction is open (two
   * invocations at once in one process) waits for it to end, up to `timeoutMs`, then rejects as
   * `retriable`.
   */
  async begin(timeoutMs: number): Promise<void> {
    this.counts.begin++;
    const until = Date.now() + timeoutMs;
    while (this.#current) {
      if (Date.now() >= until)
        throw new TransactionError(
          'begin',
          'retriable',
          undefined,
          'the transaction of another invocation in this process on the same producer did not end in time',
        );
      await new Promise((resolve) => setTimeout(resolve, Math.min(5, until - Date.now())));
    }
    this.#current = { id: this.#next++, state: 'open' };
  }

  /**
   * Settles and commits the open transaction. A failure (a message of it failed: `abortable`, or one
   * asked for with {@link failNextCommit}) leaves its messages aborted, never visible to read_committed
   * readers. (The real producer does not know whether a `retriable` commit, one that timed out, took
   * place; the fake says it did not.)
   */
  async commit(_timeoutMs: number): Promise<void> {
    this.counts.commit++;
    const transaction = this.#take('commit');
    this.#host.settle(transaction);
    const kind = this.#host.failedIn(transaction) ? 'abortable' : this.#failures.shift();
    if (!kind) {
      transaction.state = 'committed';
      return;
    }
    transaction.state = 'aborted';
    const { code, reason } = FAILURES[kind];
    throw new TransactionError('commit', kind, code, reason);
  }

  async abort(_timeoutMs: number): Promise<void> {
    this.counts.abort++;
    const transaction = this.#current;
    if (!transaction) return;
    this.#current = undefined;
    transaction.state = 'aborted';
    this.#host.purge(transaction);
  }

  /** The next commit fails with this kind (default `retriable`, a commit that timed out). */
  failNextCommit(kind: TransactionFailureKind = 'retriable'): this {
    this.#failures.push(kind);
    return this;
  }

  #take(operation: 'commit'): MemoryTransaction {
    const transaction = this.#current;
    this.#current = undefined;
    if (!transaction)
      throw new TransactionError(operation, 'fatal', -172, 'Operation not valid in state Ready');
    return transaction;
  }
}
