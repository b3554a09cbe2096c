import type { KafkaRecord, RecordLocation } from '@kafka-lambda/core';
import type { KafkaEventRecord, PartitionBatch } from '@kafka-lambda/core/events';
import type { IdempotencySettings } from '../middleware/options.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** Where a key sits: the claim answers one state per key, in this order. */
export interface KeyedRecord {
  readonly key: string;
  readonly raw: KafkaEventRecord;
  readonly partition: number;
  readonly index: number;
}

/** The batch's keys, and what could not be keyed. */
export interface BatchKeys {
  readonly keyed: KeyedRecord[];
  /** No key repeats (the default key: offsets are unique in a batch). */
  readonly unique: boolean;
  /**
   * Records whose decoding or key function threw: keyed by their offset instead (see
   * {@link offsetKey}), so that their outcome (a dead letter, a logged failure) is remembered too.
   */
  readonly unkeyed: number;
  readonly firstUnkeyed?: { readonly location: RecordLocation; readonly error: Error } | undefined;
}

/**
 * The key of a record without a business key: `<prefix>#<topic>-<partition>@<offset>`, the default
 * key, and the fallback of a record a key function cannot key (it does not decode, or the function
 * throws). Without one, every redelivery would run (and dead-letter) such a record again.
 */
export function offsetKey(prefix: string, raw: KafkaEventRecord): string {
  return `${prefix}#${raw.topic}-${raw.partition}@${raw.offset}`;
}

/** Decodes a record ahead of its run (a key function reads its value): the batch's `decode`. */
export type DecodeAhead = (partition: number, index: number) => AnyRecord | Promise<AnyRecord>;

/**
 * The key of every record the batch will run, in partition then offset order. Skipped tombstones
 * have none (nothing runs for them). The default key needs no decoding; a key function gets the
 * record decoded, and whatever does not decode within `timeoutMs`, fails to decode, or makes the
 * key function throw gets its offset key.
 */
export async function batchKeys(
  partitions: readonly PartitionBatch[],
  settings: IdempotencySettings,
  prefix: string,
  skipTombstones: boolean,
  decodeAhead: DecodeAhead,
  timeoutMs: number,
): Promise<BatchKeys> {
  const keyOf = settings.key;
  const keyed: KeyedRecord[] = [];
  if (!keyOf) {
    for (let p = 0; p < partitions.length; p++) {
      const records = partitions[p]!.records;
      for (let i = 0; i < records.length; i++) {
        const raw = records[i]!;
        if (skipTombstones && raw.value === null) continue;
        keyed.push({ key: offsetKey(prefix, raw), raw, partition: p, index: i });
      }
    }
    // Offsets are unique within a partition's group; two groups naming one partition (`t-0`, `t-00`) are not.
    const groups = new Set(partitions.map((p) => `${p.topic}-${p.partition}`));
    return { keyed, unkeyed: 0, unique: groups.size === partitions.length };
  }
  const decoded: Array<Array<AnyRecord | undefined>> = partitions.map((p) => new Array(p.records.length));
  const failures = new Map<KafkaEventRecord, Error>();
  let closed = false;
  const pending: Promise<void>[] = [];
  for (let p = 0; p < partitions.length; p++) {
    const records = partitions[p]!.records;
    for (let i = 0; i < records.length; i++) {
      const raw = records[i]!;
      if (skipTombstones && raw.value === null) continue;
      try {
        const decoding = decodeAhead(p, i);
        if (!(decoding instanceof Promise)) decoded[p]![i] = decoding;
        else {
          pending.push(
            decoding.then(
              (record) => {
                // One that finishes after the wait gave up has no key but its offset.
                if (!closed) decoded[p]![i] = record;
              },
              (error: unknown) => void failures.set(raw, errorOf(error)),
            ),
          );
        }
      } catch (error) {
        failures.set(raw, errorOf(error));
      }
    }
  }
  if (pending.length > 0) await settledWithin(Promise.all(pending), timeoutMs);
  closed = true;
  let unkeyed = 0;
  let firstUnkeyed: BatchKeys['firstUnkeyed'];
  const unkey = (raw: KafkaEventRecord, p: number, i: number, error: Error) => {
    unkeyed++;
    firstUnkeyed ??= { location: raw, error };
    keyed.push({ key: offsetKey(prefix, raw), raw, partition: p, index: i });
  };
  for (let p = 0; p < partitions.length; p++) {
    const records = partitions[p]!.records;
    const ahead = decoded[p]!;
    for (let i = 0; i < records.length; i++) {
      const raw = records[i]!;
      if (skipTombstones && raw.value === null) continue;
      const record = ahead[i];
      if (!record) {
        unkey(raw, p, i, failures.get(raw) ?? new Error('not decoded in time for its key'));
        continue;
      }
      try {
        const key = keyOf(record);
        if (typeof key !== 'string' || key === '')
          throw new TypeError(
            `idempotency.key returned ${typeof key === 'string' ? 'an empty string' : typeof key}, not a string`,
          );
        keyed.push({ key: `${prefix}#${key}`, raw, partition: p, index: i });
      } catch (error) {
        unkey(raw, p, i, errorOf(error));
      }
    }
  }
  return { keyed, unkeyed, firstUnkeyed, unique: false };
}

/** Waits for `promise`, at most `ms`: what has not settled by then is left as it is. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** A key function may throw anything; the log line and the fallback need an Error. */
function errorOf(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
