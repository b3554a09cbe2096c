import { createKafkaHandler, json, type KafkaRecord, type Serializer } from '@kafka-lambda/core';
import { InvalidEventError } from '@kafka-lambda/core/errors';
import { parseKafkaEvent } from '@kafka-lambda/core/events';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  encodeRecord,
  InvalidTestInputError,
  kafkaRecord,
  lambdaContext,
  mskEvent,
  selfManagedKafkaEvent,
  toByteArray,
} from '../src/index.js';

// Literal events of the shape AWS documents (with-msk.html, with-kafka.html), written by hand.
const MSK_FIXTURE = {
  eventSource: 'aws:kafka',
  eventSourceArn:
    'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
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

// Self-managed: dashed and dotted topic, two partitions, a tombstone, an absent key, a repeated header
// and a non-ASCII header value as AWS sends it (Java signed bytes: "é" = 0xC3 0xA9 = -61, -87).
const SELF_MANAGED_FIXTURE = {
  eventSource: 'SelfManagedKafka',
  bootstrapServers: 'kafka-1.example.internal:9092,kafka-2.example.internal:9092',
  records: {
    'orders.v1-eu-3': [
      {
        topic: 'orders.v1-eu',
        partition: 3,
        offset: 41,
        timestamp: 1700000000000,
        timestampType: 'LOG_APPEND_TIME',
        key: 'b3JkZXItMQ==',
        value: 'eyJpZCI6MSwidG90YWwiOjk5LjV9',
        headers: [
          { 'trace-id': [97, 98, 99] },
          { hop: [49] },
          { hop: [50] },
          { name: [99, 97, 102, -61, -87] },
        ],
      },
      {
        topic: 'orders.v1-eu',
        partition: 3,
        offset: 42,
        timestamp: 1700000000001,
        timestampType: 'LOG_APPEND_TIME',
        key: 'b3JkZXItMQ==',
        value: null,
        headers: [],
      },
    ],
    'orders.v1-eu-0': [
      {
        topic: 'orders.v1-eu',
        partition: 0,
        offset: 7,
        timestamp: 1700000000002,
        timestampType: 'LOG_APPEND_TIME',
        value: 'aGVsbG8=',
        headers: [],
      },
    ],
  },
};

function builtSelfManaged() {
  return selfManagedKafkaEvent(
    [
      {
        partition: 3,
        offset: 41,
        key: 'order-1',
        value: { id: 1, total: 99.5 },
        headers: [
          ['trace-id', 'abc'],
          ['hop', '1'],
          ['hop', Buffer.from('2')],
          ['name', 'café'],
        ],
      },
      { partition: 3, key: 'order-1', value: null },
      { partition: 0, offset: 7, value: Buffer.from('hello') },
    ],
    { topic: 'orders.v1-eu', timestamp: 1700000000000, timestampType: 'LOG_APPEND_TIME' },
  );
}

describe('event builders produce the AWS shape', () => {
  it('mskEvent equals a hand-written MSK event', () => {
    const event = mskEvent(
      [
        {
          topic: 'mytopic',
          offset: 15,
          timestamp: 1545084650987,
          key: 'recordKey',
          value: { key: 'value' },
          headers: { headerKey: 'headerValue' },
        },
      ],
      {
        eventSourceArn: MSK_FIXTURE.eventSourceArn,
        bootstrapServers: MSK_FIXTURE.bootstrapServers.split(','),
      },
    );
    expect(event).toStrictEqual(MSK_FIXTURE);
  });

  it('selfManagedKafkaEvent equals a hand-written self-managed event (groups, tombstone, absent key, signed bytes)', () => {
    const event = builtSelfManaged();
    expect(event).toStrictEqual(SELF_MANAGED_FIXTURE);
    expect(event).not.toHaveProperty('eventSourceArn');
    expect(Object.keys(event.records)).toEqual(['orders.v1-eu-3', 'orders.v1-eu-0']);
  });

  it('fills in realistic defaults: offsets increase per partition, timestamps per record, an MSK ARN', () => {
    const before = Date.now();
    const event = mskEvent([
      { value: 'a' },
      { value: 'b', partition: 1 },
      { value: 'c' },
      { value: 'd', partition: 1 },
    ]);
    expect(event.eventSourceArn).toMatch(
      /^arn:aws:kafka:us-east-1:123456789012:cluster\/demo-cluster\/[0-9a-f-]+$/,
    );
    expect(event.bootstrapServers.split(',')).toHaveLength(3);
    const p0 = event.records['test-topic-0']!;
    const p1 = event.records['test-topic-1']!;
    expect(p0.map((r) => r.offset)).toEqual([100, 101]);
    expect(p1.map((r) => r.offset)).toEqual([100, 101]);
    const timestamps = [p0[0]!, p1[0]!, p0[1]!, p1[1]!].map((r) => r.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(new Set(timestamps).size).toBe(4);
    expect(timestamps.every((t) => t <= Date.now() && t >= before - 10)).toBe(true);
  });

  it('continues offsets after an explicit one and rejects going backwards', () => {
    const event = selfManagedKafkaEvent([
      { value: 'a', offset: 5 },
      { value: 'b' },
      { value: 'c', offset: 10 },
    ]);
    expect(event.records['test-topic-0']!.map((r) => r.offset)).toEqual([5, 6, 10]);
    expect(() =>
      mskEvent([
        { value: 'a', offset: 5 },
        { value: 'b', offset: 5 },
      ]),
    ).toThrow(InvalidTestInputError);
    try {
      mskEvent([
        { value: 'a', offset: 5 },
        { value: 'b', offset: 4 },
      ]);
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidTestInputError).path).toBe('records[1].offset');
    }
  });

  it('encodes payloads: strings as UTF-8, objects/numbers/booleans as JSON, bytes as is, null as null', () => {
    const event = mskEvent([
      { key: null, value: 'plain "text"' },
      { value: 42 },
      { value: [1, 'two'] },
      { value: false },
      { value: new Uint8Array([0, 255]) },
      { value: null },
    ]);
    const records = event.records['test-topic-0']!;
    const decode = (text: string | null | undefined) =>
      text == null ? text : Buffer.from(text, 'base64').toString('latin1');
    expect(records.map((r) => decode(r.value))).toEqual([
      'plain "text"',
      '42',
      '[1,"two"]',
      'false',
      '\u0000\u00ff',
      null,
    ]);
    expect(records[0]).toHaveProperty('key', null);
    expect(records[1]).not.toHaveProperty('key');
  });

  it('rejects bad input with typed errors naming the path', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => mskEvent([{ value: undefined as unknown as null }]), 'records[0].value'],
      [() => mskEvent([{ value: 'x', partition: -1 }]), 'records[0].partition'],
      [() => mskEvent([{ value: 'x', topic: '' }]), 'records[0].topic'],
      [() => mskEvent([{ value: 'x', timestamp: Number.NaN }]), 'records[0].timestamp'],
      [() => mskEvent([{ value: 'x', headers: { a: 5 as unknown as string } }]), 'records[0].headers.a'],
      [() => mskEvent([{ value: () => 1 }]), 'records[0].value'],
      [() => mskEvent({} as never), 'records'],
    ];
    for (const [build, path] of cases) {
      try {
        build();
        expect.unreachable(`expected ${path} to be rejected`);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidTestInputError);
        expect((error as InvalidTestInputError).path).toBe(path);
      }
    }
  });

  it('kafkaRecord builds one record and honours unsigned header bytes on request', () => {
    const record = kafkaRecord(
      { topic: 't', partition: 2, offset: 9, value: 'v', headers: { b: Buffer.from([0xff, 0x80, 0x7f]) } },
      { signedHeaderBytes: false },
    );
    expect(record).toMatchObject({
      topic: 't',
      partition: 2,
      offset: 9,
      value: 'dg==',
      headers: [{ b: [255, 128, 127] }],
    });
    expect(kafkaRecord({ value: 'v', headers: { b: Buffer.from([0xff]) } }).headers).toEqual([{ b: [-1] }]);
  });

  it('toByteArray maps bytes to Java signed bytes and back', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const signed = toByteArray(all, true);
    expect(Math.min(...signed)).toBe(-128);
    expect(Math.max(...signed)).toBe(127);
    expect(Buffer.from(signed.map((b) => b & 0xff))).toEqual(all);
    expect(toByteArray(all, false)).toEqual([...all]);
  });
});

describe('built events decode in core exactly like the hand-written ones', () => {
  it('parseKafkaEvent gives the same partitions and records', () => {
    expect(parseKafkaEvent(builtSelfManaged())).toStrictEqual(parseKafkaEvent(SELF_MANAGED_FIXTURE));
    expect(parseKafkaEvent(MSK_FIXTURE)[0]).toMatchObject({ topic: 'mytopic', partition: 0 });
  });

  it('a createKafkaHandler sees the same records, headers (signed bytes masked) and tombstones', async () => {
    const seen = (event: unknown) => {
      const out: unknown[] = [];
      const handler = createKafkaHandler({
        value: json<unknown>(),
        tombstones: 'process',
        logSummary: false,
        process(record: KafkaRecord<string, unknown>) {
          out.push({
            where: `${record.topic}-${record.partition}@${record.offset}`,
            key: record.key,
            value: record.isTombstone ? null : record.value,
            timestampType: record.timestampType,
            hops: record.headers.getAll('hop').map(String),
            hop: record.headers.getString('hop'),
            name: record.headers.getString('name'),
          });
        },
      });
      return handler(event, lambdaContext()).then(() => out);
    };
    const fromFixture = await seen({
      ...SELF_MANAGED_FIXTURE,
      records: {
        ...SELF_MANAGED_FIXTURE.records,
        'orders.v1-eu-0': [{ ...SELF_MANAGED_FIXTURE.records['orders.v1-eu-0'][0], value: 'ImhlbGxvIg==' }],
      },
    });
    const built = builtSelfManaged();
    built.records['orders.v1-eu-0']![0]!.value = Buffer.from('"hello"').toString('base64');
    const fromBuilder = await seen(built);
    expect(fromBuilder).toStrictEqual(fromFixture);
    expect(fromFixture[0]).toMatchObject({
      key: 'order-1',
      value: { id: 1, total: 99.5 },
      hops: ['1', '2'],
      hop: '2',
      name: 'café',
    });
    expect(fromFixture[1]).toMatchObject({ value: null, where: 'orders.v1-eu-3@42' });
  });

  it('core rejects a malformed event (so the builders are tested against a strict parser)', () => {
    const event = builtSelfManaged();
    (event.records['orders.v1-eu-0']![0] as { offset: unknown }).offset = '7';
    expect(() => parseKafkaEvent(event)).toThrow(InvalidEventError);
  });
});

describe('serializers', () => {
  const upper: Serializer<string> = {
    serialize(text, context) {
      context.headers.push(['enc', Buffer.from(`upper:${context.part}:${context.topic}`)]);
      return Buffer.from(text.toUpperCase());
    },
  };
  const slow: Serializer<{ id: number }> = { serialize: async (value) => Buffer.from(`id=${value.id}`) };

  it('runs synchronous serializers inside the builders, headers included', () => {
    const record = kafkaRecord({
      topic: 'x',
      key: 'k',
      keySerializer: upper,
      value: 'v',
      valueSerializer: upper,
    });
    expect(Buffer.from(record.key!, 'base64').toString()).toBe('K');
    expect(Buffer.from(record.value!, 'base64').toString()).toBe('V');
    expect(record.headers!.map((h) => Object.keys(h)[0])).toEqual(['enc', 'enc']);
  });

  it('asks for encodeRecord when a serializer is async, and encodeRecord feeds the builders', async () => {
    expect(() => mskEvent([{ value: { id: 1 }, valueSerializer: slow }])).toThrow(/encodeRecord/);
    const encoded = await encodeRecord({
      topic: 'x',
      key: 'k',
      value: { id: 7 },
      valueSerializer: slow,
      headers: { a: 'b' },
    });
    const event = mskEvent([encoded]);
    const record = event.records['x-0']![0]!;
    expect(Buffer.from(record.value!, 'base64').toString()).toBe('id=7');
    expect(record.headers).toEqual([{ a: [98] }]);
  });
});

describe('lambda context', () => {
  it('is assignable to the aws-lambda Context type', () => {
    const context: Context = lambdaContext({ functionName: 'fn' });
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:fn');
  });
});
