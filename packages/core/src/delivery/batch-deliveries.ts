import type { LambdaContext } from '../contract/lambda.js';
import type { KafkaProducer, OutgoingMessage } from '../contract/producer.js';
import type { Deadline } from '../deadline/deadline.js';
import type { Conclusion } from '../outcomes/batch-verdict.js';
import type { RecordFailure } from '../policies/policy.js';
import type { KafkaRecord } from '../record/record.js';
import { deadLetterOf } from './dead-letter.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { type AcknowledgedCallback, DeliveryLedger } from './delivery-ledger.js';
import { type DeliveryPhaseHost, settleDeliveries } from './delivery-phase.js';
import { TransactionPhase } from './transaction-phase.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** Where a failed record's dead letter goes: a topic, or a function choosing one per failure. */
export type DeadLetterTopic = string | ((record: AnyRecord, error: Error) => string) | undefined;

/**
 * What one batch sends, from its first output to its verdict: the outputs and dead letters in one
 * ledger (the batch's only wait), the dead letters queued until the failures are known to be the
 * records' own, and the batch's transaction with a transactional producer.
 *
 * @example
 * ```ts
 * const deliveries = new BatchDeliveries(producer, batch, acknowledged);
 * await deliveries.begin(deadline);
 * deliveries.send(messages, record, slot);
 * await deliveries.settle(deadline);
 * deliveries.close();
 * conclusion = await deliveries.end(conclusion, deadline);
 * ```
 */
export class BatchDeliveries {
  readonly #producer: KafkaProducer;
  readonly #host: DeliveryPhaseHost;
  readonly #ledger: DeliveryLedger;
  readonly #deadLetters = new DeadLetterQueue();
  readonly #transaction: TransactionPhase | undefined;

  constructor(producer: KafkaProducer, host: DeliveryPhaseHost, acknowledged: AcknowledgedCallback) {
    this.#producer = producer;
    this.#host = host;
    this.#ledger = new DeliveryLedger(producer, acknowledged);
    const transactions = producer.transactions;
    this.#transaction = transactions && new TransactionPhase(transactions, host.logger);
  }

  /** Messages the broker acknowledged so far. */
  get delivered(): number {
    return this.#ledger.delivered;
  }

  /** Begins the batch's transaction (a transactional producer only). */
  begin(deadline: Deadline): Promise<void> | undefined {
    return this.#transaction?.begin(deadline);
  }

  /** The outputs of a record that succeeded. */
  send(messages: readonly OutgoingMessage[], record: AnyRecord, slot: number): void {
    this.#ledger.send(messages, record, slot, 'output');
  }

  /**
   * Queues the dead letter of a failed record. Built now, so that a topic function that throws
   * fails the invocation while its policy decides.
   */
  deadLetter(slot: number, failure: RecordFailure, topic: DeadLetterTopic, context: LambdaContext): void {
    const letter = deadLetterOf({ deadLetterTopic: topic, producer: this.#producer }, failure, context);
    this.#deadLetters.add(slot, failure, letter.topic, letter.message);
  }

  /** Forgets the dead letter of `slot` (its policy failed after choosing it). */
  dropDeadLetter(slot: number): void {
    this.#deadLetters.drop(slot);
  }

  /** Forgets every queued dead letter: their records come again instead. */
  clearDeadLetters(): void {
    this.#deadLetters.clear();
  }

  /** Sends every queued dead letter. */
  sendDeadLetters(): void {
    this.#deadLetters.sendAll(this.#ledger);
  }

  /** The topic the dead letter of `slot` was sent to. */
  deadLetterTopicOf(slot: number): string | undefined {
    return this.#deadLetters.topicOf(slot);
  }

  /** Waits once for the batch's delivery reports and decides on each failure (see settleDeliveries). */
  settle(deadline: Deadline): Promise<void> {
    return settleDeliveries(this.#ledger, deadline, this.#host);
  }

  /** The batch is over: whatever the producer still holds for it is dropped, never sent. */
  close(): void {
    this.#ledger.close();
  }

  /** Commits or aborts the batch's transaction by its conclusion (a failed commit fails it). */
  end(conclusion: Conclusion, deadline: Deadline): Promise<Conclusion> | Conclusion {
    return this.#transaction ? this.#transaction.end(conclusion, deadline) : conclusion;
  }
}
