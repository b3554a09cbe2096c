import type { ProducerTransactions } from '@kafka-lambda/core/producer';
import { transactionError } from '../../src/producer/transaction-errors.js';
import { firstRecordedError } from '../recorded-client.js';
import type { ScriptedProducer } from './scripted-producer.js';

/** A transactional call the test wants to fail, with the recorded scenario whose error it replays. */
export type ScriptedFailure = { readonly scenario: string };

/**
 * The transactions of a {@link ScriptedProducer}, shaped like the real producer's: failures are the
 * recorded errors of the real client (client-errors.json, `txn-` scenarios) classified by core's own
 * `transactionError`, and, as in librdkafka, a message refused inside the transaction makes the
 * commit fail with the recorded "must be aborted" error. `events` is the timeline of the batch:
 * begin, each delivery report, commit/abort (with their timeouts).
 */
export class ScriptedTransactions implements ProducerTransactions {
  readonly transactionalId = 'scripted-txn';
  readonly events: string[] = [];
  readonly timeouts: Record<'begin' | 'commit' | 'abort', number[]> = { begin: [], commit: [], abort: [] };
  /** The next call of each kind fails with the recorded error of that scenario. */
  readonly failNext: Partial<Record<'begin' | 'commit' | 'abort', ScriptedFailure>> = {};
  open = false;
  #refused = false;

  constructor(readonly producer: ScriptedProducer) {}

  /** The producer reports a delivery: a refusal dooms the open transaction, as in librdkafka. */
  delivered(error: Error | undefined): void {
    this.events.push(error ? 'refused' : 'delivered');
    if (error && this.open) this.#refused = true;
  }

  async begin(timeoutMs: number): Promise<void> {
    this.timeouts.begin.push(timeoutMs);
    this.events.push('begin');
    this.#fail('begin', 'beginTransaction');
    this.open = true;
    this.#refused = false;
  }

  async commit(timeoutMs: number): Promise<void> {
    this.timeouts.commit.push(timeoutMs);
    this.events.push('commit');
    this.open = false;
    if (this.#refused) {
      this.events.push('abort');
      throw transactionError('commit', firstRecordedError('txn-abortable', 'commitTransaction'));
    }
    this.#fail('commit', 'commitTransaction');
    this.events.push('committed');
  }

  async abort(timeoutMs: number): Promise<void> {
    this.timeouts.abort.push(timeoutMs);
    this.events.push('abort');
    this.open = false;
    this.#fail('abort', 'abortTransaction');
  }

  #fail(kind: 'begin' | 'commit' | 'abort', call: string): void {
    const failure = this.failNext[kind];
    if (!failure) return;
    delete this.failNext[kind];
    this.events.push(`${kind} failed`);
    const operation = kind === 'begin' ? 'begin' : kind;
    throw transactionError(operation, firstRecordedError(failure.scenario, call));
  }
}
