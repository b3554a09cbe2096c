// Issue 15, item 7: the eventSource spellings real tools produce are Kafka events; nothing else is.
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { InvalidEventError } from '@kafka-lambda/core/errors';
import { parseKafkaEvent } from '@kafka-lambda/core/events';
import { lambdaContext } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';

/** The self-managed fixture of Powertools for Python (kafkaEventSelfManaged.json), as other libraries copy it. */
const powertoolsSelfManaged = {
  eventSource: 'aws:SelfManagedKafka',
  bootstrapServers:
    'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
  records: {
    'mytopic-0': [
      {
        topic: 'mytopic',
        partition: 0,
        offset: 15,
        timestamp: 1545084650987,
        timestampType: 'CREATE_TIME',
        key: 'cmVjb3JkS2V5',
        value: 'eyJrZXkiOiJ2YWx1ZSJ9',
        headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
      },
    ],
  },
};

describe('eventSource spellings', () => {
  it('aws:SelfManagedKafka (Powertools and aws-lambda-go fixtures) is processed like SelfManagedKafka', async () => {
    expect(parseKafkaEvent(powertoolsSelfManaged).map((p) => `${p.topic}-${p.partition}`)).toEqual([
      'mytopic-0',
    ]);
    const seen: unknown[] = [];
    const handler = createKafkaHandler({
      value: json(),
      process(record) {
        seen.push([record.key, record.value, record.headers.getString('headerKey')]);
      },
    });
    await expect(handler(powertoolsSelfManaged, lambdaContext())).resolves.toBeUndefined();
    expect(seen).toEqual([['recordKey', { key: 'value' }, 'headerValue']]);
  });

  it.each(['aws:kafka', 'SelfManagedKafka', 'aws:SelfManagedKafka'])('%s is a Kafka event', (eventSource) => {
    expect(() => parseKafkaEvent({ ...powertoolsSelfManaged, eventSource })).not.toThrow();
  });

  it.each(['aws:sqs', 'aws:kinesis', 'selfmanagedkafka', 'aws:SelfManagedKafka ', 'aws:msk', '', undefined])(
    '%j is not, and the error lists what is',
    (eventSource) => {
      expect(() => parseKafkaEvent({ ...powertoolsSelfManaged, eventSource })).toThrow(
        new InvalidEventError('eventSource', '"aws:kafka", "SelfManagedKafka" or "aws:SelfManagedKafka"'),
      );
    },
  );
});
