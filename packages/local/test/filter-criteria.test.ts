import { InvalidTestInputError, mskEvent } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';
import { matchesPattern, validatePattern } from '../src/runner/filter/event-pattern.js';
import { recordFilter } from '../src/runner/filter/filter-criteria.js';
import { InProcessInvoker } from '../src/runner/in-process-invoker.js';
import { resolveSettings, startLoop } from '../src/runner/run-event-source.js';
import { MemorySource } from './helpers/memory-source.js';

// Lambda's filter rule syntax (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html)
// on Kafka values (https://docs.aws.amazon.com/lambda/latest/dg/kafka-filtering.html).
const match = (pattern: object, data: unknown) => {
  validatePattern(pattern, 'p');
  return matchesPattern(pattern, data);
};

describe('event patterns', () => {
  const trade = {
    device_ID: 'AB1234',
    kind: 'Trade',
    qty: 10,
    tags: ['fx', 'spot'],
    gone: null,
    session: { duration: 162 },
  };

  it('exact values, OR within a field, AND across fields, arrays match on any element, null', () => {
    expect(match({ kind: ['Trade'] }, trade)).toBe(true);
    expect(match({ kind: ['Quote', 'Trade'] }, trade)).toBe(true);
    expect(match({ kind: ['Trade'], qty: [11] }, trade)).toBe(false);
    expect(match({ tags: ['spot'] }, trade)).toBe(true);
    expect(match({ gone: [null] }, trade)).toBe(true);
    expect(match({ missing: [null] }, trade)).toBe(false);
    expect(match({ session: { duration: [162] } }, trade)).toBe(true);
    expect(match({ qty: ['10'] }, trade)).toBe(false); // a number is not a string
  });

  it('prefix, suffix, equals-ignore-case, anything-but, numeric, exists, $or', () => {
    expect(match({ device_ID: [{ prefix: 'AB' }] }, trade)).toBe(true);
    expect(match({ device_ID: [{ prefix: 'XY' }] }, trade)).toBe(false);
    expect(match({ device_ID: [{ suffix: '34' }] }, trade)).toBe(true);
    expect(match({ kind: [{ 'equals-ignore-case': 'trade' }] }, trade)).toBe(true);
    expect(match({ kind: [{ 'anything-but': ['Trade'] }] }, trade)).toBe(false);
    expect(match({ kind: [{ 'anything-but': 'Quote' }] }, trade)).toBe(true);
    expect(match({ missing: [{ 'anything-but': ['x'] }] }, trade)).toBe(false);
    expect(match({ qty: [{ numeric: ['>', 5, '<=', 10] }] }, trade)).toBe(true);
    expect(match({ qty: [{ numeric: ['=', 11] }] }, trade)).toBe(false);
    expect(match({ qty: [{ exists: true }] }, trade)).toBe(true);
    expect(match({ session: [{ exists: true }] }, trade)).toBe(false); // exists concerns leaves
    expect(match({ missing: [{ exists: false }] }, trade)).toBe(true);
    expect(match({ $or: [{ kind: ['Quote'] }, { qty: [10] }] }, trade)).toBe(true);
    expect(match({ $or: [{ kind: ['Quote'] }, { qty: [11] }] }, trade)).toBe(false);
  });

  it('refuses malformed patterns, naming the path', () => {
    expect(() => validatePattern({ a: 'x' }, 'p')).toThrow(expect.objectContaining({ path: 'p.a' }));
    expect(() => validatePattern({ a: [{ wildcard: '*' }] }, 'p')).toThrow(
      expect.objectContaining({ path: 'p.a[0]' }),
    );
    expect(() => validatePattern({ a: [{ numeric: ['~', 1] }] }, 'p')).toThrow(
      expect.objectContaining({ path: 'p.a[0].numeric' }),
    );
    expect(() => validatePattern({ $or: [{ a: [1] }] }, 'p')).toThrow(
      expect.objectContaining({ path: 'p.$or' }),
    );
  });
});

describe('FilterCriteria on Kafka records', () => {
  const records = mskEvent(
    [
      { value: { device_ID: 'AB1' } },
      { value: { device_ID: 'CD2' } },
      { value: 'error' },
      { value: 'fine' },
      { value: null },
    ],
    { topic: 't' },
  ).records['t-0']!;

  it('filters on value: JSON fields, or the plain string; several filters are alternatives', () => {
    const keep = recordFilter({
      Filters: [
        { Pattern: '{ "value" : { "device_ID" : [ { "prefix": "AB" } ] } }' },
        { Pattern: '{ "value" : [ { "anything-but": [ "error" ] } ] }' },
      ],
    });
    // The JSON values are objects: anything-but of the second filter concerns strings only.
    expect(records.map((r) => keep(r))).toEqual([true, false, false, true, true]);
  });

  it('refuses a field other than value, and a pattern that is not JSON', () => {
    expect(() => recordFilter({ Filters: [{ Pattern: '{"key": ["a"]}' }] })).toThrow(
      expect.objectContaining({ path: 'filterCriteria.Filters[0].Pattern.key' }),
    );
    expect(() => recordFilter({ Filters: [{ Pattern: '{value' }] })).toThrow(InvalidTestInputError);
    expect(() => recordFilter({ Filters: [] })).toThrow(
      expect.objectContaining({ path: 'filterCriteria.Filters' }),
    );
  });

  it('the runner commits filtered records without invoking the function for them', async () => {
    const source = new MemorySource();
    source.append('t', 0, ['{"kind":"quote"}', '{"kind":"trade"}', '{"kind":"quote"}']);
    source.append('t', 1, ['{"kind":"quote"}']);
    const seen: string[] = [];
    const handler = (event: { records: Record<string, Array<{ value: string | null }>> }) => {
      for (const rs of Object.values(event.records))
        for (const r of rs) seen.push(Buffer.from(r.value!, 'base64').toString());
    };
    const settings = resolveSettings({
      brokers: 'memory:9092',
      topics: ['t'],
      handler,
      batchWindowMs: 20,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      filterCriteria: { Filters: [{ Pattern: '{"value":{"kind":["trade"]}}' }] },
    });
    const loop = await startLoop(settings, source, new InProcessInvoker(handler, 'fn'));
    try {
      await loop.waitFor((stats) => stats.recordsCommitted === 4);
      expect(seen).toEqual(['{"kind":"trade"}']);
      expect(loop.stats).toMatchObject({ filtered: 3, invocations: 1 });
      expect(source.committed.get('t-0')).toBe(3);
      expect(source.committed.get('t-1')).toBe(1); // wholly filtered: committed with no invocation
    } finally {
      await loop.stop();
    }
  });
});

describe('FilterCriteria with the schema registry integration', () => {
  const record = mskEvent([{ key: 'raw-key', value: Buffer.from([0, 0, 0, 0, 1, 9, 9]) }], { topic: 't' })
    .records['t-0']![0]!;
  const criteria = (pattern: object) => ({ Filters: [{ Pattern: JSON.stringify(pattern) }] });

  it('matches the decoded fields, not the bytes delivered (SOURCE), and the decoded key', () => {
    const keep = recordFilter(
      criteria({ value: { symbol: ['EUR'] }, key: { desk: [{ prefix: 'f' }] } }),
      'f',
      {
        keyDecoded: true,
      },
    );
    expect(keep(record, { key: { desk: 'fx' }, value: { symbol: 'EUR' } })).toBe(true);
    expect(keep(record, { key: { desk: 'rates' }, value: { symbol: 'EUR' } })).toBe(false);
    expect(keep(record, { key: { desk: 'fx' }, value: { symbol: 'USD' } })).toBe(false);
    // Without decoded fields the value is read from the record (not JSON here): no match.
    expect(keep(record)).toBe(false);
  });

  it('refuses a filter on key unless keys are decoded, naming the path', () => {
    expect(() => recordFilter(criteria({ key: ['k'] }), 'filterCriteria')).toThrow(
      /filterCriteria\.Filters\[0\]\.Pattern\.key: expected value \(a filter on key needs the schema registry integration to decode keys/,
    );
    expect(() =>
      resolveSettings({
        brokers: 'b:9092',
        topics: ['t'],
        handler: () => undefined,
        filterCriteria: criteria({ key: ['k'] }),
        schemaRegistry: { uri: 'http://r:8081', attributes: ['VALUE'] },
      }),
    ).toThrow(InvalidTestInputError);
  });
});
