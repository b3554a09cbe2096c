// A route against the real broker of the stack: poison records (bad bytes) to the dead-letter topic,
// every other failure reported for a retry. Read back: the dead-letter topic holds exactly the poison
// records (their bytes and the error headers), the outputs of the records before each report are on
// the broker, and the partial batch response resumes each partition at its reported record; the
// ESM's retry from there succeeds once the transient cause is gone.
import { createKafkaHandler, DEAD_LETTER_HEADERS, json, RecordDecodeError } from '@kafka-lambda/core';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, createTopics, readTopic, uniqueTopic } from '../../../test/support/kafka.js';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';

interface Payment {
  id: number;
}

const producers: RdKafkaProducer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close()));
});

describe('a route against a real broker', () => {
  it('dead-letters the poison records, reports the rest, and the retry from the report succeeds', async () => {
    const source = 'payments.eu';
    const out = uniqueTopic('payments.settled');
    const dlq = uniqueTopic('payments.dlq');
    await createTopics([{ topic: out }, { topic: dlq }]);
    const producer = kafkaProducer({ 'bootstrap.servers': brokers(), log_level: 3 });
    producers.push(producer);
    // The ledger refuses payment 1004 until it has heard of its account (a transient cause).
    let ledgerKnows1004 = false;
    const routed: string[] = [];
    const handler = createKafkaHandler({
      value: json<Payment>(),
      producer,
      logger: silentLogger,
      onError: {
        policy(failure) {
          routed.push(`${failure.record.partition}@${failure.record.offset} ${failure.stage}`);
          return failure.error instanceof RecordDecodeError ? 'dead-letter' : 'report';
        },
        routes: ['dead-letter', 'report'],
        topic: dlq,
      },
      process(record, { produce }) {
        if (record.value.id === 1004 && !ledgerKnows1004) throw new Error('unknown account for payment 1004');
        produce({ topic: out, key: record.key, value: String(record.value.id) });
      },
    });
    const payment = (partition: number, offset: number, value: string): KafkaEventRecord =>
      eventRecord(source, partition, offset, value, {
        headers: [{ 'trace-id': [...Buffer.from(`t-${partition}-${offset}`)] }],
      });
    // Partition 0: 0 fine, 1 poison, 2 fine, 3 poison, 4 refused (reported), 5 fine (comes again).
    // Partition 1: 0 poison, 1 fine: nothing to report.
    const partition0 = ['{"id":1000}', 'not json', '{"id":1002}', '{"id":', '{"id":1004}', '{"id":1005}'];
    const records = [
      ...partition0.map((value, offset) => payment(0, offset, value)),
      payment(1, 0, '\u0000\u0001binary'),
      payment(1, 1, '{"id":2001}'),
    ];

    const first = await handler(mskEvent(records), context());
    expect(first).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: `${source}-0`, offset: 4 } }],
    });
    expect(routed.sort()).toEqual(['0@1 decode', '0@3 decode', '0@4 process', '1@0 decode']);

    const letters = await readTopic(dlq, 3);
    expect(letters).toHaveLength(3);
    const bySource = new Map(
      letters.map((m) => [
        `${m.headers[DEAD_LETTER_HEADERS.sourcePartition]}@${m.headers[DEAD_LETTER_HEADERS.sourceOffset]}`,
        m,
      ]),
    );
    expect([...bySource.keys()].sort()).toEqual(['0@1', '0@3', '1@0']);
    expect(bySource.get('0@1')!.value!.toString()).toBe('not json');
    expect(bySource.get('0@3')!.value!.toString()).toBe('{"id":');
    expect(bySource.get('1@0')!.value!.toString()).toBe('\u0000\u0001binary');
    expect(bySource.get('0@1')!.headers).toMatchObject({
      'trace-id': 't-0-1',
      [DEAD_LETTER_HEADERS.reason]: 'decode',
      [DEAD_LETTER_HEADERS.errorClass]: 'RecordDecodeError',
      [DEAD_LETTER_HEADERS.sourceTopic]: source,
      [DEAD_LETTER_HEADERS.sourcePartition]: '0',
      [DEAD_LETTER_HEADERS.sourceOffset]: '1',
    });
    // The records before the report were processed (their outputs are on the broker); 1005 was not started.
    const settled = await readTopic(out, 3);
    expect(settled.map((m) => m.value!.toString()).sort()).toEqual(['1000', '1002', '2001']);

    // The ESM resumes partition 0 at the reported offset; the ledger knows the account by then.
    ledgerKnows1004 = true;
    const retry = await handler(
      mskEvent(records.filter((r) => r.partition === 0 && r.offset >= 4)),
      context(),
    );
    expect(retry).toEqual({ batchItemFailures: [] });
    const after = await readTopic(out, 5);
    expect(after.map((m) => m.value!.toString()).sort()).toEqual(['1000', '1002', '1004', '1005', '2001']);
    // Nothing more was dead-lettered.
    expect(await readTopic(dlq, 4, { timeoutMs: 1_500 })).toHaveLength(3);
  }, 60_000);
});
