// Transactional outputs against a real broker: a DEDICATED one (127.0.0.1:19692, never the shared one),
// since it is killed and restarted. Each scenario counts what a read_committed consumer sees beside
// what a read_uncommitted one sees, per input.
import { createRequire } from 'node:module';
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedKafka, startIsolatedKafka } from '../../scripts/stack/index.mjs';
import { createTopics, readTopic, uniqueTopic } from '../support/kafka.js';
import {
  captureLogger,
  kafkaEvent,
  lambdaContext,
  range,
  tally,
  tradeRecords,
} from '../support/reliability.js';

let broker: IsolatedKafka;
const producers: RdKafkaProducer[] = [];

beforeAll(async () => {
  broker = await startIsolatedKafka({
    name: 'transactions',
    port: 19692,
    controllerPort: 19693,
    // The coordinator looks for transactions past their timeout every second (default 10 s), so the
    // "retry in another container" scenario waits seconds, not minutes.
    properties: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000 },
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(producers.map((p) => p.close(1_000).catch(() => undefined)));
  await broker?.stop({ graceMs: 5_000 });
}, 60_000);

function transactionalProducer(timeoutMs?: number) {
  const producer = kafkaProducer(
    { 'bootstrap.servers': broker.brokers, log_level: 0, 'message.timeout.ms': 30_000 },
    { logger: captureLogger(), transactional: { idPrefix: 'txn-int', ...(timeoutMs && { timeoutMs }) } },
  );
  producers.push(producer);
  return producer;
}

function copyHandler(
  producer: RdKafkaProducer,
  out: string,
  onRecord: (offset: number) => Promise<void> | void = () => {},
  afterDeliveries?: () => void,
) {
  return createKafkaHandler({
    value: json<{ id: number; fail?: boolean }>(),
    producer,
    onError: 'retry-batch',
    logger: captureLogger(),
    // Called once the batch's delivery reports are in, right before the commit.
    use: afterDeliveries ? [{ name: 'observer', startBatch: () => ({ flush: afterDeliveries }) }] : [],
    async process(record, { produce }) {
      await onRecord(record.offset);
      if (record.value.fail) throw new Error(`record ${record.offset} is broken`);
      produce({ topic: out, key: record.key, value: `out-${record.value.id}` });
    },
  });
}

async function counts(out: string, expected: number) {
  // Expecting none, the read waits its whole timeout: shorter then.
  const committed = await readTopic(out, expected, {
    brokers: broker.brokers,
    timeoutMs: expected === 0 ? 6_000 : 20_000,
    settleMs: 1_500,
  });
  const uncommitted = await readTopic(out, Number.POSITIVE_INFINITY, {
    brokers: broker.brokers,
    timeoutMs: 6_000,
    settleMs: 0,
    readUncommitted: true,
  });
  const values = (messages: typeof committed) => messages.map((m) => m.value!.toString('utf8'));
  return { committed: tally(values(committed)), uncommitted: tally(values(uncommitted)) };
}

describe('transactional outputs (dedicated broker)', () => {
  it("a failed invocation's outputs are invisible to read_committed, visible to read_uncommitted; the retry commits each once", async () => {
    const out = uniqueTopic('txn.failed');
    await createTopics([{ topic: out, partitions: 3 }], { brokers: broker.brokers });
    const handler = copyHandler(transactionalProducer(), out);
    const inputs = 500;

    // Record 300 fails under retry-batch: records 0..299 were produced (and delivered) into the transaction.
    const failing = await handler(
      kafkaEvent(tradeRecords('trades', 0, inputs, { failing: new Set([300]) })),
      lambdaContext(30_000),
    ).catch((e: unknown) => e);
    expect(failure(failing)).toBeInstanceOf(Error);
    const afterFailure = await counts(out, 0);
    console.log(
      `failed attempt: read_committed ${sum(afterFailure.committed)}, read_uncommitted ${sum(afterFailure.uncommitted)}`,
    );
    expect(sum(afterFailure.committed)).toBe(0);
    expect(sum(afterFailure.uncommitted)).toBe(300);

    // The ESM's retry of the same batch, now healthy: each input has exactly one committed output.
    await handler(kafkaEvent(tradeRecords('trades', 0, inputs)), lambdaContext(30_000));
    const { committed, uncommitted } = await counts(out, inputs);
    console.log(
      `after the retry: read_committed ${sum(committed)} (${committed.distinct.length} inputs, max ${committed.maxCopies} each), read_uncommitted ${sum(uncommitted)} (max ${uncommitted.maxCopies} each)`,
    );
    expect(committed.distinct).toEqual(
      range(0, inputs)
        .map((i) => `out-${i}`)
        .sort(),
    );
    expect(committed.maxCopies).toBe(1);
    expect(sum(uncommitted)).toBe(inputs + 300);
  });

  it('the broker killed mid-batch, then the ESM-style retry of the same event: exactly one committed output per input', async () => {
    const out = uniqueTopic('txn.killed');
    await createTopics([{ topic: out, partitions: 3 }], { brokers: broker.brokers });
    const inputs = 3_000;
    let kill: Promise<void> | undefined;
    const producer = transactionalProducer();
    const handler = copyHandler(producer, out, async (offset) => {
      if (offset !== 2_000 || kill) return;
      // Once the first 1,500 outputs are in the log (in the open transaction), SIGKILL: a crash.
      while (producer.stats.delivered < 1_500) await new Promise((resolve) => setTimeout(resolve, 5));
      kill = broker.kill();
    });
    const event = kafkaEvent(tradeRecords('trades', 0, inputs));
    // Warm: connected, transactions initialized (the first invocation of a container pays it at init).
    await producer.transactions!.begin(30_000);
    await producer.transactions!.abort(30_000);

    const first = await handler(event, lambdaContext(8_000)).catch((e: unknown) => e);
    expect(failure(first)).toBeInstanceOf(Error);
    await kill;
    await broker.start();

    const retry = await handler(event, lambdaContext(90_000)).catch((e: unknown) => e);
    expect(failure(retry)).toBeUndefined();
    // The failed attempt's client was replaced; its successor (same transactional.id) ended the open
    // transaction at its init, so nothing holds read_committed back.
    expect(producer.stats.connects).toBeGreaterThan(1);
    const { committed, uncommitted } = await counts(out, inputs);
    console.log(
      `broker killed at record 2000 of ${inputs}, then retried: read_committed ${sum(committed)} (${committed.distinct.length} inputs, max ${committed.maxCopies} each), read_uncommitted ${sum(uncommitted)} (${uncommitted.distinct.length} inputs, max ${uncommitted.maxCopies} each)`,
    );
    expect(committed.distinct).toEqual(
      range(0, inputs)
        .map((i) => `out-${i}`)
        .sort(),
    );
    expect(committed.maxCopies).toBe(1);
    expect(sum(committed)).toBe(inputs);
    // The first attempt's outputs that reached the log before the kill are there, aborted.
    expect(sum(uncommitted)).toBeGreaterThanOrEqual(inputs + 1_500);
  }, 180_000);

  it('with idempotent records too: the broker killed mid-batch, the retry, then the batch redelivered after success: one committed output per input, and the redelivery runs nothing', async () => {
    const out = uniqueTopic('txn.idempotent');
    await createTopics([{ topic: out, partitions: 3 }], { brokers: broker.brokers });
    const inputs = 1_000;
    const producer = transactionalProducer();
    const store = memoryIdempotencyStore();
    const ran: number[] = [];
    let kill: Promise<void> | undefined;
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer,
      use: [idempotency({ store })],
      onError: 'retry-batch',
      logger: captureLogger(),
      async process(record, { produce }) {
        if (record.offset === 600 && !kill) {
          while (producer.stats.delivered < 400) await new Promise((resolve) => setTimeout(resolve, 5));
          kill = broker.kill();
        }
        ran.push(record.value.id);
        produce({ topic: out, key: record.key, value: `out-${record.value.id}` });
      },
    });
    await producer.transactions!.begin(30_000); // warm: connected, transactions initialized
    await producer.transactions!.abort(30_000);
    const event = kafkaEvent(tradeRecords('trades', 0, inputs));

    expect(failure(await handler(event, lambdaContext(8_000)).catch((e: unknown) => e))).toBeInstanceOf(
      Error,
    );
    expect(store.calls.complete).toBe(0); // the transaction did not commit: nothing completes
    await kill;
    await broker.start();
    const firstAttempt = ran.length;
    await handler(event, lambdaContext(90_000)); // the ESM's retry: runs everything, commits
    const afterRetry = ran.length;
    await handler(event, lambdaContext(30_000)); // redelivered after success: nothing runs
    const { committed, uncommitted } = await counts(out, inputs);
    console.log(
      `idempotent + transactional, broker killed then retried then redelivered: side effects ${firstAttempt} + ${afterRetry - firstAttempt} + ${ran.length - afterRetry}; read_committed ${sum(committed)} (max ${committed.maxCopies} each), read_uncommitted ${sum(uncommitted)}`,
    );
    expect(afterRetry - firstAttempt).toBe(inputs); // released keys: the retry runs every record
    expect(ran.length - afterRetry).toBe(0);
    expect(committed.distinct).toEqual(
      range(0, inputs)
        .map((i) => `out-${i}`)
        .sort(),
    );
    expect(committed.maxCopies).toBe(1);
    expect(sum(uncommitted)).toBeGreaterThanOrEqual(inputs + 400);
  }, 180_000);

  it('fenced: another instance initializes the same transactional.id mid-transaction; the commit fails (fatal, fenced), nothing of it is committed; the next invocation builds a new client that fences the intruder', async () => {
    const out = uniqueTopic('txn.fenced');
    await createTopics([{ topic: out, partitions: 1 }], { brokers: broker.brokers });
    const producer = transactionalProducer();
    const intruder = nativeTransactional(producer.transactions!.transactionalId!);
    await producer.transactions!.begin(30_000);
    await Promise.all(
      range(0, 50).map((i) => producer.send({ topic: out, key: null, value: Buffer.from(`out-${i}`) })),
    );
    expect(await intruder.init()).toBeUndefined(); // the other instance takes the id
    const fenced = await producer.transactions!.commit(10_000).catch((e: unknown) => e);
    expect(fenced).toMatchObject({
      name: 'TransactionError',
      operation: 'commit',
      kind: 'fatal',
      fenced: true,
    });
    // The next invocation: a new client with the same id, whose init fences the intruder in turn.
    const handler = copyHandler(producer, out);
    await handler(kafkaEvent(tradeRecords('trades', 0, 50, { idBase: 100 })), lambdaContext(30_000));
    expect(producer.stats.connects).toBe(2);
    expect(await intruder.beginAndCommit(out)).toMatchObject({ code: -144 });
    const { committed, uncommitted } = await counts(out, 50);
    console.log(`fenced: read_committed ${sum(committed)}, read_uncommitted ${sum(uncommitted)}`);
    expect(committed.distinct).toEqual(
      range(100, 150)
        .map((i) => `out-${i}`)
        .sort(),
    );
    expect(committed.maxCopies).toBe(1);
    expect(sum(uncommitted)).toBe(100);
    intruder.close();
  }, 90_000);

  it('a commit that times out (broker frozen after the deliveries): the invocation fails; once the broker is back, the first attempt is committed or aborted as a whole, never in part', async () => {
    const out = uniqueTopic('txn.commit-timeout');
    await createTopics([{ topic: out, partitions: 3 }], { brokers: broker.brokers });
    const inputs = 300;
    const producer = transactionalProducer();
    let frozen = false;
    const handler = copyHandler(producer, out, undefined, () => {
      if (frozen) return;
      frozen = true;
      broker.pause(); // every delivery report is in; the commit cannot reach the coordinator
    });
    const event = kafkaEvent(tradeRecords('trades', 0, inputs));
    const first = await handler(event, lambdaContext(5_000)).catch((e: unknown) => e);
    broker.resume();
    expect(first).toMatchObject({ name: 'TransactionError', operation: 'commit', kind: 'retriable' });
    await handler(event, lambdaContext(60_000)); // the ESM's retry, same container: a new client
    const { committed, uncommitted } = await counts(out, inputs);
    const copies = new Set(committed.copies.values());
    console.log(
      `commit timed out, then retried: read_committed ${sum(committed)} (copies per input: ${[...copies].join(', ')}), read_uncommitted ${sum(uncommitted)}`,
    );
    expect(committed.distinct).toEqual(
      range(0, inputs)
        .map((i) => `out-${i}`)
        .sort(),
    );
    // Atomic: either the whole first attempt was committed after all (a duplicate of every input,
    // the documented case of a commit that succeeds after the invocation gave up) or none of it.
    expect(copies.size).toBe(1);
    expect(sum(uncommitted)).toBe(2 * inputs);
  }, 120_000);

  it('a retry in ANOTHER container (another transactional.id): the abandoned transaction holds read_committed back until transaction.timeout.ms, then is aborted; one committed output per input', async () => {
    const out = uniqueTopic('txn.abandoned');
    await createTopics([{ topic: out, partitions: 1 }], { brokers: broker.brokers });
    const inputs = 200;
    // Container A produces into its transaction and is frozen/killed before ending it: we begin and
    // produce through A's producer and never commit nor abort.
    const a = transactionalProducer(5_000);
    await a.transactions!.begin(30_000);
    await Promise.all(
      range(0, inputs).map((i) => a.send({ topic: out, key: null, value: Buffer.from(`out-${i}`) })),
    );
    // Container B (its own producer, its own id) gets the ESM's retry and commits.
    const b = transactionalProducer(5_000);
    await copyHandler(b, out)(kafkaEvent(tradeRecords('trades', 0, inputs)), lambdaContext(30_000));
    expect(b.transactions!.transactionalId).not.toBe(a.transactions!.transactionalId);
    // B's commit is behind A's open transaction in the partition: once the coordinator aborted A's
    // (5 s timeout), read_committed sees B's outputs, each once.
    const { committed, uncommitted } = await counts(out, inputs);
    console.log(
      `abandoned transaction + retry elsewhere: read_committed ${sum(committed)} (max ${committed.maxCopies} each), read_uncommitted ${sum(uncommitted)}`,
    );
    expect(committed.maxCopies).toBe(1);
    expect(sum(committed)).toBe(inputs);
    expect(sum(uncommitted)).toBe(2 * inputs);
  }, 90_000);
});

/** A raw transactional client with a given id: the "other instance" of the fencing scenario. */
function nativeTransactional(transactionalId: string) {
  const require = createRequire(import.meta.url);
  const { Producer } = require('@confluentinc/kafka-javascript') as {
    Producer: new (config: Record<string, unknown>) => NativeTxnClient;
  };
  const client = new Producer({
    'bootstrap.servers': broker.brokers,
    'transactional.id': transactionalId,
    log_level: 0,
  });
  const callback = (done: (error: unknown) => void) => (error: unknown) => done(error ?? undefined);
  const connected = new Promise<unknown>((resolve) =>
    client.connect({ timeout: 10_000 }, (error) => {
      client.setPollInBackground(true);
      resolve(error ?? undefined);
    }),
  );
  return {
    async init() {
      await connected;
      return new Promise<unknown>((resolve) => client.initTransactions(10_000, callback(resolve)));
    },
    /** Begins, produces one message to `topic`, commits; resolves with the first error. */
    async beginAndCommit(topic: string) {
      const begun = await new Promise<unknown>((resolve) => client.beginTransaction(callback(resolve)));
      if (begun) return begun;
      client.produce(topic, -1, Buffer.from('intruder'), null, null);
      return new Promise<unknown>((resolve) => client.commitTransaction(10_000, callback(resolve)));
    },
    close() {
      try {
        client.disconnect(1_000, () => undefined);
      } catch {}
    },
  };
}

interface NativeTxnClient {
  connect(options: { timeout: number }, cb: (error: unknown) => void): void;
  initTransactions(timeoutMs: number, cb: (error: unknown) => void): void;
  beginTransaction(cb: (error: unknown) => void): void;
  commitTransaction(timeoutMs: number, cb: (error: unknown) => void): void;
  produce(topic: string, partition: number, value: Buffer, key: null, timestamp: null): void;
  setPollInBackground(enabled: boolean): void;
  disconnect(timeoutMs: number, cb: () => void): void;
}

function sum({ copies }: ReturnType<typeof tally>): number {
  let total = 0;
  for (const n of copies.values()) total += n;
  return total;
}

function failure(outcome: unknown): Error | undefined {
  return outcome instanceof Error ? outcome : undefined;
}
