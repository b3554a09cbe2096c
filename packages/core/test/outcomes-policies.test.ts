// How a failed record is decided, as a user and an operator see it: what each policy logs, which
// failures stop a partition and which stop the batch, what running records are told, the deadline's
// one WARN line, and what the summary and the observers say. Written against the mutation run's
// survivors in batch.ts and policies/*.ts (issue 23).
import {
  type BatchSummary,
  ConfigError,
  createKafkaHandler,
  hooks,
  type KafkaRecord,
  string,
} from '@kafka-lambda/core';
import {
  DeadlineExceededError,
  EveryRecordFailedError,
  LateProduceError,
  RecordProcessingError,
} from '@kafka-lambda/core/errors';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, partitions, settle, silentLogger, sleep } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';
import { ScriptedProducer } from './support/scripted-producer.js';

const retryable = () => Object.assign(new Error('registry unavailable'), { retryable: true });

/** Waits up to `ms` for the record's signal; returns whether (and why) it was aborted. */
async function waitForAbort(signal: AbortSignal, ms: number): Promise<unknown> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
  return signal.aborted ? signal.reason : undefined;
}

describe('what each policy logs', () => {
  it('report: an ERROR line with the record, its stage and error', async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({
      value: string(),
      onError: 'report',
      logger,
      process() {
        throw new Error('poison');
      },
    });
    await handler(partitions(['a']), context());
    const line = logger
      .at('error')
      .find((l) => /reporting it so the partition resumes there/.test(l.message));
    expect(line?.fields).toMatchObject({ topic: 'in', partition: 0, offset: 0, stage: 'process' });
    expect(line?.fields.error).toMatchObject({ message: 'poison' });
  });

  it('retry-batch: an ERROR line with the record, its stage and error', async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({
      value: string(),
      onError: 'retry-batch',
      logger,
      process() {
        throw new Error('poison');
      },
    });
    const { error } = await settle(handler(partitions(['a']), context()));
    expect(error).toBeInstanceOf(RecordProcessingError);
    const line = logger.at('error').find((l) => /failing the invocation to retry the batch/.test(l.message));
    expect(line?.fields).toMatchObject({ topic: 'in', partition: 0, offset: 0, stage: 'process' });
    expect(line?.fields.error).toMatchObject({ message: 'poison' });
  });

  it('dead-letter: a WARN line once the broker has the dead letter, naming the record, stage and topic', async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({
      value: string(),
      producer: new ScriptedProducer(),
      onError: { policy: 'dead-letter', topic: 'dlq' },
      logger,
      process() {
        throw new Error('poison');
      },
    });
    await handler(partitions(['a']), context());
    const line = logger.at('warn').find((l) => /sent to the dead-letter topic/.test(l.message));
    expect(line?.fields).toMatchObject({
      topic: 'in',
      partition: 0,
      offset: 0,
      stage: 'process',
      deadLetterTopic: 'dlq',
    });
    expect(line?.fields.error).toMatchObject({ message: 'poison' });
  });

  it('a retryable error: an ERROR line saying it will be retried, with the record and stage', async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({
      value: string(),
      onError: 'log',
      logger,
      process() {
        throw retryable();
      },
    });
    const { error } = await settle(handler(partitions(['a']), context()));
    expect(error).toBeInstanceOf(RecordProcessingError);
    const line = logger.at('error').find((l) => /retryable error; it will be retried/.test(l.message));
    expect(line?.fields).toMatchObject({ topic: 'in', partition: 0, offset: 0, stage: 'process' });
  });

  it('every record failing alike: an ERROR line, and the error names the first failure as its cause', async () => {
    const logger = captureLogger();
    const first = new Error('ENOENT: trade.proto');
    let n = 0;
    const handler = createKafkaHandler({
      value: string(),
      onError: 'log',
      logger,
      process() {
        throw n++ === 0 ? first : new Error('ENOENT: trade.proto');
      },
    });
    const { error } = await settle(handler(partitions(['a', 'b']), context()));
    expect(error).toBeInstanceOf(EveryRecordFailedError);
    expect((error as Error).cause).toBe(first);
    const line = logger.at('error').find((l) => /every record failed alike/.test(l.message));
    expect(line?.fields.error).toBe(error);
  });

  it('a produce() after its record finished: an ERROR line carrying the error that names the record', async () => {
    const logger = captureLogger();
    let late: Promise<unknown> | undefined;
    const handler = createKafkaHandler({
      value: string(),
      producer: new ScriptedProducer(),
      logger,
      async process(record, { produce }) {
        if (record.offset === 0) late = sleep(1).then(() => produce({ topic: 'out', value: 'late' }));
        else await sleep(20);
      },
    });
    await settle(handler(partitions(['a', 'b']), context()));
    await late;
    const line = logger
      .at('error')
      .find((l) => /after its record finished; failing the invocation/.test(l.message));
    expect(line?.fields.error).toBeInstanceOf(LateProduceError);
    expect(line?.fields.error).toMatchObject({ record: { topic: 'in', partition: 0, offset: 0 } });
  });
});

describe('which failures stop what', () => {
  it('report: a retryable error stops its partition there and reports it; the next record does not run', async () => {
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: string(),
      onError: 'report',
      logger: silentLogger,
      process(record) {
        ran.push(record.offset);
        if (record.offset === 0) throw retryable();
      },
    });
    const result = await handler(partitions(['a', 'b']), context());
    expect(ran).toEqual([0]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 0 } }] });
  });

  it("report: one partition's failure neither stops nor cuts short the other partitions, and no deadline is claimed", async () => {
    const logger = captureLogger();
    const ran: string[] = [];
    const handler = createKafkaHandler({
      value: string(),
      onError: 'report',
      logger,
      concurrency: 2,
      async process(record, { signal }) {
        if (record.partition === 0) throw new Error('poison');
        await sleep(5);
        if (signal.aborted) throw signal.reason;
        ran.push(`${record.partition}@${record.offset}`);
      },
    });
    const result = await handler(partitions(['a', 'b'], ['c', 'd']), context());
    expect(ran).toEqual(['1@0', '1@1']);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 0 } }] });
    expect(logger.at('warn').filter((l) => /deadline/.test(l.message))).toEqual([]);
  });

  for (const [name, failure, onError] of [
    ['a retry-batch failure', () => new Error('poison'), 'retry-batch'],
    ['a retryable error', retryable, 'log'],
    ['a ConfigError', () => new ConfigError('KAFKA_SECRET_ID is not set'), 'log'],
  ] as const) {
    it(`${name} in one partition tells the records running in the others, through their signal`, async () => {
      let reason: unknown;
      const handler = createKafkaHandler({
        value: string(),
        onError,
        logger: silentLogger,
        concurrency: 2,
        async process(record, { signal }) {
          if (record.partition === 0) {
            await sleep(5);
            throw failure();
          }
          reason = await waitForAbort(signal, 1_000);
        },
      });
      const { error } = await settle(handler(partitions(['a'], ['b']), context()));
      expect(error).toBeDefined();
      // A configuration mistake is the reason itself; otherwise the batch says why it stopped.
      if (onError === 'log' && name === 'a ConfigError') expect(reason).toBeInstanceOf(ConfigError);
      else
        expect(reason).toMatchObject({ message: 'the batch stopped: another record failed the invocation' });
    });
  }

  it('a policy that throws fails the invocation, and the failed record does not complete its idempotency key', async () => {
    const store = memoryIdempotencyStore();
    const handler = createKafkaHandler({
      value: string(),
      onError: { policy: 'log', allFailedAlike: 'apply-policy' },
      logger: {
        ...silentLogger,
        error(message: string) {
          // Only the policy's line: the handler's own lines (the batch's end) still go out.
          if (/onError: log/.test(message)) throw new Error('log sink down');
        },
      },
      use: [idempotency({ store })],
      process(record) {
        if (record.offset === 1) throw new Error('poison');
      },
    });
    const { error } = await settle(handler(partitions(['a', 'b']), context()));
    expect(error?.message).toMatch(/onError 'log' failed on in-0@1: log sink down/);
    expect((error as Error).cause).toMatchObject({ message: 'log sink down' });
    const completed = [...store.entries()].filter(([, e]) => e.state === 'completed').map(([key]) => key);
    expect(completed).toEqual(['test-fn#in-0@0']);
  });
});

describe('the deadline', () => {
  it('one WARN line naming the first record not started, however many partitions reach it', async () => {
    const logger = captureLogger();
    const handler = createKafkaHandler({
      value: string(),
      onError: 'report',
      logger,
      deadlineReserveMs: 500,
      concurrency: 2,
      async process() {
        await sleep(400);
      },
    });
    const result = await handler(partitions(['a', 'b', 'c'], ['d', 'e', 'f']), context(1_300));
    expect(result?.batchItemFailures).toHaveLength(2);
    const warns = logger.at('warn').filter((l) => /deadline reached/.test(l.message));
    expect(warns).toHaveLength(1);
    expect(warns[0]!.message).toBe(
      'deadline reached: no more records start, to leave time for the deliveries',
    );
    expect(warns[0]!.fields).toMatchObject({ topic: 'in' });
    const reported = result!.batchItemFailures.map((f) => f.itemIdentifier.offset);
    expect(reported).toContain(warns[0]!.fields.offset);
  });

  it('a record still running at the stop time is told through its signal, with the deadline error', async () => {
    let reason: unknown;
    const handler = createKafkaHandler({
      value: string(),
      onError: 'report',
      logger: silentLogger,
      deadlineReserveMs: 500,
      async process(_record, { signal }) {
        reason = await waitForAbort(signal, 3_000);
        if (reason) throw reason;
      },
    });
    const started = Date.now();
    const result = await handler(partitions(['a']), context(1_200));
    expect(reason).toBeInstanceOf(DeadlineExceededError);
    // Settled before the function's timeout.
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 0 } }] });
  });
});

describe('after the invocation', () => {
  it("a record's signal aborts when the invocation ends, so work it left running can stop", async () => {
    let signal: AbortSignal | undefined;
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      process(_record, context) {
        signal = context.signal;
      },
    });
    await handler(partitions(['a']), context());
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toMatchObject({ message: 'the invocation ended' });
  });
});

describe('the summary and the observers', () => {
  it("a record that produced nothing ends 'succeeded'; a skipped tombstone 'skipped'", async () => {
    const ends: Array<[number, string]> = [];
    const summaries: BatchSummary[] = [];
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      use: [
        hooks({ onBatchEnd: (summary) => void summaries.push({ ...summary }) }),
        {
          name: 'observer',
          startBatch: () => ({
            recordEnd: (r: KafkaRecord<unknown, unknown>, outcome) => void ends.push([r.offset, outcome]),
          }),
        },
      ],
      process() {},
    });
    await handler(mskEvent([eventRecord('in', 0, 0, 'a'), eventRecord('in', 0, 1, null)]), context());
    expect(ends).toEqual([
      [0, 'succeeded'],
      [1, 'skipped'],
    ]);
    expect(summaries[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(summaries[0]!.durationMs).toBeLessThan(10_000);
  });
});
