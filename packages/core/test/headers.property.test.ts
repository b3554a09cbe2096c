// Issue 23, finding 10: header names are data, not object keys. Whatever a producer names a header
// (`__proto__`, `constructor`, `toString`, empty, very long, repeated), the record's headers and
// their JSON form give back every name and value exactly.
import { createKafkaHandler, KafkaHeaders, KafkaRecord } from '@kafka-lambda/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { context, silentLogger } from './fixtures.js';

const RUNS = 1_000;

const hostileName = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'isPrototypeOf',
    '__defineGetter__',
    '',
    '0',
    '1',
    'traceparent',
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.string({ minLength: 300, maxLength: 2_000 }),
);
const headerList = fc.array(
  fc.tuple(hostileName, fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 6 })),
  { maxLength: 8 },
);

/** The ESM's header list: one single-key object per header, built as JSON.parse builds it. */
function rawHeaders(list: ReadonlyArray<readonly [string, number[]]>): Array<Record<string, number[]>> {
  // A computed key defines an own property, as JSON.parse does: `__proto__` is a name, not the prototype.
  return list.map(([name, bytes]) => ({ [name]: bytes }));
}

const textOf = (bytes: number[]) => Buffer.from(bytes.map((b) => b & 0xff)).toString('utf8');

/** What the JSON form must say: each name once, its value's text, or the list of them when repeated. */
function expectedJson(list: ReadonlyArray<readonly [string, number[]]>): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  for (const [name, bytes] of list) {
    const existing = out.get(name);
    if (existing === undefined) out.set(name, textOf(bytes));
    else out.set(name, Array.isArray(existing) ? [...existing, textOf(bytes)] : [existing, textOf(bytes)]);
  }
  return out;
}

function checkHeaders(headers: KafkaHeaders, list: ReadonlyArray<readonly [string, number[]]>): void {
  expect([...headers].map(([name, value]) => [name, [...value]])).toEqual(
    list.map(([name, bytes]) => [name, bytes.map((b) => b & 0xff)]),
  );
  expect(headers.names()).toEqual([...new Set(list.map(([name]) => name))]);
  for (const [name] of list) {
    expect(headers.has(name)).toBe(true);
    expect(headers.getAll(name)).toHaveLength(list.filter(([n]) => n === name).length);
  }
  // The JSON form, as a logger writes it and a reader parses it back.
  const parsed = JSON.parse(JSON.stringify(headers)) as Record<string, unknown>;
  const expected = expectedJson(list);
  expect(Object.keys(parsed).sort()).toEqual([...expected.keys()].sort());
  for (const [name, value] of expected)
    expect(Object.getOwnPropertyDescriptor(parsed, name)?.value).toEqual(value);
  // And the object itself, read by code rather than serialized.
  const json = headers.toJSON();
  expect(Object.keys(json).sort()).toEqual([...expected.keys()].sort());
  for (const [name, value] of expected)
    expect(Object.getOwnPropertyDescriptor(json, name)?.value).toEqual(value);
}

describe('header names round-trip exactly', () => {
  it('through the handler (the parsed event, its copy of the header bytes)', async () => {
    await fc.assert(
      fc.asyncProperty(headerList, async (list) => {
        let seen: KafkaHeaders | undefined;
        const handler = createKafkaHandler({
          logger: silentLogger,
          onError: 'retry-batch',
          process: (record) => {
            seen = record.headers;
          },
        });
        const event = JSON.parse(
          JSON.stringify({
            eventSource: 'aws:kafka',
            records: {
              'orders-0': [
                { topic: 'orders', partition: 0, offset: 1, timestamp: 0, value: null, headers: [] },
                {
                  topic: 'orders',
                  partition: 0,
                  offset: 2,
                  timestamp: 0,
                  timestampType: 'CREATE_TIME',
                  value: 'e30=',
                  headers: rawHeaders(list),
                },
              ],
            },
          }),
        );
        await handler(event, context());
        checkHeaders(seen!, list);
      }),
      { numRuns: RUNS },
    );
  });

  it('on a hand-built record, and from name/value pairs', () => {
    fc.assert(
      fc.property(headerList, (list) => {
        const raw = {
          topic: 't',
          partition: 0,
          offset: 0,
          timestamp: 0,
          timestampType: 'CREATE_TIME',
          value: null,
        };
        checkHeaders(new KafkaRecord({ ...raw, headers: rawHeaders(list) }).headers, list);
        checkHeaders(
          KafkaHeaders.from(list.map(([name, bytes]) => [name, Buffer.from(bytes.map((b) => b & 0xff))])),
          list,
        );
      }),
      { numRuns: RUNS },
    );
  });
});
