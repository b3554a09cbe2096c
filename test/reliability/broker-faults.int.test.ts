// Fault matrix, part 2: the broker itself fails. Every fault here hits a DEDICATED broker started for
// this file (127.0.0.1:19092, connections.max.idle.ms=3000), never the shared one on 9092.
// Also freeze/thaw: idle longer than connections.max.idle.ms, and a handler process SIGSTOPped
// between invocations by the runtime emulator, as Lambda freezes it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafkaHandler, json, KafkaLambdaError } from '@kafka-lambda/core';
import { DeliveryError, FlushTimeoutError } from '@kafka-lambda/core/errors';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { kafkaProducer, ProducerConnectionError, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedKafka, type Rie, startIsolatedKafka, startRie } from '../../scripts/stack/index.mjs';
import { createTopics, uniqueTopic } from '../support/kafka.js';
import {
  kafkaEvent,
  lambdaContext,
  range,
  SecretAudit,
  tally,
  topicValues,
  tradeRecords,
} from '../support/reliability.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const IDLE_MS = 3_000;
let broker: IsolatedKafka;
const producers: RdKafkaProducer[] = [];
const audit = new SecretAudit();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  broker = await startIsolatedKafka({
    name: 'reliability',
    port: 19092,
    controllerPort: 19093,
    properties: { 'connections.max.idle.ms': IDLE_MS },
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(producers.map((p) => p.close(1_000).catch(() => undefined)));
  await broker?.stop({ graceMs: 5_000 });
}, 60_000);

/** Make sure the dedicated broker runs (a failed test must not leave the next one without it). */
async function brokerUp(): Promise<void> {
  broker.resume();
  if (!broker.isRunning()) await broker.start();
}

function copyHandler(out: string) {
  const producer = kafkaProducer(
    { 'bootstrap.servers': broker.brokers, log_level: 0, 'message.timeout.ms': 30_000 },
    { logger: audit.logger('producer'), connectTimeoutMs: 3_000 },
  );
  producers.push(producer);
  const handler = createKafkaHandler({
    value: json<{ id: number }>(),
    producer,
    onError: 'retry-batch',
    logger: audit.logger(`handler ${out}`),
    process(record, { produce }) {
      produce({ topic: out, key: record.key, value: `out-${record.value.id}` });
    },
  });
  return { handler, producer };
}

async function invoke(
  handler: ReturnType<typeof copyHandler>['handler'],
  records: KafkaEventRecord[],
  remainingMs = 60_000,
): Promise<Error | undefined> {
  try {
    await handler(kafkaEvent(records), lambdaContext(remainingMs));
    return undefined;
  } catch (error) {
    audit.error('invocation', error);
    return error as Error;
  }
}

/** The ESM's behaviour after a failed invocation: the same event again until it succeeds (bounded). */
async function retryUntilDone(
  handler: ReturnType<typeof copyHandler>['handler'],
  records: KafkaEventRecord[],
  attempts = 6,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const error = await invoke(handler, records, 20_000);
    if (!error) return attempt;
    if (attempt >= attempts) throw error;
    await sleep(1_000);
  }
}

async function outputs(topic: string, expected: number): Promise<string[]> {
  const all = await topicValues(topic, expected, { brokers: broker.brokers, settleMs: 500 });
  const { distinct, maxCopies } = tally(all);
  // The duplicates each fault leaves (docs/reliability.md quotes them): at-least-once, never a loss.
  console.info(
    `${topic}: ${all.length} outputs for ${distinct.length} records, ${all.length - distinct.length} duplicates (max ${maxCopies} copies)`,
  );
  return distinct;
}

const outs = (ids: number[]) => ids.map((id) => `out-${id}`).sort();

describe('broker faults (dedicated broker)', () => {
  it('broker down before the first batch (cold producer): the invocation fails inside its deadline, naming the broker; after the broker is back a retry delivers all', async () => {
    await brokerUp();
    const out = uniqueTopic('rel.cold');
    await createTopics([{ topic: out }], { brokers: broker.brokers });
    await broker.stop();
    const { handler } = copyHandler(out);
    const records = tradeRecords('trades', 0, 50);
    // The producer keeps trying to connect while the invocation has time, then the batch gives up.
    const started = Date.now();
    const error = await invoke(handler, records, 8_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(error).toBeInstanceOf(ProducerConnectionError);
    expect(error!.message).toContain(broker.brokers);
    await broker.start();
    await retryUntilDone(handler, records);
    expect(await outputs(out, 50)).toEqual(outs(range(0, 50)));
  });

  it('broker down before a batch of a warm producer: the flush times out inside the deadline; the retry delivers all', async () => {
    await brokerUp();
    const out = uniqueTopic('rel.warm-down');
    await createTopics([{ topic: out }], { brokers: broker.brokers });
    const { handler, producer } = copyHandler(out);
    expect(await invoke(handler, tradeRecords('trades', 1, 5))).toBeUndefined();
    await broker.stop();
    const records = tradeRecords('trades', 1, 50, { from: 5 });
    const error = await invoke(handler, records, 4_000);
    expect(error).toBeInstanceOf(FlushTimeoutError);
    await broker.start();
    await retryUntilDone(handler, records);
    expect(await outputs(out, 55)).toEqual(outs(range(0, 55)));
    expect(producer.stats.connects).toBe(1);
  });

  it('broker killed (SIGKILL) during the flush: the invocation fails; after a restart a retry delivers all', async () => {
    await brokerUp();
    const out = uniqueTopic('rel.kill-flush');
    await createTopics([{ topic: out }], { brokers: broker.brokers });
    const { handler } = copyHandler(out);
    expect(await invoke(handler, tradeRecords('trades', 2, 1))).toBeUndefined();
    const records = tradeRecords('trades', 2, 200, { from: 1 });
    // Freeze the broker as the batch starts so no ack can come back, then kill it while we flush.
    const original = handler;
    let killing: Promise<void> | undefined;
    const wrapped = async (event: unknown, context: ReturnType<typeof lambdaContext>) => {
      broker.pause();
      killing = sleep(1_000).then(() => broker.kill());
      return original(event, context);
    };
    let error: Error | undefined;
    try {
      await wrapped(kafkaEvent(records), lambdaContext(5_000));
    } catch (e) {
      error = e as Error;
    }
    await killing;
    expect(error).toBeInstanceOf(KafkaLambdaError);
    expect(error).toSatisfy((e: Error) => e instanceof FlushTimeoutError || e instanceof DeliveryError);
    await broker.start();
    await retryUntilDone(handler, records);
    expect(await outputs(out, 201)).toEqual(outs(range(0, 201)));
  });

  it('broker restarted between invocations: the next invocation delivers everything (no lost record)', async () => {
    await brokerUp();
    const out = uniqueTopic('rel.restart');
    await createTopics([{ topic: out }], { brokers: broker.brokers });
    const { handler, producer } = copyHandler(out);
    expect(await invoke(handler, tradeRecords('trades', 3, 20))).toBeUndefined();
    await broker.restart();
    const attempts = await retryUntilDone(handler, tradeRecords('trades', 3, 20, { from: 20 }));
    expect(attempts).toBe(1);
    expect(await outputs(out, 40)).toEqual(outs(range(0, 40)));
    expect(producer.stats.connects).toBe(1);
  });

  it('broker paused (SIGSTOP) past connections.max.idle.ms between invocations, then resumed: the next invocation delivers', async () => {
    await brokerUp();
    const out = uniqueTopic('rel.broker-pause');
    await createTopics([{ topic: out }], { brokers: broker.brokers });
    const { handler } = copyHandler(out);
    expect(await invoke(handler, tradeRecords('trades', 4, 10))).toBeUndefined();
    broker.pause();
    await sleep(IDLE_MS + 1_500);
    broker.resume();
    await retryUntilDone(handler, tradeRecords('trades', 4, 10, { from: 10 }));
    expect(await outputs(out, 20)).toEqual(outs(range(0, 20)));
  });
});

describe('freeze/thaw', () => {
  it('a warm producer idle longer than connections.max.idle.ms (3 s) delivers the next batch at the first attempt', async () => {
    await brokerUp();
    const out = uniqueTopic('rel.idle');
    await createTopics([{ topic: out }], { brokers: broker.brokers });
    const { handler, producer } = copyHandler(out);
    expect(await invoke(handler, tradeRecords('trades', 5, 10))).toBeUndefined();
    await sleep(IDLE_MS * 2);
    expect(await invoke(handler, tradeRecords('trades', 5, 10, { from: 10 }))).toBeUndefined();
    expect(await outputs(out, 20)).toEqual(outs(range(0, 20)));
    expect(producer.stats).toMatchObject({ connects: 1, delivered: 20, failed: 0 });
  });

  describe('in the runtime emulator, SIGSTOPped between invocations (freeze: true)', () => {
    let rie: Rie | undefined;
    const out = uniqueTopic('rel.frozen');
    const buildDir = path.join(root, 'node_modules', '.cache', 'kafka-lambda-reliability', 'freeze');

    beforeAll(async () => {
      await brokerUp();
      await createTopics([{ topic: out }], { brokers: broker.brokers });
      fs.mkdirSync(buildDir, { recursive: true });
      await build({
        entryPoints: [path.join(here, 'fixtures', 'freeze-handler.ts')],
        outfile: path.join(buildDir, 'index.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: `node${process.versions.node.split('.')[0]}`, // the Node that runs it
        external: ['@confluentinc/kafka-javascript', '@aws-sdk/*'],
        alias: {
          '@kafka-lambda/core/producer': path.join(root, 'packages/core/src/entry/producer.ts'),
          '@kafka-lambda/core': path.join(root, 'packages/core/src/index.ts'),
        },
        logLevel: 'error',
      });
      rie = await startRie({
        handlerDir: buildDir,
        handler: 'index.handler',
        freeze: true,
        timeoutSeconds: 30,
        env: { OUT_BROKERS: broker.brokers, OUT_TOPIC: out },
      });
    }, 60_000);

    afterAll(async () => {
      await rie?.stop();
    });

    it('the runtime frozen past connections.max.idle.ms (and the broker paused meanwhile) delivers every batch after thaw', async () => {
      const first = await rie!.invoke(kafkaEvent(tradeRecords('trades', 6, 20)));
      expect(first.functionError).toBeUndefined();
      // Frozen now (between invocations). The broker drops the idle connection after 3 s.
      await sleep(IDLE_MS * 2);
      const second = await rie!.invoke(kafkaEvent(tradeRecords('trades', 6, 20, { from: 20 })));
      expect(second.functionError).toBeUndefined();
      // Freeze again, and SIGSTOP/SIGCONT the broker while the function is frozen.
      broker.pause();
      await sleep(IDLE_MS + 1_000);
      broker.resume();
      const third = await rie!.invoke(kafkaEvent(tradeRecords('trades', 6, 20, { from: 40 })));
      audit.record('rie log', fs.readFileSync(rie!.logFile, 'utf8'));
      expect(third.functionError, third.body).toBeUndefined();
      const values = await topicValues(out, 60, { brokers: broker.brokers });
      expect(tally(values).distinct).toEqual(
        range(0, 60)
          .map((id) => JSON.stringify({ id }))
          .sort(),
      );
    });
  });
});

describe('no secret in these logs', () => {
  it('holds', () => {
    expect(audit.leaks()).toEqual([]);
  });
});
