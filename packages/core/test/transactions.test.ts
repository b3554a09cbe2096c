// Transactional outputs: the batch's phase logic over a scripted transactional producer, the producer's
// own transaction handling over the recorded client, and the classification of every recorded
// transactional error (recordings/client-errors.json, `txn-` scenarios; the real broker is exercised
// by test/reliability/transactions.int.test.ts).
import { ConfigError, createKafkaHandler, type ErrorPolicy, json } from '@kafka-lambda/core';
import type { KafkaConfigSource } from '@kafka-lambda/core/config';
import { kafkaProducer, TransactionError } from '@kafka-lambda/core/producer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyClientError, classifyClientLog } from '../src/producer/client-errors.js';
import { transactionError } from '../src/producer/transaction-errors.js';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import {
  behaviour,
  firstRecordedError,
  RecordedProducer,
  recorded,
  recordedError,
} from './recorded-client.js';
import { deliveryError, ScriptedProducer } from './support/scripted-producer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const trades = (values: object[], partition = 0, from = 0) =>
  values.map((value, i) => eventRecord('trades', partition, from + i, JSON.stringify(value)));

type Trade = { id: number; fail?: boolean; to?: string; big?: number };

function transactionalHandler(producer: ScriptedProducer, onError: ErrorPolicy = 'retry-batch') {
  let processed = 0;
  const handler = createKafkaHandler({
    value: json<Trade>(),
    producer,
    onError,
    ...(onError === 'dead-letter' ? { deadLetterTopic: 'dlq' } : {}),
    logger: silentLogger,
    process(record, { produce }) {
      processed++;
      if (record.value.fail) throw new Error(`trade ${record.value.id} is broken`);
      const value = record.value.big ? 'x'.repeat(record.value.big) : `out-${record.value.id}`;
      produce({ topic: record.value.to ?? 'out', key: record.key, value });
    },
  } as Parameters<typeof createKafkaHandler<string, Trade>>[0]);
  return { handler, processed: () => processed };
}

describe('the batch phase: one transaction per invocation', () => {
  it('begins before the first record and commits after the last delivery report', async () => {
    const producer = new ScriptedProducer().transactional();
    producer.holdWhen = () => true;
    const { handler } = transactionalHandler(producer);
    const run = handler(mskEvent(trades([{ id: 1 }, { id: 2 }, { id: 3 }])), context());
    await sleep(20);
    // Every output is enqueued, none is confirmed: no commit yet.
    expect(producer.enqueued).toHaveLength(3);
    expect(producer.transactions.events).toEqual(['begin']);
    producer.release();
    await expect(run).resolves.toBeUndefined();
    expect(producer.transactions.events).toEqual([
      'begin',
      'delivered',
      'delivered',
      'delivered',
      'commit',
      'committed',
    ]);
  });

  it('a batch that produces nothing still ends its transaction (an empty commit)', async () => {
    const producer = new ScriptedProducer().transactional();
    const handler = createKafkaHandler({
      producer,
      logger: silentLogger,
      process() {},
    });
    await handler(mskEvent(trades([{ id: 1 }])), context());
    expect(producer.transactions.events).toEqual(['begin', 'commit', 'committed']);
  });

  it('a failed invocation aborts: its outputs are never committed', async () => {
    const producer = new ScriptedProducer().transactional();
    const { handler } = transactionalHandler(producer, 'retry-batch');
    const failure = await handler(
      mskEvent(trades([{ id: 1 }, { id: 2 }, { id: 3, fail: true }])),
      context(),
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(producer.delivered.length).toBeGreaterThan(0); // delivered INTO the transaction…
    expect(producer.transactions.events).not.toContain('commit'); // …which is aborted
    expect(producer.transactions.events.at(-1)).toBe('abort');
  });

  it("'report' returns success for the records before the failure: their outputs are committed", async () => {
    const producer = new ScriptedProducer().transactional();
    const { handler } = transactionalHandler(producer, 'report');
    const result = await handler(mskEvent(trades([{ id: 1 }, { id: 2, fail: true }, { id: 3 }])), context());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'trades-0', offset: 1 } }] });
    expect(producer.transactions.events.slice(-2)).toEqual(['commit', 'committed']);
  });

  it('a commit that fails (recorded timeout: unknown outcome) fails the invocation', async () => {
    const producer = new ScriptedProducer().transactional();
    producer.transactions.failNext.commit = { scenario: 'txn-commit-timeout' };
    const { handler } = transactionalHandler(producer);
    const failure = await handler(mskEvent(trades([{ id: 1 }])), context()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransactionError);
    expect(failure).toMatchObject({ operation: 'commit', kind: 'retriable', code: -185 });
  });

  it('a fenced commit fails the invocation with fenced set', async () => {
    const producer = new ScriptedProducer().transactional();
    producer.transactions.failNext.commit = { scenario: 'txn-fenced' };
    const { handler } = transactionalHandler(producer);
    const failure = await handler(mskEvent(trades([{ id: 1 }])), context()).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'TransactionError', kind: 'fatal', fenced: true });
  });

  it('a dead letter of an output the broker refused dooms the transaction: commit needs an abort, the invocation fails', async () => {
    const producer = new ScriptedProducer().transactional();
    producer.failWhen = (message) =>
      message.topic === 'refused' ? deliveryError('Broker: Message size too large', 10, true) : undefined;
    const { handler } = transactionalHandler(producer, 'dead-letter');
    const failure = await handler(mskEvent(trades([{ id: 1 }, { id: 2, to: 'refused' }])), context()).catch(
      (e: unknown) => e,
    );
    // As recorded (txn-abortable): the refusal makes the commit fail with "must be aborted".
    expect(failure).toMatchObject({ name: 'TransactionError', operation: 'commit', kind: 'abortable' });
    expect(producer.transactions.events).toContain('refused');
    expect(producer.transactions.events.at(-1)).toBe('abort');
  });

  it('deliveries still unconfirmed at the deadline: abort, within what is left of it', async () => {
    const producer = new ScriptedProducer().transactional();
    producer.holdWhen = () => true;
    const { handler } = transactionalHandler(producer);
    const failure = await handler(mskEvent(trades([{ id: 1 }])), context(1_200)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'FlushTimeoutError' });
    expect(producer.transactions.events).toEqual(['begin', 'abort']);
    const [begin] = producer.transactions.timeouts.begin;
    const [abort] = producer.transactions.timeouts.abort;
    expect(begin).toBeLessThanOrEqual(1_200);
    expect(abort).toBeLessThan(begin!);
  });

  it('a begin that fails fails the invocation before any record runs', async () => {
    const producer = new ScriptedProducer().transactional();
    producer.transactions.failNext.begin = { scenario: 'txn-fenced' };
    const { handler, processed } = transactionalHandler(producer);
    const failure = await handler(mskEvent(trades([{ id: 1 }])), context()).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'TransactionError', operation: 'begin', fenced: true });
    expect(processed()).toBe(0);
    expect(producer.enqueued).toHaveLength(0);
  });

  it('the next invocation begins a fresh transaction after an aborted one', async () => {
    const producer = new ScriptedProducer().transactional();
    const { handler } = transactionalHandler(producer);
    await handler(mskEvent(trades([{ id: 1, fail: true }])), context()).catch(() => undefined);
    await handler(mskEvent(trades([{ id: 1 }])), context());
    expect(producer.transactions.events).toEqual([
      'begin',
      'abort',
      'begin',
      'delivered',
      'commit',
      'committed',
    ]);
  });
});

describe("kafkaProducer's transactional option is checked at creation", () => {
  const base = { logger: silentLogger, process() {} };
  const config = { 'bootstrap.servers': 'b:9092' };
  it('rejects unknown keys and impossible timeouts', () => {
    const create = (transactional: unknown) =>
      kafkaProducer(config, { transactional: transactional as never, closeOnSigterm: false });
    expect(() => create({ idPrefx: 'x' })).toThrow(/no option `idPrefx`/);
    expect(() => create({ timeoutMs: 10 })).toThrow(/timeoutMs/);
    expect(() => create({ idPrefix: ' ' })).toThrow(/idPrefix/);
  });
  it("the handler's transactional option of earlier versions says where it went", () => {
    expect(() => createKafkaHandler({ ...base, transactional: true } as never)).toThrow(ConfigError);
    expect(() => createKafkaHandler({ ...base, transactional: true } as never)).toThrow(
      /moved to the producer: producer: kafkaProducer\(config, \{ transactional: true \}\)/,
    );
  });
  it('a transactional producer makes the batch transactional', async () => {
    const producer = new ScriptedProducer().transactional();
    const handler = createKafkaHandler({ ...base, producer });
    await handler(mskEvent(trades([{ id: 1 }])), context());
    expect(producer.transactions.events).toEqual(['begin', 'commit', 'committed']);
  });
});

describe('the transactional.id of a producer', () => {
  it('is the prefix and a random id per producer (one per container)', () => {
    const options = { transactional: { idPrefix: 'share', timeoutMs: 60_000 }, closeOnSigterm: false };
    const a = kafkaProducer({ 'bootstrap.servers': 'b-1.share:9092' }, options);
    const b = kafkaProducer({ 'bootstrap.servers': 'b-1.share:9092' }, options);
    expect(a.transactions?.transactionalId).toMatch(/^share-[0-9a-f-]{36}$/);
    expect(b.transactions?.transactionalId).not.toBe(a.transactions?.transactionalId);
    expect(kafkaProducer({ 'bootstrap.servers': 'b-1.share:9092' }).transactions).toBeUndefined();
  });
  it('the default prefix is the function name', () => {
    const previous = process.env.AWS_LAMBDA_FUNCTION_NAME;
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'settle-trades';
    try {
      const producer = kafkaProducer(
        { 'bootstrap.servers': 'b-2.share:9092' },
        { transactional: true, closeOnSigterm: false },
      );
      expect(producer.transactions?.transactionalId).toMatch(/^settle-trades-[0-9a-f-]{36}$/);
    } finally {
      if (previous === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = previous;
    }
  });
});

describe('the producer over the recorded client', () => {
  beforeEach(() => behaviour.reset());
  afterEach(() => behaviour.reset());

  const source = (): KafkaConfigSource => ({ kafkaConfig: async () => ({ 'bootstrap.servers': 'b:9092' }) });
  const build = () =>
    kafkaProducer(source(), {
      loadClient: async () => ({ Producer: RecordedProducer as never }),
      transactional: { idPrefix: 'settle', timeoutMs: 120_000 },
    });
  const client = (index = 0) => RecordedProducer.instances[index]!;
  const deliverSoon = (index = 0) => setTimeout(() => client(index).deliver(), 10);

  async function oneTransaction(kafka: ReturnType<typeof build>) {
    await kafka.transactions!.begin(5_000);
    const delivered = kafka.send({ topic: 'out', key: null, value: Buffer.from('v') });
    deliverSoon(RecordedProducer.instances.length - 1);
    await delivered;
    await kafka.transactions!.commit(5_000);
  }

  it('builds its client with a per-producer transactional.id and the timeout, and inits it once before any message', async () => {
    const kafka = build();
    await oneTransaction(kafka);
    await oneTransaction(kafka);
    expect(RecordedProducer.instances).toHaveLength(1);
    expect(client().config['transactional.id']).toMatch(/^settle-[0-9a-f-]{36}$/);
    expect(client().config['transactional.id']).toBe(kafka.transactions!.transactionalId);
    expect(client().config['transaction.timeout.ms']).toBe(120_000);
    expect(client().transactionCalls).toEqual([
      'initTransactions:ok',
      'beginTransaction:ok',
      'commitTransaction:ok',
      'beginTransaction:ok',
      'commitTransaction:ok',
    ]);
    expect(build().transactions!.transactionalId).not.toBe(kafka.transactions!.transactionalId);
  });

  it("a second batch on the same producer (two invocations in one process) waits for the first one's commit instead of aborting it", async () => {
    const kafka = build();
    await kafka.transactions!.begin(5_000);
    const first = kafka.send({ topic: 'out', key: null, value: Buffer.from('first') });
    let secondBegun = false;
    const second = kafka.transactions!.begin(5_000).then(() => {
      secondBegun = true;
    });
    await sleep(30);
    expect(secondBegun).toBe(false);
    deliverSoon();
    await first;
    await kafka.transactions!.commit(5_000);
    await second;
    expect(secondBegun).toBe(true);
    await kafka.transactions!.abort(5_000);
    expect(client().transactionCalls).toEqual([
      'initTransactions:ok',
      'beginTransaction:ok',
      'commitTransaction:ok',
      'beginTransaction:ok',
      'abortTransaction:ok',
    ]);
  });

  it('a second batch that cannot get its turn in time fails its begin (retriable); the first one is untouched', async () => {
    const kafka = build();
    await kafka.transactions!.begin(5_000);
    await expect(kafka.transactions!.begin(50)).rejects.toMatchObject({
      operation: 'begin',
      kind: 'retriable',
    });
    await kafka.transactions!.commit(5_000);
    expect(client().transactionCalls).toEqual([
      'initTransactions:ok',
      'beginTransaction:ok',
      'commitTransaction:ok',
    ]);
    await oneTransaction(kafka); // the turn is free again
  });

  it('a transaction timeout below message.timeout.ms lowers it (librdkafka refuses the client otherwise)', async () => {
    const kafka = kafkaProducer(source(), {
      loadClient: async () => ({ Producer: RecordedProducer as never }),
      transactional: { timeoutMs: 5_000 },
    });
    await oneTransaction(kafka as ReturnType<typeof build>);
    expect(client().config['message.timeout.ms']).toBe(5_000);
    expect(client().config['transaction.timeout.ms']).toBe(5_000);
  });

  it('an abortable commit (recorded) is aborted and the client kept', async () => {
    const kafka = build();
    await oneTransaction(kafka);
    behaviour.transactions.commitTransaction = 'txn-abortable';
    await expect(oneTransaction(kafka)).rejects.toMatchObject({ kind: 'abortable', code: 10 });
    expect(client().transactionCalls.slice(-2)).toEqual(['commitTransaction:10', 'abortTransaction:ok']);
    await oneTransaction(kafka);
    expect(RecordedProducer.instances).toHaveLength(1);
  });

  for (const scenario of ['txn-fenced', 'txn-commit-timeout', 'txn-coordinator-timeout']) {
    it(`a commit failing as in ${scenario} replaces the client; the new one has the same id and inits again`, async () => {
      const kafka = build();
      await oneTransaction(kafka);
      behaviour.transactions.commitTransaction = scenario;
      const failure = await oneTransaction(kafka).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TransactionError);
      expect(client().disconnected).toBe(true);
      await oneTransaction(kafka);
      expect(RecordedProducer.instances).toHaveLength(2);
      expect(client(1).config['transactional.id']).toBe(client(0).config['transactional.id']);
      expect(client(1).transactionCalls[0]).toBe('initTransactions:ok');
    });
  }

  it('an init that times out (recorded) is retried by the next attempt; begin waits for it', async () => {
    behaviour.transactions.initTransactions = 'txn-init-broker-down';
    const kafka = build();
    await oneTransaction(kafka);
    expect(RecordedProducer.instances.length).toBe(2);
    expect(client(0).transactionCalls).toEqual(['initTransactions:-185']);
  });

  it('begin gives up at its timeout while no client is ready, naming the endpoint', async () => {
    behaviour.connect = 'all-brokers-down-at-connect';
    const kafka = build();
    await expect(kafka.transactions!.begin(300)).rejects.toMatchObject({ name: 'ProducerConnectionError' });
  });

  it('a non-transactional producer has no transactions', () => {
    expect(
      kafkaProducer(source(), { loadClient: async () => ({ Producer: RecordedProducer as never }) })
        .transactions,
    ).toBeUndefined();
  });
});

describe('every recorded transactional error is classified', () => {
  const cases: Array<[string, string, string]> = [
    ['txn-abortable', 'commitTransaction', 'abortable'],
    ['txn-fenced', 'commitTransaction', 'fatal'],
    ['txn-fenced', 'abortTransaction', 'fatal'],
    ['txn-fenced', 'beginTransaction', 'fatal'],
    ['txn-coordinator-timeout', 'commitTransaction', 'fatal'],
    ['txn-commit-timeout', 'commitTransaction', 'retriable'],
    ['txn-commit-timeout', 'abortTransaction', 'retriable'],
    ['txn-init-broker-down', 'initTransactions', 'retriable'],
  ];
  for (const [scenario, call, kind] of cases) {
    it(`${scenario} ${call} → ${kind}`, () => {
      const error = transactionError('commit', firstRecordedError(scenario, call));
      expect(error.kind).toBe(kind);
      expect(error.code).toBe(recorded(scenario, call).find((e) => e.error)!.error!.code);
    });
  }

  it('the fenced client says so as fatal in its log (the connection replaces it) and in event.error', () => {
    for (const scenario of ['txn-fenced', 'txn-coordinator-timeout']) {
      const fatal = recorded(scenario, 'event.log').filter(
        (e) => classifyClientLog(e.log!)?.kind === 'fatal',
      );
      expect(fatal.length).toBeGreaterThan(0);
      expect(classifyClientError(recordedError(scenario, 'event.error')).kind).toBe('fatal');
    }
  });
});
