import { createKafkaHandler, type ErrorPolicy, json, type Logger, string } from '@kafka-lambda/core';
import { InvalidEventError } from '@kafka-lambda/core/errors';
import { parseSinkConnectorEvent, SinkConnectorReportError, sinkConnector } from '@kafka-lambda/core/events';
import { describe, expect, it } from 'vitest';
import { lambdaContext, memoryProducer, sinkConnectorEvent } from '../src/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

// The shape Confluent's AWS Lambda Sink Connector sends in sync mode: an array of { payload } whose
// fields are the Kafka record's coordinates plus its key and value converted to JSON.
// Source: https://docs.confluent.io/cloud/current/connectors/cc-aws-lambda-sink.html ("converts them to
// JSON"); the fields as Confluent's own example function reads them (confluentinc/kafka-docker-playground,
// connect/connect-aws-lambda-sink: payload["value"]["a"], payload["timestamp"], ["offset"], ["partition"], ["topic"]).
const CONNECTOR_FIXTURE = [
  {
    payload: {
      timestamp: 1700000000000,
      topic: 'add-topic',
      partition: 0,
      offset: 0,
      key: null,
      value: { a: 1, b: 1 },
    },
  },
  {
    payload: {
      timestamp: 1700000000001,
      topic: 'add-topic',
      partition: 0,
      offset: 1,
      key: null,
      value: { a: 2, b: 1 },
    },
  },
];

interface Order {
  id: number;
  fail?: boolean;
}

function ordersEvent() {
  return sinkConnectorEvent(
    [
      { key: 'a', value: { id: 1 } },
      { key: 'b', value: { id: 2, fail: true } },
      { key: 'c', value: { id: 3 } },
      { partition: 1, key: 'd', value: { id: 4 } },
    ],
    { topic: 'orders' },
  );
}

function handlerWith(policy: ErrorPolicy) {
  const producer = memoryProducer();
  const processed: number[] = [];
  const handler = createKafkaHandler({
    use: [sinkConnector()],
    key: string(),
    value: json<Order>(),
    producer,
    onError: policy === 'dead-letter' ? { policy: policy, topic: 'orders.dlq' } : policy,
    logger: silent,
    concurrency: 1,
    process(record, { produce }) {
      if (record.value.fail) throw new Error(`order ${record.value.id} is broken`);
      processed.push(record.value.id);
      produce({ topic: 'settled', key: record.key, value: JSON.stringify({ settled: record.value.id }) });
    },
  });
  return { handler, producer, processed };
}

describe('Sink Connector invocations', () => {
  it('parses the documented payload into partition batches with JSON bytes', () => {
    const [partition] = parseSinkConnectorEvent(CONNECTOR_FIXTURE);
    expect(partition!.topic).toBe('add-topic');
    expect(partition!.records.map((r) => r.offset)).toEqual([0, 1]);
    expect(Buffer.from(partition!.records[0]!.value!, 'base64').toString()).toBe('{"a":1,"b":1}');
    expect(partition!.records[0]!.key).toBeNull();
  });

  it('a string key is its UTF-8 bytes, not JSON-quoted; records of partitions are grouped', () => {
    const parts = parseSinkConnectorEvent(ordersEvent());
    expect(parts.map((p) => `${p.topic}-${p.partition}:${p.records.length}`)).toEqual([
      'orders-0:3',
      'orders-1:1',
    ]);
    expect(Buffer.from(parts[0]!.records[0]!.key!, 'base64').toString()).toBe('a');
  });

  it('names the offending path', () => {
    expect(() =>
      parseSinkConnectorEvent([
        { payload: { topic: 't', partition: 0, offset: 'x', timestamp: 1, value: 1 } },
      ]),
    ).toThrow(expect.objectContaining({ name: 'InvalidEventError', path: '[0].payload.offset' }));
    expect(() => parseSinkConnectorEvent([{ nope: 1 }])).toThrow(InvalidEventError);
    const twice = [...CONNECTOR_FIXTURE, CONNECTOR_FIXTURE[0]];
    expect(() => parseSinkConnectorEvent(twice)).toThrow(/\[2\]\.payload\.offset/);
  });

  it('log: the same process runs, the batch succeeds with nothing to return', async () => {
    const { handler, producer, processed } = handlerWith('log');
    await expect(handler(ordersEvent(), lambdaContext())).resolves.toBeUndefined();
    expect(processed).toEqual([1, 3, 4]);
    producer.expectFlushedOnce();
  });

  it('dead-letter: the failed record goes to the dead-letter topic with its original bytes', async () => {
    const { handler, producer } = handlerWith('dead-letter');
    await handler(ordersEvent(), lambdaContext());
    const dlq = producer.messages.filter((m) => m.topic === 'orders.dlq');
    expect(dlq).toHaveLength(1);
    expect(String(dlq[0]!.value)).toBe('{"id":2,"fail":true}');
  });

  it('report: no partial response exists, so the invocation fails naming the unprocessed records', async () => {
    const { handler, producer, processed } = handlerWith('report');
    const error = await handler(ordersEvent(), lambdaContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkConnectorReportError);
    expect((error as SinkConnectorReportError).unprocessed).toEqual([{ partition: 'orders-0', offset: 101 }]);
    // What ran before the failure is delivered (acks) before the handler answers.
    expect(processed).toEqual([1, 4]);
    expect(producer.messages.filter((m) => m.topic === 'settled')).toHaveLength(2);
  });

  it('report: the failure is logged once at error level, naming the unprocessed records', async () => {
    const errors: string[] = [];
    const handler = createKafkaHandler({
      use: [sinkConnector()],
      value: json<Order>(),
      onError: 'report',
      logSummary: false,
      logger: {
        ...silent,
        error: (message, ...fields) =>
          errors.push(
            `${message} ${fields.map((f) => (f.error as Error | undefined)?.message ?? '').join('')}`,
          ),
      },
      process(record) {
        if (record.value.fail) throw new Error('broken');
      },
    });
    await expect(handler(ordersEvent(), lambdaContext())).rejects.toBeInstanceOf(SinkConnectorReportError);
    expect(errors.filter((e) => e.includes('Sink Connector cannot retry'))).toHaveLength(1);
    expect(errors.join('\n')).toContain('orders-0@101');
  });

  it('retry-batch: the invocation fails', async () => {
    const { handler } = handlerWith('retry-batch');
    await expect(handler(ordersEvent(), lambdaContext())).rejects.toThrow();
  });

  it('an empty array is an empty batch', async () => {
    const { handler } = handlerWith('log');
    await expect(handler([], lambdaContext())).resolves.toBeUndefined();
  });

  it('without sinkConnector() a handler refuses the array, naming the middleware to add; no record runs', async () => {
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: json<Order>(),
      logger: silent,
      process(record) {
        ran.push(record.offset);
      },
    });
    const refused = handler(ordersEvent(), lambdaContext());
    await expect(refused).rejects.toBeInstanceOf(InvalidEventError);
    await expect(refused).rejects.toThrow(/use: \[sinkConnector\(\)\] from '@kafka-lambda\/core\/events'/);
    expect(ran).toEqual([]);
  });

  it('with sinkConnector() the ESM event is still read by the engine', async () => {
    const { handler, processed } = handlerWith('log');
    const esm = {
      eventSource: 'aws:kafka',
      records: {
        'orders-0': [
          {
            topic: 'orders',
            partition: 0,
            offset: 5,
            timestamp: 0,
            timestampType: 'CREATE_TIME',
            key: null,
            value: Buffer.from(JSON.stringify({ id: 9 })).toString('base64'),
            headers: [],
          },
        ],
      },
    };
    await expect(handler(esm, lambdaContext())).resolves.toBeUndefined();
    expect(processed).toEqual([9]);
  });
});
