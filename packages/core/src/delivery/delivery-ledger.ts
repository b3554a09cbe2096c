import type { DeliveryCallback, KafkaProducer, OutgoingMessage } from '../contract/producer.js';
import type { Deadline } from '../deadline/deadline.js';
import type { KafkaRecord } from '../record/record.js';
import { asError, FlushTimeoutError, KafkaLambdaError } from '../shared/errors.js';
import { type MessageKind, type MessageOwner, PendingMessage } from './pending-message.js';

export type { MessageKind } from './pending-message.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** The close reason of a ledger with nothing outstanding: nothing reads it, so one instance serves. */
const BATCH_ENDED = new KafkaLambdaError('the batch ended with every delivery confirmed');

/** How many messages to one topic await their report. */
interface PendingCount {
  count: number;
}

/** A message of this batch that the producer or the broker refused. */
export interface DeliveryFailure {
  readonly source: AnyRecord;
  /** The source record's slot in the batch. */
  readonly slot: number;
  readonly kind: MessageKind;
  readonly message: OutgoingMessage;
  readonly error: Error;
}

/** What one wait for the batch's delivery reports found. */
export interface SettleOutcome {
  readonly durationMs: number;
  /** Failures reported since the previous wait. */
  readonly failures: readonly DeliveryFailure[];
  /** Why the wait ended before every report came (deadline, or the producer's flush gave up). */
  readonly incomplete?: Error | undefined;
}

/** Told of every message of the batch the broker acknowledged, with its record's slot and the record. */
export type AcknowledgedCallback = (slot: number, kind: MessageKind, source: AnyRecord) => void;

/**
 * The messages of ONE batch and their delivery reports. It is the only place that waits for them,
 * and it waits for this batch's messages only: what another invocation left in the producer can
 * neither fail nor delay this one. Closing it aborts its signal, so whatever the producer still
 * holds for it is dropped, never produced after the handler returned.
 */
export class DeliveryLedger {
  readonly #producer: KafkaProducer;
  readonly #controller = new AbortController();
  readonly #signal = this.#controller.signal;
  #sent = 0;
  #delivered = 0;
  #unconfirmed = 0;
  /** The controller's signal has aborted: read per message and per report without the signal's getters. */
  #closed = false;
  /** Unconfirmed messages per topic: a timeout names where they were going. */
  readonly #pendingByTopic = new Map<string, PendingCount>();
  /** The count of the topic counted last: a batch mostly produces to one topic, so no Map lookup per message. */
  #lastTopic: string | undefined;
  #lastCount: PendingCount = { count: 0 };
  #failures: DeliveryFailure[] = [];
  #onSettled: (() => void) | undefined;
  /** The one callback of every message of the batch: each message carries its own record. */
  readonly #onReport: DeliveryCallback = (error, _report, message) => this.#confirm(error, message);
  /** Where a report's owner is read into: one object per ledger, not one per report. */
  readonly #owner: MessageOwner = { source: undefined, kind: 'output', slot: -1 };
  readonly #acknowledged: AcknowledgedCallback;

  constructor(producer: KafkaProducer, acknowledged: AcknowledgedCallback) {
    this.#producer = producer;
    this.#acknowledged = acknowledged;
  }

  /** Aborted when the ledger closes. */
  get signal(): AbortSignal {
    return this.#signal;
  }

  /** Whether the producer can send a message in a record batch of its own (`enqueueAlone`). */
  get sendsAlone(): boolean {
    return typeof this.#producer.enqueueAlone === 'function';
  }

  get sent(): number {
    return this.#sent;
  }

  /** Messages the broker acknowledged. */
  get delivered(): number {
    return this.#delivered;
  }

  get unconfirmed(): number {
    return this.#unconfirmed;
  }

  /**
   * Hands a record's messages to the producer; each report goes to the acknowledged callback or to
   * the failures, with the record's `slot`. After the ledger closed nothing is sent: false. `alone`
   * asks the producer for a record batch of each message's own, where it can (`enqueueAlone`).
   */
  send(
    messages: readonly OutgoingMessage[],
    source: AnyRecord,
    slot: number,
    kind: MessageKind,
    alone = false,
  ): boolean {
    if (this.#closed) return false;
    const producer = this.#producer;
    const onReport = this.#onReport;
    for (const sent of messages) {
      const message = PendingMessage.of(sent);
      PendingMessage.own(message, source, kind, slot);
      this.#sent++;
      this.#unconfirmed++;
      this.#pendingOn(message.topic).count++;
      if (!producer.enqueue) {
        producer.send(message).then(
          () => this.#confirm(undefined, message),
          (error) => this.#confirm(asError(error), message),
        );
        continue;
      }
      try {
        if (alone && producer.enqueueAlone) producer.enqueueAlone(message, onReport, this.#signal);
        else producer.enqueue(message, onReport, this.#signal);
      } catch (error) {
        // The contract says enqueue never throws; a producer that does still fails only this message.
        this.#confirm(asError(error), message);
      }
    }
    return true;
  }

  /**
   * Waits for every report of this batch's messages, until the deadline's end. Asks the producer to
   * flush once, for producers that deliver only when flushed; its verdict is not ours to take,
   * except that a flush that gives up while our messages are unconfirmed ends the wait.
   */
  async settle(deadline: Deadline): Promise<SettleOutcome> {
    const started = Date.now();
    let incomplete: Error | undefined;
    if (this.#unconfirmed > 0) {
      const timeoutMs = deadline.msUntilEnd();
      incomplete = await new Promise<Error | undefined>((resolve) => {
        const finish = (error?: Error) => {
          clearTimeout(timer);
          this.#onSettled = undefined;
          resolve(this.#unconfirmed > 0 ? (error ?? this.#timeout(timeoutMs)) : undefined);
        };
        const timer = setTimeout(finish, timeoutMs);
        this.#onSettled = finish;
        this.#producer.flush(timeoutMs).then(
          () => undefined,
          (error: unknown) => finish(asError(error)),
        );
      });
      // Whatever the producer still holds for us (waiting for a connection or for room) is settled
      // now, with the producer's reason: often the real cause of the timeout.
      if (incomplete) {
        this.#abort(incomplete);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const failures = this.#failures;
    this.#failures = [];
    return { durationMs: Date.now() - started, failures, incomplete };
  }

  /** Ends the batch: the producer drops what it still holds for it; late reports are ignored. */
  close(): void {
    if (this.#closed) return;
    // A named timeout only when something is still held for this batch; otherwise no error is built.
    this.#abort(this.#unconfirmed > 0 ? this.#timeout(0) : BATCH_ENDED);
  }

  #abort(reason: Error): void {
    this.#closed = true;
    this.#controller.abort(reason);
  }

  #pendingOn(topic: string): PendingCount {
    if (topic === this.#lastTopic) return this.#lastCount;
    let pending = this.#pendingByTopic.get(topic);
    if (!pending) this.#pendingByTopic.set(topic, (pending = { count: 0 }));
    this.#lastTopic = topic;
    this.#lastCount = pending;
    return pending;
  }

  #timeout(timeoutMs: number): FlushTimeoutError {
    const topics = [...this.#pendingByTopic].filter(([, p]) => p.count > 0).map(([topic]) => topic);
    return new FlushTimeoutError(timeoutMs, this.#unconfirmed, topics);
  }

  /** A message's report: counted once against the batch, failed against its own record. */
  #confirm(error: Error | undefined, message: OutgoingMessage): void {
    // A report that comes after the batch ended belongs to nobody: that invocation already failed.
    if (this.#closed && !error) return;
    const owner = this.#owner;
    // Not ours, or reported twice: the first report settled it.
    if (!PendingMessage.release(message, owner)) return;
    const { source, kind, slot } = owner;
    owner.source = undefined;
    this.#unconfirmed--;
    this.#pendingOn(message.topic).count--;
    if (error) this.#failures.push({ source: source!, slot, kind, message, error });
    else {
      this.#delivered++;
      this.#acknowledged(slot, kind, source!);
    }
    if (this.#unconfirmed === 0) this.#onSettled?.();
  }
}
