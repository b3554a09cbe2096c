import type { OutgoingMessage } from '../contract/producer.js';
import type { KafkaRecord } from '../record/record.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** What a message is to the batch: a record's output, or the dead letter of a failed record. */
export type MessageKind = 'output' | 'dead-letter';

/** What the ledger needs to hear a message's report: whose it is (the record and its slot in the batch). */
export interface MessageOwner {
  source: AnyRecord | undefined;
  kind: MessageKind;
  /** The record's slot in the batch (its place in the batch's record outcomes). */
  slot: number;
}

/**
 * A message of this batch, carrying (in private fields, invisible to a user or a producer that reads
 * it) the record it came from until its report. The message IS the ledger's per-message slot: no
 * closure and no context per record live until the broker answers, and one callback serves the batch,
 * since objects that survive a scavenge are what the garbage collector copies (issue 14).
 *
 * @example
 * ```ts
 * const message = PendingMessage.of({ topic: 'out', key: null, value: Buffer.from('v') });
 * PendingMessage.own(message, record, 'output', 0);
 * const owner: MessageOwner = { source: undefined, kind: 'output', slot: -1 };
 * PendingMessage.release(message, owner); // true, owner.source is the record; false afterwards
 * ```
 */
export class PendingMessage implements OutgoingMessage {
  readonly topic: string;
  readonly partition: number | undefined;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<readonly [string, Buffer]> | undefined;
  readonly timestamp: number | undefined;
  #source: AnyRecord | undefined;
  #kind: MessageKind = 'output';
  #slot = -1;

  constructor(
    topic: string,
    partition: number | undefined,
    key: Buffer | null,
    value: Buffer | null,
    headers: ReadonlyArray<readonly [string, Buffer]> | undefined,
    timestamp: number | undefined,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.key = key;
    this.value = value;
    this.headers = headers;
    this.timestamp = timestamp;
  }

  /** The message itself when the SDK made it; a copy of one made elsewhere (never mutated). */
  static of(message: OutgoingMessage): PendingMessage {
    if (message instanceof PendingMessage) return message;
    const { topic, partition, key, value, headers, timestamp } = message;
    return new PendingMessage(topic, partition, key, value, headers, timestamp);
  }

  /** Records whose message this is until its report. */
  static own(message: PendingMessage, source: AnyRecord, kind: MessageKind, slot: number): void {
    message.#source = source;
    message.#kind = kind;
    message.#slot = slot;
  }

  /**
   * Copies the owner into `into` (the ledger's one scratch object: no allocation per report) and
   * forgets it, so a message someone keeps (a test producer's list) does not keep its record.
   * False for a message the ledger does not own, or a second report of the same message.
   */
  static release(message: OutgoingMessage, into: MessageOwner): boolean {
    if (!(message instanceof PendingMessage) || message.#source === undefined) return false;
    into.source = message.#source;
    into.kind = message.#kind;
    into.slot = message.#slot;
    message.#source = undefined;
    return true;
  }
}
