// Fault matrix, part 1: faults of the output path and of the user's code, on the shared broker
// (nothing here stops a broker). Each case checks the invariant by reading the topics back: every
// record is processed, dead-lettered, reported, or the invocation fails — and then a retry of the
// same event (what the ESM does) delivers everything.
import {
  type BatchItemFailures,
  createKafkaHandler,
  DEAD_LETTER_HEADERS,
  type ErrorPolicy,
  json,
  type KafkaProducer,
} from '@kafka-lambda/core';
import type { LibrdkafkaConfig } from '@kafka-lambda/core/config';
import { DeadlineExceededError, DeliveryError, RecordProcessingError } from '@kafka-lambda/core/errors';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaTool } from '../../scripts/stack/index.mjs';
import { brokers, createTopics, readTopic, uniqueTopic } from '../support/kafka.js';
import {
  captureLogger,
  kafkaEvent,
  lambdaContext,
  range,
  SecretAudit,
  tally,
  topicValues,
  tradeRecords,
} from '../support/reliability.js';

interface Trade {
  id: number;
  fail?: boolean;
  big?: boolean;
}

const producers: RdKafkaProducer[] = [];
const audit = new SecretAudit();
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close(2_000).catch(() => undefined)));
});

function producer(extra: LibrdkafkaConfig = {}): RdKafkaProducer {
  const created = kafkaProducer(
    { 'bootstrap.servers': brokers(), log_level: 0, ...extra },
    { logger: captureLogger(), connectTimeoutMs: 5_000 },
  );
  producers.push(created);
  return created;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The reference function: one output per record (`out-<id>`), throws for `fail`, 10 KB output for `big`. */
function tradeHandler(opts: {
  producer: KafkaProducer;
  out: string;
  onError: ErrorPolicy;
  dlq?: string;
  name: string;
  before?: (trade: Trade, signal: AbortSignal) => unknown;
}) {
  const logger = audit.logger(opts.name);
  const handler = createKafkaHandler({
    value: json<Trade>(),
    producer: opts.producer,
    onError: opts.onError,
    ...(opts.dlq ? { deadLetterTopic: opts.dlq } : {}),
    logger,
    async process(record, { produce, signal }) {
      await opts.before?.(record.value, signal);
      if (record.value.fail) throw new RangeError(`trade ${record.value.id} is invalid`);
      produce({
        topic: opts.out,
        key: record.key,
        value: record.value.big ? `out-${record.value.id}-${'x'.repeat(10_000)}` : `out-${record.value.id}`,
      });
    },
  } as Parameters<typeof createKafkaHandler<string, Trade>>[0]);
  return { handler, logger };
}

async function invoke(
  handler: ReturnType<typeof tradeHandler>['handler'],
  records: KafkaEventRecord[],
  remainingMs = 60_000,
): Promise<{ result?: BatchItemFailures | undefined; error?: Error }> {
  try {
    return { result: (await handler(kafkaEvent(records), lambdaContext(remainingMs))) ?? undefined };
  } catch (error) {
    audit.error('invocation', error);
    return { error: error as Error };
  }
}

/** What the ESM does after a failed invocation: retry the same event until it succeeds (bounded here). */
async function retryUntilDone(
  handler: ReturnType<typeof tradeHandler>['handler'],
  records: KafkaEventRecord[],
  attempts = 8,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const { error } = await invoke(handler, records);
    if (!error) return attempt;
    if (attempt >= attempts) throw error;
    await sleep(1_000);
  }
}

const outs = (ids: number[]) => ids.map((id) => `out-${id}`).sort();

async function alterTopic(topic: string, config: string): Promise<void> {
  await kafkaTool('kafka.admin.ConfigCommand', [
    '--bootstrap-server',
    brokers(),
    '--alter',
    '--entity-type',
    'topics',
    '--entity-name',
    topic,
    '--add-config',
    config,
  ]);
}

describe('output path faults (shared broker)', () => {
  it('output topic missing: the invocation fails with a DeliveryError naming it; a retry once it exists delivers every record', async () => {
    const out = uniqueTopic('rel.missing-out');
    const kafka = producer({ 'topic.metadata.propagation.max.ms': 1_500 });
    const { handler } = tradeHandler({
      producer: kafka,
      out,
      onError: 'dead-letter',
      dlq: out,
      name: 'missing-out',
    });
    const records = tradeRecords('trades', 0, 20);

    const first = await invoke(handler, records);
    expect(first.error).toBeInstanceOf(DeliveryError);
    expect(first.error!.message).toContain(out);

    await createTopics([{ topic: out }]);
    // The producer's metadata may still say "unknown topic" for a moment: the ESM simply retries again.
    await retryUntilDone(handler, records);
    const { distinct } = tally(await topicValues(out, 20));
    expect(distinct).toEqual(outs(range(0, 20)));
  });

  it('dead-letter topic missing: the invocation fails (nothing is dropped); a retry once it exists dead-letters the failed records', async () => {
    const out = uniqueTopic('rel.out');
    const dlq = uniqueTopic('rel.missing-dlq');
    await createTopics([{ topic: out }]);
    const kafka = producer({ 'topic.metadata.propagation.max.ms': 1_500 });
    const { handler } = tradeHandler({
      producer: kafka,
      out,
      onError: 'dead-letter',
      dlq,
      name: 'missing-dlq',
    });
    const records = tradeRecords('trades', 1, 10, { failing: new Set([3, 8]) });

    const first = await invoke(handler, records);
    expect(first.error).toBeInstanceOf(DeliveryError);
    expect(first.error!.message).toContain(dlq);

    await createTopics([{ topic: dlq }]);
    const attempts = await retryUntilDone(handler, records);
    const letters = await readTopic(dlq, 2, { settleMs: 300 });
    expect(letters.map((m) => Number(m.headers[DEAD_LETTER_HEADERS.sourceOffset])).sort()).toEqual([3, 8]);
    // The good records were delivered by each failed invocation already, then again by the retry.
    const { distinct, maxCopies } = tally(await topicValues(out, 8 * (attempts + 1)));
    expect(distinct).toEqual(outs([0, 1, 2, 4, 5, 6, 7, 9]));
    expect(maxCopies).toBe(attempts + 1);
  });

  it('a message over the topic max.message.bytes: retry-batch fails naming its record (head-of-line, as chosen); raising the limit lets the retry deliver; dead-letter dead-letters only that record', async () => {
    const out = uniqueTopic('rel.small-max');
    const dlq = uniqueTopic('rel.small-max.dlq');
    await createTopics([{ topic: out, config: { 'max.message.bytes': '2048' } }, { topic: dlq }]);
    const kafka = producer();
    const records = tradeRecords('trades', 2, 8);
    records[5] = tradeRecords('trades', 2, 1, { from: 5 })[0]!;
    records[5].value = Buffer.from(JSON.stringify({ id: 5, big: true })).toString('base64');

    const strict = tradeHandler({ producer: kafka, out, onError: 'retry-batch', name: 'too-large' });
    const first = await invoke(strict.handler, records);
    expect(first.error).toBeInstanceOf(RecordProcessingError);
    expect((first.error as RecordProcessingError).location).toEqual({
      topic: 'trades',
      partition: 2,
      offset: 5,
    });
    expect(first.error!.message).toMatch(/too large|MSG_SIZE|size/i);

    const deadLetter = tradeHandler({
      producer: kafka,
      out,
      onError: 'dead-letter',
      dlq,
      name: 'too-large-dlq',
    });
    expect((await invoke(deadLetter.handler, records)).error).toBeUndefined();
    const letters = await readTopic(dlq, 1, { settleMs: 500 });
    expect(letters.map((m) => m.headers[DEAD_LETTER_HEADERS.sourceOffset])).toEqual(['5']);

    await alterTopic(out, 'max.message.bytes=1048588');
    expect((await invoke(strict.handler, records)).error).toBeUndefined();
    const values = await topicValues(out, 8 * 3, { settleMs: 1_000 });
    const ids = new Set(values.map((v) => Number(v.split('-')[1])));
    expect([...ids].sort((a, b) => a - b)).toEqual(range(0, 8));
  });

  it("a tiny producer queue (queue.buffering.max.messages=5): 1,000 outputs all delivered, in the partition's offset order", async () => {
    const out = uniqueTopic('rel.queue-full');
    await createTopics([{ topic: out }]);
    const kafka = producer({ 'queue.buffering.max.messages': 5 });
    // Yielding between records lets deliveries free queue slots while earlier sends wait for room.
    const { handler } = tradeHandler({
      producer: kafka,
      out,
      onError: 'retry-batch',
      name: 'queue-full',
      before: (trade) => (trade.id % 7 === 0 ? sleep(1) : undefined),
    });
    const records = tradeRecords('trades', 3, 1_000);
    expect((await invoke(handler, records)).error).toBeUndefined();
    expect(kafka.stats).toMatchObject({ delivered: 1_000, failed: 0 });
    const values = await topicValues(out, 1_000);
    expect(values).toHaveLength(1_000);
    // Same key ⇒ same partition, and one partition's outputs must keep the source's order.
    expect(values).toEqual(range(0, 1_000).map((id) => `out-${id}`));
  });
});

describe("faults in the user's process()", () => {
  it('throwing and rejecting records are dead-lettered, the others delivered', async () => {
    const out = uniqueTopic('rel.proc');
    const dlq = uniqueTopic('rel.proc.dlq');
    await createTopics([{ topic: out }, { topic: dlq }]);
    const { handler } = tradeHandler({
      producer: producer(),
      out,
      dlq,
      onError: 'dead-letter',
      name: 'throw-reject',
      before: async (trade) => {
        if (trade.id === 7) throw new TypeError('async rejection');
      },
    });
    const records = tradeRecords('trades', 4, 12, { failing: new Set([2]) });
    expect((await invoke(handler, records)).error).toBeUndefined();
    const letters = await readTopic(dlq, 2, { settleMs: 300 });
    expect(
      letters.map((m) => [
        m.headers[DEAD_LETTER_HEADERS.sourceOffset],
        m.headers[DEAD_LETTER_HEADERS.errorClass],
      ]),
    ).toEqual([
      ['2', 'RangeError'],
      ['7', 'TypeError'],
    ]);
    expect(tally(await topicValues(out, 10)).distinct).toEqual(outs([0, 1, 3, 4, 5, 6, 8, 9, 10, 11]));
  });

  it("'retry-batch': a throw fails the invocation; the retry after the fault is gone delivers everything", async () => {
    const out = uniqueTopic('rel.retry');
    await createTopics([{ topic: out }]);
    let broken = true;
    const { handler } = tradeHandler({
      producer: producer(),
      out,
      onError: 'retry-batch',
      name: 'retry-batch',
      before: (trade) => {
        if (broken && trade.id === 5) throw new Error('downstream unavailable');
      },
    });
    const records = tradeRecords('trades', 5, 10);
    const first = await invoke(handler, records);
    expect(first.error).toBeInstanceOf(RecordProcessingError);
    broken = false;
    expect((await invoke(handler, records)).error).toBeUndefined();
    const { distinct, copies } = tally(await topicValues(out, 15));
    expect(distinct).toEqual(outs(range(0, 10)));
    // Records before the failure were delivered by the failed invocation too (at-least-once).
    expect(copies.get('out-0')).toBe(2);
    expect(copies.get('out-9')).toBe(1);
  });

  it('running into the deadline: dead-letter fails the invocation with DeadlineExceededError, report returns the first unprocessed offset; retries deliver the rest', async () => {
    const out = uniqueTopic('rel.deadline');
    const dlq = uniqueTopic('rel.deadline.dlq');
    await createTopics([{ topic: out }, { topic: dlq }]);
    const kafka = producer();
    const slow = { before: () => sleep(150) };
    const records = tradeRecords('trades', 6, 20);

    const dl = tradeHandler({ producer: kafka, out, dlq, onError: 'dead-letter', name: 'deadline', ...slow });
    const first = await invoke(dl.handler, records, 1_500);
    expect(first.error).toBeInstanceOf(DeadlineExceededError);
    const unprocessed = (first.error as DeadlineExceededError).unprocessed;
    expect(unprocessed).toBeGreaterThan(0);
    expect(unprocessed).toBeLessThan(20);

    const rp = tradeHandler({ producer: kafka, out, onError: 'report', name: 'deadline-report', ...slow });
    const reported = await invoke(rp.handler, records, 1_500);
    const resumeAt = reported.result!.batchItemFailures[0]!.itemIdentifier.offset;
    expect(resumeAt).toBeGreaterThan(0);
    // What the ESM does with the report: the next batch starts at the reported offset.
    const fast = tradeHandler({ producer: kafka, out, dlq, onError: 'dead-letter', name: 'deadline-retry' });
    expect((await invoke(fast.handler, records.slice(resumeAt))).error).toBeUndefined();
    // And the failed dead-letter invocation is retried whole.
    expect((await invoke(fast.handler, records)).error).toBeUndefined();

    const { distinct } = tally(await topicValues(out, 20 - unprocessed + resumeAt + 20 + (20 - resumeAt)));
    expect(distinct).toEqual(outs(range(0, 20)));
    expect(await readTopic(dlq, 0, { timeoutMs: 500, settleMs: 2_500 })).toHaveLength(0);
  });

  it("a process() aborted by the deadline signal on a partition's last record is not lost (log policy)", async () => {
    const out = uniqueTopic('rel.deadline-abort');
    await createTopics([{ topic: out }]);
    const { handler } = tradeHandler({
      producer: producer(),
      out,
      onError: 'log',
      name: 'deadline-abort',
      // Honours the signal, as the docs ask: rejects with an AbortError when the deadline comes.
      before: (trade, signal) =>
        trade.id === 2
          ? new Promise<void>((_resolve, reject) => {
              const timer = setTimeout(_resolve, 30_000);
              signal.addEventListener('abort', () => {
                clearTimeout(timer);
                reject(signal.reason);
              });
            })
          : undefined,
    });
    const records = tradeRecords('trades', 7, 3);
    const first = await invoke(handler, records, 1_500);
    const delivered = tally(await topicValues(out, 3, { timeoutMs: 3_000 })).distinct;
    // Invariant: record 2 was neither processed nor dead-lettered nor reported, so the invocation must fail.
    if (!delivered.includes('out-2')) expect(first.error).toBeInstanceOf(DeadlineExceededError);
  });

  it('the same batch delivered twice (at-least-once): every output and dead letter exactly twice', async () => {
    const out = uniqueTopic('rel.dup');
    const dlq = uniqueTopic('rel.dup.dlq');
    await createTopics([{ topic: out }, { topic: dlq }]);
    const { handler } = tradeHandler({
      producer: producer(),
      out,
      dlq,
      onError: 'dead-letter',
      name: 'duplicate',
    });
    const records = tradeRecords('trades', 8, 10, { failing: new Set([4]) });
    expect((await invoke(handler, records)).error).toBeUndefined();
    expect((await invoke(handler, records)).error).toBeUndefined();
    const { distinct, copies } = tally(await topicValues(out, 18));
    expect(distinct).toEqual(outs([0, 1, 2, 3, 5, 6, 7, 8, 9]));
    expect(new Set(copies.values())).toEqual(new Set([2]));
    const letters = await readTopic(dlq, 2, { settleMs: 300 });
    expect(letters.map((m) => m.headers[DEAD_LETTER_HEADERS.sourceOffset])).toEqual(['4', '4']);
  });
});

describe('no secret in these logs', () => {
  it('holds (no secret values are used here; the check runs in every fault file)', () => {
    expect(audit.leaks()).toEqual([]);
    expect(audit.size.texts).toBeGreaterThan(5);
  });
});
