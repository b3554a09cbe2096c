import type { RecordLocation } from '@kafka-lambda/core';
import type { RecordFate } from '@kafka-lambda/core/middleware';
import { IdempotencyStoreError } from '../claim-errors.js';
import type { ClaimState, IdempotencyStore } from '../store.js';
import { bounded } from './bounded.js';
import type { BatchKeys, KeyedRecord } from './record-keys.js';

const isState = (state: unknown): boolean =>
  state === 'claimed' || state === 'completed' || state === 'in-progress';

/** What the end of the batch did with the claims. */
export interface ClaimsOutcome {
  readonly completed: number;
  readonly released: number;
  /** Claims left to expire: records whose `process` was still running when the batch gave up. */
  readonly left: number;
  readonly error?: IdempotencyStoreError | undefined;
}

/**
 * One invocation's claims: the states the batch's single claim call answered, which claimed records
 * are done (their outputs acknowledged), and the end's one `complete` and one `release` call.
 */
export class BatchClaims {
  readonly owner: string;
  /** The claim found these completed by an earlier invocation, in batch order. */
  readonly completed: readonly KeyedRecord[];
  /** The claim found these held by another invocation, in batch order. */
  readonly inProgress: readonly KeyedRecord[];
  readonly #store: IdempotencyStore;
  /** What this invocation now holds. */
  readonly #claimed: KeyedRecord[] = [];

  private constructor(
    store: IdempotencyStore,
    owner: string,
    keys: BatchKeys,
    states: readonly ClaimState[],
  ) {
    this.#store = store;
    this.owner = owner;
    const completed: KeyedRecord[] = [];
    const inProgress: KeyedRecord[] = [];
    keys.keyed.forEach((entry, i) => {
      const state = states[i]!;
      if (state === 'claimed') this.#claimed.push(entry);
      else (state === 'completed' ? completed : inProgress).push(entry);
    });
    this.completed = completed;
    this.inProgress = inProgress;
  }

  /**
   * The batch's one claim call (none when no record has a key), bounded by `timeoutMs`. Rejects with
   * an {@link IdempotencyStoreError} when the store fails, is too slow, or answers out of contract.
   */
  static async claim(
    store: IdempotencyStore,
    keys: BatchKeys,
    owner: string,
    inProgressUntil: number,
    timeoutMs: number,
  ): Promise<BatchClaims> {
    // A key twice in one batch is claimed once: it runs at its first occurrence, the others are
    // already processed (or in progress, when the first is). Offsets never repeat: no check for them.
    const { list, slots } = keys.unique
      ? { list: keys.keyed.map((e) => e.key), slots: undefined }
      : distinct(keys);
    let states: readonly ClaimState[] = [];
    if (list.length > 0) {
      const fail = (cause: unknown) =>
        new IdempotencyStoreError('claim', list.length, keys.keyed[0]!.raw, cause);
      try {
        states = await bounded(timeoutMs, (signal) => store.claim(list, { owner, inProgressUntil, signal }));
      } catch (error) {
        throw fail(error);
      }
      // An answer out of contract must not make a record look completed: nothing runs instead.
      if (!Array.isArray(states) || states.length !== list.length || !states.every(isState)) {
        throw fail(new TypeError(`the store answered ${describe(states)} for ${list.length} key(s)`));
      }
    }
    const perRecord = slots ? statesOfRepeats(states, slots) : states;
    return new BatchClaims(store, owner, keys, perRecord);
  }

  /**
   * The end: completes the keys of the records that are done, as `fateOf` says (done with nothing
   * sent, or logged and dropped; delivered or dead-lettered when their messages stay), leaves to
   * expire those whose `process` still ran when the batch gave up, and releases the rest; one call
   * each, at the same time, within `timeoutMs`. Never rejects: a failure is in the outcome (the
   * claims then expire by themselves). With `delivered` false (the outputs were discarded: an
   * aborted transaction), only the records done without sending anything complete.
   */
  async settle(
    timeoutMs: number,
    completedTtlMs: number,
    delivered: boolean,
    fateOf: (partition: number, index: number) => RecordFate,
  ): Promise<ClaimsOutcome> {
    const complete: string[] = [];
    const release: string[] = [];
    const first: { complete?: RecordLocation; release?: RecordLocation } = {};
    let left = 0;
    for (const { raw, key, partition, index } of this.#claimed) {
      const fate = fateOf(partition, index);
      if (fate === 'abandoned') {
        left++;
        continue;
      }
      const sent = fate === 'delivered' || fate === 'dead-lettered';
      if (fate === 'done' || fate === 'logged' || (delivered && sent)) {
        complete.push(key);
        first.complete ??= raw;
      } else {
        release.push(key);
        first.release ??= raw;
      }
    }
    const owner = this.owner;
    const calls: Array<Promise<IdempotencyStoreError | undefined>> = [];
    if (complete.length > 0) {
      const completedUntil = Date.now() + completedTtlMs;
      calls.push(
        bounded(timeoutMs, (signal) =>
          this.#store.complete(complete, { owner, completedUntil, signal }),
        ).then(
          () => undefined,
          (error: unknown) => new IdempotencyStoreError('complete', complete.length, first.complete!, error),
        ),
      );
    }
    if (release.length > 0) {
      calls.push(
        bounded(timeoutMs, (signal) => this.#store.release(release, { owner, signal })).then(
          () => undefined,
          (error: unknown) => new IdempotencyStoreError('release', release.length, first.release!, error),
        ),
      );
    }
    const errors = await Promise.all(calls);
    return {
      completed: complete.length,
      released: release.length,
      left,
      error: errors.find((e) => e !== undefined),
    };
  }
}

/** The distinct keys, and for each record the index of its key among them (negative: a repeat). */
function distinct(keys: BatchKeys): { list: string[]; slots: Int32Array } {
  const firstOf = new Map<string, number>();
  const list: string[] = [];
  const slots = new Int32Array(keys.keyed.length);
  keys.keyed.forEach(({ key }, i) => {
    const at = firstOf.get(key);
    if (at === undefined) {
      firstOf.set(key, list.length);
      slots[i] = list.length;
      list.push(key);
    } else slots[i] = -at - 1;
  });
  return { list, slots };
}

/** Each record's state: its key's, except that a repeat of a key claimed here is already processed. */
function statesOfRepeats(states: readonly ClaimState[], slots: Int32Array): ClaimState[] {
  return Array.from(slots, (slot) => {
    if (slot >= 0) return states[slot]!;
    const state = states[-slot - 1]!;
    return state === 'in-progress' ? state : 'completed';
  });
}

function describe(states: unknown): string {
  return Array.isArray(states) ? `${states.length} state(s)` : typeof states;
}
