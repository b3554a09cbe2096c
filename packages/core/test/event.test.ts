import { KafkaHeaders, KafkaRecord, RecordDecodeError } from '@kafka-lambda/core';
import { InvalidEventError } from '@kafka-lambda/core/errors';
import { parseKafkaEvent, splitPartitionKey } from '@kafka-lambda/core/events';
import { describe, expect, it } from 'vitest';
import { b64, eventRecord, mskEvent } from './fixtures.js';

describe('parseKafkaEvent', () => {
  it('groups MSK records per partition, splitting the key at the last dash', () => {
    const event = mskEvent([
      eventRecord('user-trades.v1', 3, 10, 'a'),
      eventRecord('user-trades.v1', 3, 11, 'b'),
      eventRecord('other', 0, 0, 'c'),
    ]);
    const partitions = parseKafkaEvent(event);
    expect(partitions.map((p) => [p.topic, p.partition, p.records.length])).toEqual([
      ['user-trades.v1', 3, 2],
      ['other', 0, 1],
    ]);
  });

  it('accepts self-managed events, which have no eventSourceArn', () => {
    const event = {
      eventSource: 'SelfManagedKafka',
      bootstrapServers: 'a:9092',
      records: { 'a-b-0': [eventRecord('a-b', 0, 1, 'x')] },
    };
    expect(parseKafkaEvent(event)[0]?.topic).toBe('a-b');
  });

  it('returns no partitions for an empty records map', () => {
    expect(parseKafkaEvent({ eventSource: 'aws:kafka', records: {} })).toEqual([]);
  });

  it.each([
    [null, 'event'],
    [{ eventSource: 'aws:sqs', records: {} }, 'eventSource'],
    [{ eventSource: 'aws:kafka' }, 'records'],
    [{ eventSource: 'aws:kafka', records: { 'topic-0': {} } }, 'records["topic-0"]'],
    [{ eventSource: 'aws:kafka', records: { topic: [] } }, 'records["topic"]'],
    [{ eventSource: 'aws:kafka', records: { 'topic-x': [] } }, 'records["topic-x"]'],
    [
      { eventSource: 'aws:kafka', records: { 't-0': [{ ...eventRecord('t', 0, 1, 'v'), offset: -1 }] } },
      'records["t-0"][0].offset',
    ],
    [
      { eventSource: 'aws:kafka', records: { 't-0': [{ ...eventRecord('t', 0, 1, 'v'), partition: 1 }] } },
      'records["t-0"][0].partition',
    ],
    [
      { eventSource: 'aws:kafka', records: { 't-0': [{ ...eventRecord('t', 0, 1, 'v'), value: 5 }] } },
      'records["t-0"][0].value',
    ],
    [
      { eventSource: 'aws:kafka', records: { 't-0': [{ ...eventRecord('t', 0, 1, 'v'), key: {} }] } },
      'records["t-0"][0].key',
    ],
    [
      {
        eventSource: 'aws:kafka',
        records: { 't-0': [{ ...eventRecord('t', 0, 1, 'v'), headers: [{ h: 'x' }] }] },
      },
      'records["t-0"][0].headers[0].h',
    ],
  ])('rejects %j naming %s', (event, path) => {
    const error = (() => {
      try {
        parseKafkaEvent(event);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).path).toBe(path);
  });

  it('splits partition keys of topics with dashes and dots', () => {
    expect(splitPartitionKey('a.b-c-d-12')).toEqual({ topic: 'a.b-c-d', partition: 12 });
    expect(() => splitPartitionKey('-1')).toThrow(InvalidEventError);
  });
});

describe('KafkaRecord', () => {
  it('decodes key and value lazily, keeping absent and null keys and tombstones apart from empty bytes', () => {
    const absent = new KafkaRecord(eventRecord('t', 0, 1, 'v', { key: undefined }));
    const nullKey = new KafkaRecord(eventRecord('t', 0, 2, null, { key: null }));
    const empty = new KafkaRecord(eventRecord('t', 0, 3, '', { key: '' }));
    expect(absent.rawKey).toBeNull();
    expect(nullKey.rawKey).toBeNull();
    expect(nullKey.rawValue).toBeNull();
    expect(nullKey.isTombstone).toBe(true);
    expect(empty.rawValue).toEqual(Buffer.alloc(0));
    expect(empty.rawKey).toEqual(Buffer.alloc(0));
    expect(empty.isTombstone).toBe(false);
  });

  it('exposes timestamp as epoch ms and Date', () => {
    const record = new KafkaRecord(
      eventRecord('t', 0, 5, 'v', { timestamp: 1545084650987, timestampType: 'LOG_APPEND_TIME' }),
    );
    expect(record.date.toISOString()).toBe('2018-12-17T22:10:50.987Z');
    expect(record.timestampType).toBe('LOG_APPEND_TIME');
  });

  it.each(['abc', 'YW!j', 'YWJj\u00e9', 'YW Jj', 'Y==='])(
    'throws a RecordDecodeError naming the record for malformed base64 %j',
    (text) => {
      const record = new KafkaRecord(eventRecord('orders', 2, 77, null, { value: text }));
      expect(() => record.rawValue).toThrow(RecordDecodeError);
      expect(() => record.rawValue).toThrow(/value of orders-2@77: malformed base64/);
    },
  );

  it('masks signed header bytes and keeps repeated names in order', () => {
    const record = new KafkaRecord(
      eventRecord('t', 0, 1, 'v', {
        headers: [{ trace: [104, 105] }, { bin: [-1, -128, 127, 0] }, { trace: [121, 111] }],
      }),
    );
    expect(record.headers.getString('trace')).toBe('yo');
    expect(record.headers.getAll('trace').map((b) => b.toString())).toEqual(['hi', 'yo']);
    expect([...record.headers.get('bin')!]).toEqual([255, 128, 127, 0]);
    expect(record.headers.size).toBe(3);
    expect(record.headers.names()).toEqual(['trace', 'bin']);
    expect(record.headers.toJSON()).toMatchObject({ trace: ['hi', 'yo'] });
  });

  it('gives records without headers the empty multimap', () => {
    const record = new KafkaRecord(eventRecord('t', 0, 1, 'v', { headers: undefined }));
    expect(record.headers).toBe(KafkaHeaders.EMPTY);
    expect(record.headers.get('x')).toBeUndefined();
  });

  it('logs its location, never its contents', () => {
    const record = new KafkaRecord(eventRecord('t', 0, 1, 'secret-value'));
    expect(JSON.stringify(record)).not.toContain(b64('secret-value'));
  });
});

describe('KafkaHeaders', () => {
  it('rejects header values that are not bytes with a typed error naming the header', () => {
    const record = new KafkaRecord(
      eventRecord('t', 0, 1, 'v', { headers: [{ ok: [1] }, { bad: [1, 300] }] }),
    );
    expect(() => record.headers.get('ok')).toThrow(InvalidEventError);
    expect(
      () => new KafkaRecord(eventRecord('t', 0, 1, 'v', { headers: [{ bad: [0.5] }] })).headers.size,
    ).toThrow(/headers\.bad\[0\]/);
  });

  it('builds from pairs and iterates in order', () => {
    const headers = KafkaHeaders.from([
      ['a', 'x'],
      ['a', Buffer.from('y')],
    ]);
    expect([...headers].map(([name, value]) => `${name}=${value}`)).toEqual(['a=x', 'a=y']);
    expect(headers.has('a')).toBe(true);
    expect(headers.toArray()).toHaveLength(2);
  });
});
