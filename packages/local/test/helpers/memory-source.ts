import type { RecordRef, RecordSource, SourceMessage } from '../../src/runner/types.js';

/** An in-memory stand-in for a consumer group member, for unit tests of the ESM loop. */
export class MemorySource implements RecordSource {
  readonly logs = new Map<string, SourceMessage[]>();
  readonly committed = new Map<string, number>();
  readonly commitCalls: RecordRef[][] = [];
  readonly paused = new Set<string>();
  closed = false;
  readonly #position = new Map<string, number>();
  readonly #revoked = new Set<string>();
  #events: Parameters<RecordSource['start']>[0] | undefined;

  /** `timestamp` of the first record (default a fixed time in 2023), the next ones 1 ms apart. */
  append(topic: string, partition: number, values: Array<string | Buffer>, timestamp?: number): void {
    const key = `${topic}-${partition}`;
    const log = this.logs.get(key) ?? [];
    const first = log.length;
    for (const value of values) {
      log.push({
        topic,
        partition,
        offset: log.length,
        timestamp: timestamp === undefined ? 1_700_000_000_000 + log.length : timestamp + log.length - first,
        key: Buffer.from(`k${log.length}`),
        value: typeof value === 'string' ? Buffer.from(value) : value,
        headers: [['h', Buffer.from([0xff])]],
      });
    }
    this.logs.set(key, log);
  }

  async start(events: Parameters<RecordSource['start']>[0]): Promise<void> {
    this.#events = events;
    events.onAssigned();
  }

  /**
   * A rebalance as librdkafka runs it: the partition is revoked (`onRevoked`), and, when `reassign`,
   * assigned back at once, where the consumer fetches again from the committed offset.
   */
  rebalance(topic: string, partition: number, { reassign }: { reassign: boolean }): void {
    const key = `${topic}-${partition}`;
    this.#events?.onRevoked([{ topic, partition }]);
    this.#position.delete(key);
    if (reassign) this.#revoked.delete(key);
    else this.#revoked.add(key);
  }

  async poll(max: number): Promise<SourceMessage[]> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    const out: SourceMessage[] = [];
    for (const [key, log] of this.logs) {
      if (this.paused.has(key) || this.#revoked.has(key)) continue;
      const from = this.#position.get(key) ?? this.committed.get(key) ?? 0;
      const taken = log.slice(from, from + (max - out.length));
      this.#position.set(key, from + taken.length);
      out.push(...taken);
      if (out.length >= max) break;
    }
    return out;
  }

  async commit(offsets: readonly RecordRef[]): Promise<void> {
    this.commitCalls.push([...offsets]);
    for (const { topic, partition, offset } of offsets) this.committed.set(`${topic}-${partition}`, offset);
  }

  pause(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const { topic, partition } of partitions) this.paused.add(`${topic}-${partition}`);
  }

  resume(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const { topic, partition } of partitions) this.paused.delete(`${topic}-${partition}`);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
