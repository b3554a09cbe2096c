import type { KafkaProducer } from '@kafka-lambda/core';
import type { DeliveryCallback, OutgoingMessage } from '@kafka-lambda/core/producer';
import { type DeliveryEngine, deliveryEngine } from '@kafka-lambda/core/producer';
import { ScriptedTransactions } from './scripted-transactions.js';

interface Held {
  readonly message: OutgoingMessage;
  readonly done: DeliveryCallback;
}

/** Options of {@link ScriptedProducer}. */
export interface ScriptedProducerOptions {
  /**
   * `background` (default): reports arrive by themselves shortly after `enqueue`, as librdkafka's
   * poll delivers them. `flush`: none before `flush()`, which reports everything enqueued, as a
   * client whose reports only a flush drives (a guard that the handler flushes before it waits).
   */
  reportsAt?: 'background' | 'flush';
}

/**
 * Core's one producer fake. It behaves like the librdkafka one towards the batch: delivery reports
 * arrive by themselves shortly after `enqueue` (its poll runs in the background), not at `flush()`
 * (unless `reportsAt: 'flush'`); a message can be held (no report until released, like a broker that
 * does not answer) or failed with an error shaped like the real client's (an Error with librdkafka's
 * `code`, and `permanent` when the producer classifies it so); a report can come twice; a flush can
 * fail; a broker can be unreachable. {@link ScriptedProducer.sendOnly} shows it as a client with `send` only (the promise path).
 */
export class ScriptedProducer implements KafkaProducer {
  readonly deliveryEngine: DeliveryEngine = deliveryEngine;
  readonly enqueued: OutgoingMessage[] = [];
  readonly delivered: OutgoingMessage[] = [];
  flushes = 0;
  maxMessageBytes: number | undefined = 1_000_000;
  holdWhen: (message: OutgoingMessage) => boolean = () => false;
  failWhen: (message: OutgoingMessage) => Error | undefined = () => undefined;
  /**
   * Like a topic's `max.message.bytes`: messages enqueued in the same tick travel as one record batch,
   * and one value over the limit makes the broker refuse the whole batch (MSG_SIZE_TOO_LARGE, code 10).
   */
  topicMaxBytes: number | undefined;
  /** Set by {@link ScriptedProducer.transactional}: the batch then runs one transaction. */
  transactions: ScriptedTransactions | undefined;
  /** How many times each report comes: a client may report a message twice; the batch counts it once. */
  reportsPerMessage = 1;
  /**
   * Set: there is no broker to connect to. Nothing is sent; each message waits until its batch gives
   * up (the signal given to `enqueue`), then is settled with the error this returned when it came,
   * as the real producer settles what it holds for a connection.
   */
  unreachable: ((message: OutgoingMessage) => Error) | undefined;
  /** What `flush()` rejects with (before reporting anything), like a flush that timed out. */
  flushError: Error | undefined;
  readonly reportsAt: 'background' | 'flush';
  readonly #held: Held[] = [];
  #burst: Held[] | undefined;
  #offset = 0;

  constructor(options: ScriptedProducerOptions = {}) {
    this.reportsAt = options.reportsAt ?? 'background';
  }

  /** Makes it transactional, like `kafkaProducer(config, { transactional })`. */
  transactional(): this & { transactions: ScriptedTransactions } {
    this.transactions = new ScriptedTransactions(this);
    return this as this & { transactions: ScriptedTransactions };
  }

  enqueue(message: OutgoingMessage, done: DeliveryCallback, signal?: AbortSignal): void {
    if (signal?.aborted) {
      done(asError(signal.reason), undefined, message);
      return;
    }
    if (this.transactions && !this.transactions.open) {
      // Recorded (txn-produce-outside): the client refuses a message outside a transaction.
      done(deliveryError('Local: Erroneous state', -172), undefined, message);
      return;
    }
    this.enqueued.push(message);
    if (this.unreachable) {
      const reason = this.unreachable(message);
      signal?.addEventListener('abort', () => done(reason, undefined, message), { once: true });
      return;
    }
    if (this.reportsAt === 'flush' || this.holdWhen(message)) {
      this.#held.push({ message, done });
      return;
    }
    if (this.topicMaxBytes === undefined) {
      setImmediate(() => this.#report({ message, done }));
      return;
    }
    if (!this.#burst) {
      const burst: Held[] = [];
      this.#burst = burst;
      setImmediate(() => this.#sendBurst(burst));
    }
    this.#burst.push({ message, done });
  }

  #sendBurst(burst: Held[]): void {
    this.#burst = undefined;
    const limit = this.topicMaxBytes!;
    const refused = burst.some(({ message }) => (message.value?.length ?? 0) > limit);
    for (const held of burst) {
      if (refused) {
        const error = deliveryError('Broker: Message size too large', 10, true);
        this.transactions?.delivered(error);
        held.done(error, undefined, held.message);
      } else this.#report(held);
    }
  }

  send(message: OutgoingMessage) {
    return new Promise<{ topic: string; partition: number; offset: number }>((resolve, reject) =>
      this.enqueue(message, (error, report) => (error ? reject(error) : resolve(report!))),
    );
  }

  async flush(): Promise<void> {
    this.flushes++;
    if (this.flushError) throw this.flushError;
    if (this.reportsAt === 'flush') this.release();
  }

  async close(): Promise<void> {}

  /** This producer as a client without the callback API (`send`, `flush`, `close` only). */
  sendOnly(): KafkaProducer {
    return {
      deliveryEngine,
      send: (message) => this.send(message),
      flush: () => this.flush(),
      close: () => this.close(),
    };
  }

  /** The values of the messages enqueued to `topic` (delivered or not), as text. */
  valuesOf(topic: string): string[] {
    return this.enqueued.filter((m) => m.topic === topic).map((m) => m.value?.toString('utf8') ?? '<null>');
  }

  /** Reports every held message now (the broker answers at last). */
  release(): void {
    for (const held of this.#held.splice(0)) this.#report(held);
  }

  get held(): number {
    return this.#held.length;
  }

  #report({ message, done }: Held): void {
    const error = this.failWhen(message);
    this.transactions?.delivered(error);
    if (!error) this.delivered.push(message);
    const report = error ? undefined : { topic: message.topic, partition: 0, offset: this.#offset++ };
    for (let i = 0; i < this.reportsPerMessage; i++) done(error, report, message);
  }
}

/** A delivery error as the real producer hands it to the batch: librdkafka's code and message. */
export function deliveryError(message: string, code: number, permanent = false): Error {
  return Object.assign(new Error(message), { code, ...(permanent && { permanent: true }) });
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
