// Back-pressure when the broker stops answering mid-batch: a DEDICATED broker (127.0.0.1:19492) is
// SIGSTOPped while a batch produces far more than librdkafka's queue holds. The invocation must fail
// inside its deadline, hold no more than the queue in memory, and produce nothing after it returned
// beyond what librdkafka already had (before the per-batch ledger, thousands landed afterwards).
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IsolatedKafka, startIsolatedKafka } from '../../scripts/stack/index.mjs';
import { createTopics, readTopic, uniqueTopic } from '../support/kafka.js';
import {
  backlogWatch,
  captureLogger,
  kafkaEvent,
  lambdaContext,
  tradeRecords,
} from '../support/reliability.js';

const QUEUE = 200;
let broker: IsolatedKafka;
const producers: RdKafkaProducer[] = [];

beforeAll(async () => {
  broker = await startIsolatedKafka({ name: 'backpressure', port: 19492, controllerPort: 19493 });
}, 120_000);

afterAll(async () => {
  broker?.resume();
  await Promise.all(producers.map((p) => p.close(1_000).catch(() => undefined)));
  await broker?.stop({ graceMs: 5_000 });
}, 60_000);

describe('back-pressure against a frozen broker (dedicated broker)', () => {
  it('a batch of 20,000 outputs into a 200-message queue: fails inside its 4 s, holds one record in JS, nothing is produced after it returned but what librdkafka held', async () => {
    const out = uniqueTopic('bp.frozen');
    await createTopics([{ topic: out }], { brokers: broker.brokers });
    const kafka = kafkaProducer(
      {
        'bootstrap.servers': broker.brokers,
        log_level: 0,
        'queue.buffering.max.messages': QUEUE,
        'message.timeout.ms': 30_000,
      },
      { logger: captureLogger() },
    );
    producers.push(kafka);
    const backlog = backlogWatch(kafka);
    let processed = 0;
    const handler = createKafkaHandler({
      value: json<{ id: number }>(),
      producer: kafka,
      onError: 'retry-batch',
      logger: captureLogger(),
      use: [backlog.instrumentation],
      process(record, { produce }) {
        processed++;
        if (record.offset === 500) broker.pause(); // the broker freezes mid-batch
        produce({ topic: out, key: record.key, value: `out-${record.value.id}` });
      },
    });
    // Warm the connection first, so the freeze hits a producing client, not a connecting one.
    await handler(kafkaEvent(tradeRecords('warm', 0, 1)), lambdaContext(20_000));
    processed = 0;

    const started = Date.now();
    const error = await handler(kafkaEvent(tradeRecords('trades', 0, 20_000)), lambdaContext(4_000)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(Error);
    expect(elapsed).toBeLessThan(4_000);
    expect(backlog.max).toBeLessThanOrEqual(1);
    expect(processed).toBeLessThan(20_000); // records stopped starting: they could not be handed over

    broker.resume();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const landed = await readTopic(out, 20_000, {
      brokers: broker.brokers,
      timeoutMs: 8_000,
      settleMs: 1_000,
    });
    // What the batch handed to librdkafka before the freeze, plus at most a queue's worth that was inside it.
    expect(landed.length).toBeLessThanOrEqual(1 + 501 + QUEUE);
    console.info(
      `frozen broker: failed after ${elapsed} ms with ${error!.name}; ${processed} records started; ` +
        `${landed.length} outputs landed in all (incl. after the return); max JS backlog ${backlog.max}`,
    );
  });
});
