import type { PartitionBatch } from '../event/event.js';
import { identityBy, type ResolvedOrdering } from './ordering.js';

/**
 * The lanes of one partition under `ordering: 'key'` or `'none'`: the records that must run one
 * after another (one key's, or a single record), each in offset order. Runners of the partition
 * {@link take} lanes in the order of their first record, so each key starts as soon as a runner is
 * free and the partition's lowest offsets start first. Typed arrays, no object per lane: a batch of
 * 10,000 distinct keys costs two arrays and a map.
 */
export class Lanes {
  /** The first record of each lane in offset order; undefined under `'none'` (lane n is record n). */
  readonly #heads: Int32Array | undefined;
  /** Under `'key'`: the next record of each record's lane, -1 after its last. */
  readonly #next: Int32Array | undefined;
  readonly #count: number;
  #taken = 0;

  private constructor(count: number, heads?: Int32Array, next?: Int32Array) {
    this.#count = count;
    this.#heads = heads;
    this.#next = next;
  }

  /** The lanes of `partition`; a key's identity is the key as the event carried it (base64: equal bytes, equal text), or the ordering's function's answer. */
  static of(partition: PartitionBatch, ordering: ResolvedOrdering): Lanes {
    const records = partition.records;
    if (ordering.mode !== 'key') return new Lanes(records.length);
    const heads = new Int32Array(records.length);
    const next = new Int32Array(records.length).fill(-1);
    const last = new Map<string | null, number>();
    const identityOf = ordering.key;
    let count = 0;
    for (let i = 0; i < records.length; i++) {
      const raw = records[i]!.key;
      const key = raw === null || raw === undefined ? null : raw;
      const identity = identityOf ? identityBy(identityOf, key) : key;
      const previous = last.get(identity);
      if (previous === undefined) heads[count++] = i;
      else next[previous] = i;
      last.set(identity, i);
    }
    return new Lanes(count, heads, next);
  }

  get count(): number {
    return this.#count;
  }

  /** The first record of the next lane nobody took, or -1. */
  take(): number {
    if (this.#taken >= this.#count) return -1;
    const lane = this.#taken++;
    return this.#heads ? this.#heads[lane]! : lane;
  }

  /** The record after `index` in its lane, or -1. */
  after(index: number): number {
    return this.#next ? this.#next[index]! : -1;
  }
}
