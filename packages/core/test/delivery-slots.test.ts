// The batch's per-message bookkeeping (issue 14): each message carries its own record until its report,
// instead of a closure per record. What a producer sees of a message is the wire fields only; a message it
// keeps does not keep its record's accounting alive; a report that comes twice counts once; a message a
// hook made is never mutated; and a record with several messages is confirmed once all of them are in.
import { type BatchSummary, createKafkaHandler, hooks, type KafkaProducer, string } from '@kafka-lambda/core';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { deliveryError, ScriptedProducer } from './support/scripted-producer.js';

function run(
  producer: KafkaProducer,
  produce: (value: string, emit: (message: Record<string, unknown>) => void) => void,
  onError: 'retry-batch' | 'report' = 'retry-batch',
) {
  const summaries: BatchSummary[] = [];
  const handler = createKafkaHandler({
    value: string(),
    producer,
    onError,
    logger: silentLogger,
    use: [hooks({ onBatchEnd: (summary) => summaries.push({ ...summary }) })],
    process: (record, { produce: emit }) => produce(record.value, emit as never),
  });
  const event = mskEvent([eventRecord('in', 0, 0, 'a'), eventRecord('in', 0, 1, 'b')]);
  return { result: handler(event, context()), summaries };
}

describe('per-message delivery bookkeeping', () => {
  it('hands the producer the wire fields only, and the messages it keeps say nothing of their records', async () => {
    const producer = new ScriptedProducer();
    const { result, summaries } = run(producer, (value, emit) => emit({ topic: 'out', key: 'k', value }));
    await result;
    expect(summaries[0]).toMatchObject({ succeeded: 2, produced: 2 });
    expect(producer.enqueued).toEqual([
      { topic: 'out', key: Buffer.from('k'), value: Buffer.from('a') },
      { topic: 'out', key: Buffer.from('k'), value: Buffer.from('b') },
    ]);
    for (const message of producer.enqueued)
      expect(Object.keys(message).sort()).toEqual([
        'headers',
        'key',
        'partition',
        'timestamp',
        'topic',
        'value',
      ]);
  });

  it('counts a message reported twice once: the batch neither over-counts nor fails', async () => {
    const producer = new ScriptedProducer();
    producer.reportsPerMessage = 2;
    const { result, summaries } = run(producer, (value, emit) => emit({ topic: 'out', key: null, value }));
    await expect(result).resolves.toBeUndefined();
    expect(summaries[0]).toMatchObject({ succeeded: 2, failed: 0, produced: 2 });
  });

  it('fails exactly the record whose one message of several was refused, once', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (message) =>
      message.value?.toString() === 'b-2'
        ? deliveryError('Broker: Not enough in-sync replicas', 19)
        : undefined;
    const { result, summaries } = run(
      producer,
      (value, emit) => {
        for (let i = 1; i <= 3; i++) emit({ topic: 'out', key: null, value: `${value}-${i}` });
      },
      'report',
    );
    const outcome = await result;
    expect(outcome).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 1 } }] });
    // Handed back (a retryable refusal): reported, its four delivered batch-mates counted.
    expect(summaries[0]).toMatchObject({ reported: 1, produced: 5 });
  });
});
