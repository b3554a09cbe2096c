import type { OutgoingMessage } from '../contract/producer.js';
import type { RecordFailure } from '../policies/policy.js';
import type { DeliveryLedger } from './delivery-ledger.js';

/** A failed record's dead letter, built when its policy chose it. */
interface QueuedDeadLetter {
  readonly slot: number;
  readonly failure: RecordFailure;
  readonly topic: string;
  readonly message: OutgoingMessage;
}

/**
 * The dead letters of one batch: queued when a policy chooses them, sent together once the batch
 * knows the failures are the records' own (not every record failing alike), never when the
 * invocation fails (its records come again). Remembers where each one went, for its log line.
 *
 * @example
 * ```ts
 * const queue = new DeadLetterQueue();
 * queue.add(slot, failure, 'orders.dlq', message);
 * queue.sendAll(ledger);
 * queue.topicOf(slot); // 'orders.dlq'
 * ```
 */
export class DeadLetterQueue {
  #queued: QueuedDeadLetter[] = [];
  #sentTo: Map<number, string> | undefined;

  add(slot: number, failure: RecordFailure, topic: string, message: OutgoingMessage): void {
    this.#queued.push({ slot, failure, topic, message });
  }

  /** Forgets the dead letter of `slot` (its policy failed after choosing it). */
  drop(slot: number): void {
    this.#queued = this.#queued.filter((letter) => letter.slot !== slot);
  }

  /** Forgets every queued dead letter: their records come again instead. */
  clear(): void {
    this.#queued = [];
  }

  /** Hands every queued dead letter to the ledger. */
  sendAll(ledger: DeliveryLedger): void {
    const letters = this.#queued;
    this.#queued = [];
    if (letters.length === 0) return;
    this.#sentTo ??= new Map();
    for (const { slot, failure, topic, message } of letters) {
      this.#sentTo.set(slot, topic);
      ledger.send([message], failure.record, slot, 'dead-letter');
    }
  }

  /** The topic the dead letter of `slot` was sent to. */
  topicOf(slot: number): string | undefined {
    return this.#sentTo?.get(slot);
  }
}
