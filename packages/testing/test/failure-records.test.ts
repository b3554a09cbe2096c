import { createKafkaHandler, type Logger, string } from '@kafka-lambda/core';
import { InvalidEventError } from '@kafka-lambda/core/errors';
import {
  ESM_FAILURE_HEADERS,
  esmFailureOf,
  fromFailureRecords,
  parseKafkaEvent,
} from '@kafka-lambda/core/events';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '../src/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

// The message value Lambda writes to a Kafka on-failure destination (`kafka://…`), as documented in
// https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html ("Record format for a
// Kafka destination"), copied as published.
const KAFKA_DESTINATION_VALUE = {
  requestContext: {
    requestId: 'e4b46cbf-b738-xmpl-8880-a18cdf61200e',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:my-function:$LATEST',
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2019-11-14T18:16:05.568Z',
  KafkaBatchInfo: {
    batchSize: 1,
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/my-cluster/abc123',
    bootstrapServers: 'b-1.mycluster.abc123.kafka.us-east-1.amazonaws.com:9098',
    payloadSize: 1162,
    recordInfo: {
      offset: '49601189658422359378836298521827638475320189012309704722',
      timestamp: '2019-11-14T18:16:04.835Z',
    },
  },
  payload: {
    bootstrapServers: 'b-1.mycluster.abc123.kafka.us-east-1.amazonaws.com:9098',
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/my-cluster/abc123',
    records: {
      'my-topic-0': [
        {
          headers: [],
          key: 'dGVzdC1rZXk=',
          offset: 100,
          partition: 0,
          timestamp: 1749116692330,
          timestampType: 'CREATE_TIME',
          topic: 'my-topic',
          value: 'dGVzdC12YWx1ZQ==',
        },
      ],
    },
  },
};

// The S3 object of https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html ("S3 destination
// example invocation record"): the SQS/SNS metadata plus `payload`, "the original invocation record as an
// escaped JSON string". The docs show `"<Whole Event>"`; here it is a whole two-partition event.
const S3_OBJECT = JSON.stringify({
  requestContext: {
    requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:myfunction',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 1,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2019-11-14T00:38:06.021Z',
  KafkaBatchInfo: {
    batchSize: 3,
    eventSourceArn:
      'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
    bootstrapServers: '...',
    payloadSize: 2039086,
    recordsInfo: {
      'Topic-0': {
        firstRecordOffset: '5',
        lastRecordOffset: '6',
        firstRecordTimestamp: '2019-11-14T00:38:04.835Z',
        lastRecordTimestamp: '2019-11-14T00:38:05.580Z',
      },
      'Topic-1': {
        firstRecordOffset: '9',
        lastRecordOffset: '9',
        firstRecordTimestamp: '2019-11-14T00:38:04.835Z',
        lastRecordTimestamp: '2019-11-14T00:38:05.580Z',
      },
    },
  },
  payload: JSON.stringify({
    eventSource: 'aws:kafka',
    eventSourceArn:
      'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
    bootstrapServers: '...',
    records: {
      'Topic-0': [
        {
          topic: 'Topic',
          partition: 0,
          offset: 5,
          timestamp: 1,
          timestampType: 'CREATE_TIME',
          key: null,
          value: 'YQ==',
          headers: [{ h: [104] }],
        },
        {
          topic: 'Topic',
          partition: 0,
          offset: 6,
          timestamp: 2,
          timestampType: 'CREATE_TIME',
          key: null,
          value: 'Yg==',
          headers: [],
        },
      ],
      'Topic-1': [
        {
          topic: 'Topic',
          partition: 1,
          offset: 9,
          timestamp: 3,
          timestampType: 'CREATE_TIME',
          value: 'Yw==',
        },
      ],
    },
  }),
});

// SQS / SNS destinations: metadata only (same page, "SNS and SQS example invocation record").
const SQS_BODY = { ...JSON.parse(S3_OBJECT), payload: undefined };

describe('fromFailureRecords', () => {
  it('turns Kafka-destination values (JSON text, as read from the topic) into one ESM event', () => {
    const event = fromFailureRecords([JSON.stringify(KAFKA_DESTINATION_VALUE)]);
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toBe(KAFKA_DESTINATION_VALUE.payload.eventSourceArn);
    const [partition] = parseKafkaEvent(event);
    expect(partition!.records[0]!.value).toBe('dGVzdC12YWx1ZQ==');
    expect(partition!.records[0]!.key).toBe('dGVzdC1rZXk=');
  });

  it('an S3 object (escaped payload) gives back every partition, original headers first', () => {
    const event = fromFailureRecords([Buffer.from(S3_OBJECT)]);
    expect(Object.keys(event.records)).toEqual(['Topic-0', 'Topic-1']);
    const first = event.records['Topic-0']![0]!;
    expect(Object.keys(first.headers![0]!)).toEqual(['h']);
    expect(first.headers!.map((h) => Object.keys(h)[0])).toContain(ESM_FAILURE_HEADERS.condition);
  });

  it('merges several failures per partition in offset order, each record once, without touching the inputs', () => {
    const input = JSON.parse(JSON.stringify(KAFKA_DESTINATION_VALUE));
    const later = structuredClone(input);
    later.payload.records['my-topic-0'][0].offset = 101;
    const event = fromFailureRecords([later, input, input]);
    expect(event.records['my-topic-0']!.map((r) => r.offset)).toEqual([100, 101]);
    expect(input.payload.records['my-topic-0'][0].headers).toEqual([]);
  });

  it('refuses SQS/SNS records (no payload) and bad payloads, naming the path', () => {
    expect(() => fromFailureRecords([SQS_BODY])).toThrow(
      expect.objectContaining({ name: 'InvalidEventError', path: 'failures[0].payload' }),
    );
    const bad = structuredClone(KAFKA_DESTINATION_VALUE);
    (bad.payload.records['my-topic-0'][0] as { offset: unknown }).offset = -1;
    expect(() => fromFailureRecords([KAFKA_DESTINATION_VALUE, bad])).toThrow(
      expect.objectContaining({ path: 'failures[1].payload.records["my-topic-0"][0].offset' }),
    );
    expect(() => fromFailureRecords(['{not json'])).toThrow(InvalidEventError);
  });

  it('the same handler reprocesses them, and process sees the failure metadata', async () => {
    const seen: unknown[] = [];
    const handler = createKafkaHandler({
      value: string(),
      logger: silent,
      process(record) {
        seen.push({ value: record.value, failure: esmFailureOf(record) });
      },
    });
    await handler(fromFailureRecords([KAFKA_DESTINATION_VALUE]), lambdaContext());
    expect(seen).toEqual([
      {
        value: 'test-value',
        failure: {
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
          requestId: 'e4b46cbf-b738-xmpl-8880-a18cdf61200e',
          functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:my-function:$LATEST',
          failedAt: '2019-11-14T18:16:05.568Z',
          functionError: 'Unhandled',
          statusCode: 200,
        },
      },
    ]);
  });
});
