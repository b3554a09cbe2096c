import type { FailureStage, RecordFate } from '../contract/fates.js';
import type { PartitionBatch } from '../event/event.js';
import type { Lanes } from '../ordering/lanes.js';
import {
  locationOf,
  OutcomeInvariantError,
  type RecordLocation,
  RecordValidationError,
} from '../shared/errors.js';

/**
 * Where a record of the batch stands. A record moves pending → running → exactly one final state;
 * the only way back from a final state is {@link RecordOutcomes.retractFailures} (the invocation
 * fails after all, before anything of those failures left the function).
 */
export const Fate = {
  /** Not started. */
  pending: 0,
  /** Its decode or `process` runs. */
  running: 1,
  /** It succeeded; its outputs await the broker's reports. */
  sending: 2,
  /** Final: it succeeded and sent nothing. */
  done: 3,
  /** Final: it succeeded and the broker acknowledged every output, whichever send carried it. */
  delivered: 4,
  /** Final: a tombstone passed over (`tombstones: 'skip'`). */
  skipped: 5,
  /** Final: an earlier invocation completed its idempotency key; it did not run. */
  alreadyProcessed: 6,
  /** Final: it failed, and its policy logged it (`log`). */
  logged: 7,
  /** It failed; its dead letter is to be sent, or awaits its report. */
  deadLettering: 8,
  /** Final: it failed and the broker acknowledged its dead letter. */
  deadLettered: 9,
  /** Final for this invocation: not done; reported to the ESM, or the invocation fails so it comes again. */
  handedBack: 10,
  /** Final for this invocation: its `process` was still running when the batch gave up on it. */
  abandoned: 11,
} as const;
export type Fate = (typeof Fate)[keyof typeof Fate];

const NAMES = Object.keys(Fate) as Array<keyof typeof Fate>;

/** A record that failed: what it failed with, and where. */
export interface FailureNote {
  readonly error: Error;
  readonly stage: FailureStage;
}

/** Counts of a batch's records by what became of them; each record is in exactly one of the first five. */
export interface OutcomeCounts {
  succeeded: number;
  failed: number;
  skipped: number;
  unprocessed: number;
  alreadyProcessed: number;
  deadLettered: number;
}

/**
 * The one owner of every record's fate in an invocation: records are numbered by their place in the
 * batch (a slot), their states live in one byte array, and every other part of the handler tells it
 * what happened or asks it. The summary, the partial batch response, the idempotency keys and the
 * uniform-failure check are derived from it, never counted beside it.
 *
 * @example
 * ```ts
 * const outcomes = new RecordOutcomes(partitions);
 * outcomes.start(0);
 * outcomes.succeed(0, 1);        // one output sent
 * outcomes.acknowledged(0);      // the broker has it: delivered
 * outcomes.fateOf(0) === Fate.delivered;
 * ```
 */
export class RecordOutcomes {
  readonly #states: Uint8Array;
  /** Slot of each partition's first record. */
  readonly #base: Int32Array;
  readonly #partitions: readonly PartitionBatch[];
  /** Outputs awaiting their report, per slot; made at the first record that produces. */
  #outstanding: Int32Array | undefined;
  /** The first refusal of a record's output, until the delivery phase fails the record once. */
  #refused: Map<number, Error> | undefined;
  /** The records that failed; made at the first failure (most batches have none: no allocation). */
  #failures: Map<number, FailureNote> | undefined;

  constructor(partitions: readonly PartitionBatch[]) {
    this.#partitions = partitions;
    this.#base = new Int32Array(partitions.length + 1);
    for (let p = 0; p < partitions.length; p++)
      this.#base[p + 1] = this.#base[p]! + partitions[p]!.records.length;
    this.#states = new Uint8Array(this.#base[partitions.length]!);
  }

  get size(): number {
    return this.#states.length;
  }

  /** The slot of partition `partition`'s first record. */
  baseOf(partition: number): number {
    return this.#base[partition]!;
  }

  fateOf(slot: number): Fate {
    return this.#states[slot] as Fate;
  }

  failureOf(slot: number): FailureNote | undefined {
    return this.#failures?.get(slot);
  }

  start(slot: number): void {
    this.#move(slot, Fate.running, PENDING_ONLY);
  }

  skip(slot: number): void {
    this.#move(slot, Fate.skipped, PENDING_OR_RUNNING);
  }

  alreadyProcessed(slot: number): void {
    this.#move(slot, Fate.alreadyProcessed, PENDING_ONLY);
  }

  /** Its `process` succeeded with `outputs` messages to send. */
  succeed(slot: number, outputs: number): void {
    if (outputs <= 0) {
      this.#move(slot, Fate.done, RUNNING_ONLY);
      return;
    }
    this.#move(slot, Fate.sending, RUNNING_ONLY);
    this.#outstanding ??= new Int32Array(this.#states.length);
    this.#outstanding[slot] = outputs;
  }

  /**
   * One of its outputs is acknowledged; once all are (and none was refused), it is delivered.
   * Returns whether this report made it delivered.
   */
  acknowledged(slot: number): boolean {
    const state = this.#states[slot];
    if (state !== Fate.sending) return false; // failed already (another output refused for good)
    const left = --this.#outstanding![slot]!;
    if (left !== 0 || this.#refused?.has(slot)) return false;
    this.#states[slot] = Fate.delivered;
    return true;
  }

  /** One of its outputs was refused; the delivery phase decides what that means for the record. */
  refused(slot: number, error: Error): void {
    if (this.#states[slot] !== Fate.sending) return;
    this.#outstanding![slot]!--;
    this.#refused ??= new Map();
    if (!this.#refused.has(slot)) this.#refused.set(slot, error);
  }

  /** The records whose outputs were refused since the last call, once each, with the first refusal. */
  takeRefused(): Array<[slot: number, error: Error]> {
    const refused = this.#refused ? [...this.#refused] : [];
    this.#refused = undefined;
    return refused;
  }

  /** Notes a failure; the policy's action then moves the record (or, doing nothing, logs it). */
  fail(slot: number, note: FailureNote): void {
    const state = this.#states[slot]!;
    if (state !== Fate.running && state !== Fate.sending) this.#illegal(slot, 'fail');
    this.#failures ??= new Map();
    this.#failures.set(slot, note);
  }

  /** The failed record's policy did nothing more than log it. */
  failedAndLogged(slot: number): void {
    if (this.#states[slot] === Fate.running || this.#states[slot] === Fate.sending)
      this.#states[slot] = Fate.logged;
  }

  deadLettering(slot: number): void {
    this.#move(slot, Fate.deadLettering, RUNNING_OR_SENDING);
  }

  deadLettered(slot: number): void {
    this.#move(slot, Fate.deadLettered, DEAD_LETTERING_ONLY);
  }

  /** The record is not done and comes again (reported, or the invocation fails). */
  handBack(slot: number): void {
    const state = this.#states[slot]!;
    if (state === Fate.handedBack || state === Fate.abandoned) return;
    if (!isIn(HAND_BACK_FROM, state)) this.#illegal(slot, 'hand back');
    this.#states[slot] = Fate.handedBack;
  }

  /**
   * Hands back every record of partition `partition` from `index` on that has no final state; with
   * `lanes` (ordering by key), only the records of `index`'s lane from it on.
   */
  handBackFrom(partition: number, index: number, lanes?: Lanes): void {
    const base = this.#base[partition]!;
    if (lanes) {
      for (let i = index; i >= 0; i = lanes.after(i)) this.#handBackUnfinished(base + i);
      return;
    }
    const end = this.#base[partition + 1]!;
    for (let slot = base + index; slot < end; slot++) this.#handBackUnfinished(slot);
  }

  #handBackUnfinished(slot: number): void {
    const state = this.#states[slot]!;
    if (state === Fate.pending || state === Fate.running) this.#states[slot] = Fate.handedBack;
  }

  /** The batch gave up waiting for this record's `process`. */
  abandon(slot: number): void {
    this.#move(slot, Fate.abandoned, RUNNING_ONLY);
  }

  /**
   * The invocation fails after all (every record failed alike: the environment, not the records):
   * the failures that were only logged or whose dead letters are not sent yet come again instead.
   */
  retractFailures(): void {
    for (const slot of this.#failures?.keys() ?? []) {
      const state = this.#states[slot];
      if (state === Fate.logged || state === Fate.deadLettering) this.#states[slot] = Fate.handedBack;
    }
  }

  /** The batch's first failure, in the order they happened. */
  firstFailure(): [slot: number, note: FailureNote] | undefined {
    for (const entry of this.#failures ?? []) return entry;
    return undefined;
  }

  /**
   * True when at least two records ran and every one that ran failed at the same stage with the
   * same error (class and root cause's class and message): a missing file, a wrong deserializer, a
   * refused topic — the environment, not the records. A validation failure is about the data, never
   * alike; and only failures about to be final (logged, or with a dead letter not yet sent) matter:
   * records handed back come again anyway.
   */
  failedAlike(): boolean {
    const failures = this.#failures;
    if (!failures || failures.size < 2) return false;
    let finalizing = false;
    for (const slot of failures.keys()) {
      const state = this.#states[slot];
      if (state === Fate.logged || state === Fate.deadLettering) finalizing = true;
    }
    if (!finalizing) return false;
    for (let slot = 0; slot < this.#states.length; slot++) {
      const state = this.#states[slot]!;
      if (state === Fate.skipped || state === Fate.alreadyProcessed) continue;
      if (!failures.has(slot) && state !== Fate.pending && state !== Fate.handedBack) return false;
    }
    let first: string | undefined;
    for (const note of failures.values()) {
      const signature = signatureOf(note);
      if (signature === undefined) return false;
      first ??= signature;
      if (signature !== first) return false;
    }
    return true;
  }

  /**
   * The lowest offset per partition that is not final-and-done: what the ESM must resume from
   * (`report`). Handed-back and abandoned records, and any not final, count.
   */
  resumeOffsets(): RecordLocation[] {
    const offsets: RecordLocation[] = [];
    for (let p = 0; p < this.#partitions.length; p++) {
      const records = this.#partitions[p]!.records;
      const base = this.#base[p]!;
      for (let i = 0; i < records.length; i++) {
        if (!isIn(DONE_FOR_GOOD, this.#states[base + i]!)) {
          offsets.push(locationOf(records[i]!));
          break;
        }
      }
    }
    return offsets;
  }

  /** Every record is final and done: nothing is handed back, nothing waits. */
  get allDone(): boolean {
    for (let slot = 0; slot < this.#states.length; slot++) {
      if (!isIn(DONE_FOR_GOOD, this.#states[slot]!)) return false;
    }
    return true;
  }

  /** The first record that is neither done for good nor handed back (a defect if the batch succeeds). */
  firstUnsettled(): number | undefined {
    const states = this.#states;
    for (let slot = 0; slot < states.length; slot++) {
      if (!isIn(DONE_FOR_GOOD | HANDED_BACK, states[slot]!)) return slot;
    }
    return undefined;
  }

  /** How the record in `slot` ended, as a middleware's `after` sees it. */
  fateFor(slot: number): RecordFate {
    switch (this.#states[slot]) {
      case Fate.done:
        return 'done';
      case Fate.logged:
        return 'logged';
      case Fate.delivered:
        return 'delivered';
      case Fate.deadLettered:
        return 'dead-lettered';
      case Fate.abandoned:
        return 'abandoned';
      default:
        return 'not-done';
    }
  }

  counts(): OutcomeCounts {
    return this.countInto({
      succeeded: 0,
      failed: 0,
      skipped: 0,
      unprocessed: 0,
      alreadyProcessed: 0,
      deadLettered: 0,
    });
  }

  /** Counts the records by outcome into `counts` (e.g. the batch summary: no object of its own). */
  countInto<T extends OutcomeCounts>(counts: T): T {
    counts.succeeded = 0;
    counts.failed = this.#failures?.size ?? 0;
    counts.skipped = 0;
    counts.unprocessed = 0;
    counts.alreadyProcessed = 0;
    counts.deadLettered = 0;
    const states = this.#states;
    const failures = this.#failures;
    for (let slot = 0; slot < states.length; slot++) {
      const state = states[slot]!;
      if (state === Fate.deadLettered) counts.deadLettered++;
      if (failures?.has(slot)) continue;
      if (isIn(SUCCEEDED, state)) counts.succeeded++;
      else if (state === Fate.skipped) counts.skipped++;
      else if (state === Fate.alreadyProcessed) counts.alreadyProcessed++;
      else counts.unprocessed++;
    }
    return counts;
  }

  /** The record at `slot`, as a location (for errors and logs). */
  locationOf(slot: number): RecordLocation {
    let p = 0;
    while (this.#base[p + 1]! <= slot) p++;
    return locationOf(this.#partitions[p]!.records[slot - this.#base[p]!]!);
  }

  #move(slot: number, to: Fate, from: number): void {
    if (!isIn(from, this.#states[slot]!)) this.#illegal(slot, NAMES[to]!);
    this.#states[slot] = to;
  }

  #illegal(slot: number, move: string): never {
    const { topic, partition, offset } = this.locationOf(slot);
    throw new OutcomeInvariantError(
      `record ${topic}-${partition}@${offset} cannot go to ${move} from ${NAMES[this.#states[slot]!]}`,
    );
  }
}

/** A set of fates as one bit per fate: a test is a shift and an and, per record, in the hot path. */
const of = (...fates: Fate[]): number => fates.reduce<number>((mask, fate) => mask | (1 << fate), 0);
const PENDING_ONLY = of(Fate.pending);
const RUNNING_ONLY = of(Fate.running);
const PENDING_OR_RUNNING = of(Fate.pending, Fate.running);
const RUNNING_OR_SENDING = of(Fate.running, Fate.sending);
const DEAD_LETTERING_ONLY = of(Fate.deadLettering);
const HAND_BACK_FROM = of(Fate.pending, Fate.running, Fate.sending);
/** Final and nothing left to do for it: the ESM need not bring it again. */
const DONE_FOR_GOOD = of(
  Fate.done,
  Fate.delivered,
  Fate.skipped,
  Fate.alreadyProcessed,
  Fate.logged,
  Fate.deadLettered,
);
/** Not done, and accounted for: it comes again (reported, or with the failed invocation). */
const HANDED_BACK = of(Fate.handedBack, Fate.abandoned);
const SUCCEEDED = of(Fate.done, Fate.delivered, Fate.sending);

const isIn = (mask: number, state: number): boolean => ((mask >>> state) & 1) === 1;

/**
 * Stage, the error's class, and its root cause's class and message: alike failures share it.
 * Undefined for a validation failure (about the record's data, whatever the others say).
 */
function signatureOf({ error, stage }: FailureNote): string | undefined {
  let root: unknown = error;
  for (let depth = 0; depth < 8; depth++) {
    if (root instanceof RecordValidationError) return undefined;
    const cause = (root as { cause?: unknown } | undefined)?.cause;
    if (cause === undefined || cause === null) break;
    root = cause;
  }
  const rootName = root instanceof Error ? root.name : typeof root;
  const rootMessage = root instanceof Error ? root.message : String(root);
  return `${stage}\u0000${error.name}\u0000${rootName}\u0000${rootMessage}`;
}
