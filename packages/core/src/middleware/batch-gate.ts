import type { LambdaContext } from '../contract/lambda.js';
import type { Deadline } from '../deadline/deadline.js';
import { headerBytesOf, type PartitionBatch } from '../event/event.js';
import type { RecordOutcomes } from '../outcomes/outcomes.js';
import type { ErrorPolicy } from '../policies/error-policy.js';
import { type KafkaRecord, recordOfParsedEvent } from '../record/record.js';
import type { RecordPipeline } from '../record/record-pipeline.js';
import { asError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { BeforeBatch } from './batch-middleware.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** What the middleware decided for a record: it runs, or not. */
export enum Veto {
  none = 0,
  /** Processed already: it does not run. */
  skip = 1,
  /** Comes again: it and the rest of its partition (or key, by `ordering`) do not run. */
  handBack = 2,
}

/** What the gate needs from its batch. */
export interface GateHost {
  readonly lambdaContext: LambdaContext;
  readonly logger: Logger;
  readonly outcomes: RecordOutcomes;
  /** The policy's hand-back of the first record handed back in a partition. */
  handBack(record: KafkaEventLocation, reason: Error): void;
}

type KafkaEventLocation = PartitionBatch['records'][number];

/**
 * The batch as the middleware's `before` sees it, and what they decided: per record, a veto and the
 * record decoded ahead (the record's run reuses it). Once the middleware are done it is closed: a
 * decode that finishes later is not kept (the run decodes the record again), a late veto is ignored.
 *
 * @example
 * ```ts
 * const gate = new BatchGate(partitions, host, pipeline, deadline, { name: 'report', reports: true }, true);
 * await middleware.before(gate);
 * gate.close();
 * gate.vetoAt(slot); // Veto.skip
 * ```
 */
export class BatchGate implements BeforeBatch {
  readonly partitions: readonly PartitionBatch[];
  readonly policy: ErrorPolicy | 'route';
  readonly reports: boolean;
  readonly skipsTombstones: boolean;
  readonly #host: GateHost;
  readonly #pipeline: RecordPipeline;
  readonly #deadline: Deadline;
  /** Per slot: a {@link Veto}. */
  readonly #vetoes: Uint8Array;
  /** Per slot: the record decoded ahead, once its decoding finished. */
  readonly #decoded: Array<AnyRecord | undefined>;
  /** Per slot: the decoding under way (its promise), so two middleware share it. */
  readonly #decoding = new Map<number, Promise<AnyRecord>>();
  readonly #handedBack = new Set<number>();
  #closed = false;

  constructor(
    partitions: readonly PartitionBatch[],
    host: GateHost,
    pipeline: RecordPipeline,
    deadline: Deadline,
    policy: { readonly name: ErrorPolicy | 'route'; readonly reports: boolean },
    skipsTombstones: boolean,
  ) {
    this.partitions = partitions;
    this.#host = host;
    this.#pipeline = pipeline;
    this.#deadline = deadline;
    this.policy = policy.name;
    this.reports = policy.reports;
    this.skipsTombstones = skipsTombstones;
    this.#vetoes = new Uint8Array(host.outcomes.size);
    this.#decoded = new Array(host.outcomes.size);
  }

  get context(): LambdaContext {
    return this.#host.lambdaContext;
  }

  get logger(): Logger {
    return this.#host.logger;
  }

  get endsAt(): number {
    return this.#deadline.endsAt();
  }

  msUntilStop(): number {
    return this.#deadline.bounded ? this.#deadline.msUntilStop() : this.#deadline.msUntilEnd();
  }

  decode(partition: number, index: number): AnyRecord | Promise<AnyRecord> {
    const slot = this.#slotOf(partition, index);
    const done = this.#decoded[slot];
    if (done) return done;
    const under = this.#decoding.get(slot);
    if (under) return under;
    const batch = this.partitions[partition]!;
    const record = recordOfParsedEvent(batch.records[index]!, headerBytesOf(batch), index);
    const decoding = this.#pipeline.decodeAhead(record);
    if (!(decoding instanceof Promise)) {
      if (!this.#closed) this.#decoded[slot] = record;
      return record;
    }
    const pending = decoding.then(() => {
      // Finished after the middleware were done: the run decodes it again, with its own context.
      if (!this.#closed) this.#decoded[slot] = record;
      this.#decoding.delete(slot);
      return record;
    });
    this.#decoding.set(slot, pending);
    return pending;
  }

  skip(partition: number, index: number): void {
    const slot = this.#slotOf(partition, index);
    if (!this.#closed && this.#vetoes[slot] === Veto.none) this.#vetoes[slot] = Veto.skip;
  }

  handBack(partition: number, index: number, reason: Error): void {
    const slot = this.#slotOf(partition, index);
    if (this.#closed) return;
    this.#vetoes[slot] = Veto.handBack;
    // The partition stops at its first: the policy hears of that one only.
    if (this.#handedBack.has(partition)) return;
    this.#handedBack.add(partition);
    this.#host.handBack(this.partitions[partition]!.records[index]!, asError(reason));
  }

  /** The middleware are done: late decodes and vetoes are not kept. */
  close(): void {
    this.#closed = true;
    this.#decoding.clear();
  }

  vetoAt(slot: number): Veto {
    return this.#vetoes[slot] as Veto;
  }

  decodedAt(slot: number): AnyRecord | undefined {
    return this.#decoded[slot];
  }

  #slotOf(partition: number, index: number): number {
    const records = this.partitions[partition]?.records;
    if (!records || !Number.isInteger(index) || index < 0 || index >= records.length)
      throw new RangeError(`no record ${index} in partition ${partition} of this batch`);
    return this.#host.outcomes.baseOf(partition) + index;
  }
}
