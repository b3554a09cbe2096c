// Core bugs found while testing core through the builders, kept as regression tests once fixed.
import { createKafkaHandler, type Logger } from '@kafka-lambda/core';
import { expect, it } from 'vitest';
import { lambdaContext, memoryProducer, mskEvent } from '../src/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

it('regression (fixed in e6f965d): a throwing deadLetterTopic function must not leave other partitions producing after the invocation ended', async () => {
  const producer = memoryProducer();
  const handler = createKafkaHandler({
    producer,
    onError: {
      policy: 'dead-letter',
      topic: () => {
        throw new Error('no dead-letter topic for this record');
      },
    },
    logger: silent,
    async process(record, { produce }) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (record.partition === 0) throw new Error('boom');
      produce({ topic: 'out', value: record.rawValue });
    },
  });
  const event = mskEvent([
    { value: 'a' },
    { partition: 1, value: 'b' },
    { partition: 1, value: 'c' },
    { partition: 1, value: 'd' },
  ]);
  await expect(handler(event, lambdaContext())).rejects.toThrow();
  const sentWhenSettled = producer.sent.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  // In Lambda the process freezes once the handler settles: a message sent afterwards is neither
  // confirmed by this invocation nor owned by the next one.
  expect(producer.sent.length).toBe(sentWhenSettled);
  producer.expectNothingPending();
});
