import { describe, expect, it, vi } from 'vitest';
import { KafkaSource } from '../src/runner/kafka-source.js';

// KafkaSource's AT_TIMESTAMP assignment over a stand-in for the native consumer: the offsets are
// looked up before assigning, a failed look-up is tried again, a revocation meanwhile drops it.
const consumers: FakeConsumer[] = [];
let lookupFailures = 0;

class FakeConsumer {
  readonly assigned: unknown[] = [];
  readonly config: Record<string, unknown>;
  lookups = 0;
  constructor(config: Record<string, unknown>) {
    this.config = config;
    consumers.push(this);
  }
  connect(_o: unknown, cb: (e: null) => void) {
    cb(null);
  }
  on() {}
  subscribe() {}
  setDefaultConsumeTimeout() {}
  consume(_n: number, cb: (e: null, m: unknown[]) => void) {
    cb(null, []);
  }
  committed(
    parts: Array<{ topic: string; partition: number }>,
    _t: number,
    cb: (e: null, o: unknown[]) => void,
  ) {
    cb(
      null,
      parts.map((p) => ({ ...p, offset: -1001 })),
    );
  }
  offsetsForTimes(
    parts: Array<{ topic: string; partition: number }>,
    _t: number,
    cb: (e: unknown, o?: unknown[]) => void,
  ) {
    this.lookups++;
    if (lookupFailures-- > 0) return cb({ message: 'Local: Timed out' });
    cb(
      null,
      parts.map((p) => ({ ...p, offset: 42 })),
    );
  }
  assign(parts: unknown[]) {
    this.assigned.push(parts);
  }
  unassign() {}
  disconnect(cb: () => void) {
    cb();
  }
  rebalance(code: number) {
    (this.config.rebalance_cb as (e: { code: number }, a: unknown[]) => void).call(this, { code }, [
      { topic: 't', partition: 0 },
    ]);
  }
}

vi.mock('@confluentinc/kafka-javascript', () => ({ KafkaConsumer: FakeConsumer }));

async function started() {
  const errors: string[] = [];
  const source = new KafkaSource({
    brokers: 'b:9092',
    topics: ['t'],
    groupId: 'g',
    startingPosition: 'AT_TIMESTAMP',
    startingPositionTimestampMs: 1_000,
    consumerConfig: {},
    onError: (error) => errors.push(error.message),
  });
  const assigned = vi.fn();
  await source.start({ onAssigned: assigned, onRevoked: () => undefined });
  return { source, consumer: consumers[consumers.length - 1]!, assigned, errors };
}

describe('KafkaSource with AT_TIMESTAMP', () => {
  it('assigns at the looked-up offset once the look-up answers, after reporting a failed one', async () => {
    lookupFailures = 1;
    const { source, consumer, assigned, errors } = await started();
    consumer.rebalance(-175);
    await vi.waitFor(() => expect(assigned).toHaveBeenCalledTimes(1), { timeout: 3_000 });
    expect(consumer.lookups).toBe(2);
    expect(errors).toEqual([
      expect.stringMatching(/offsets for 1970-01-01T00:00:01.000Z not read: Local: Timed out/),
    ]);
    expect(consumer.assigned).toEqual([[{ topic: 't', partition: 0, offset: 42 }]]);
    await source.close();
  });

  it('drops an assignment whose partitions were revoked while it was looked up', async () => {
    lookupFailures = 1;
    const { source, consumer, assigned } = await started();
    consumer.rebalance(-175);
    consumer.rebalance(-174);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(consumer.assigned).toEqual([]);
    expect(assigned).not.toHaveBeenCalled();
    await source.close();
  });
});
