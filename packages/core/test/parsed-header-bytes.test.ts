// The header bytes parseKafkaEvent checks and copies in its one pass over the event (issue 14): what
// a handler reads must be exactly what the record carried, whatever the layout of the copy.
import { createKafkaHandler, string } from '@kafka-lambda/core';
import { InvalidEventError } from '@kafka-lambda/core/errors';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';

type Headers = NonNullable<KafkaEventRecord['headers']>;

/** What a header value means: each (signed) byte masked into 0..255. */
const expected = (bytes: readonly number[]) => Buffer.from(bytes.map((b) => b & 0xff));

/** Runs the handler on the records and returns what `process` read of each record's headers. */
async function readHeaders(records: KafkaEventRecord[]) {
  const seen = new Map<number, Array<[string, string]>>();
  const lookups = new Map<number, string | undefined>();
  const handler = createKafkaHandler({
    value: string(),
    logger: silentLogger,
    process(record) {
      lookups.set(record.offset, record.headers.get('b')?.toString('hex'));
      seen.set(
        record.offset,
        [...record.headers].map(([name, value]) => [name, value.toString('hex')]),
      );
    },
  });
  await handler(mskEvent(records), context());
  return { seen, lookups };
}

describe('header bytes copied while the event is checked', () => {
  it('hands each record exactly its own headers: signed bytes masked, repeats in order, empty and large values, across chunk boundaries', async () => {
    const headersOf = (offset: number): Headers => {
      if (offset % 7 === 3) return []; // records without headers between the others
      const list: Array<Record<string, number[]>> = [
        { a: Array.from({ length: 40 + (offset % 13) }, (_, i) => ((offset + i) % 256) - 128) },
        { b: [offset % 128, -1, -128, 255, 0] },
        { b: [] },
      ];
      if (offset === 20) list.push({ big: Array.from({ length: 5_000 }, (_, i) => i % 256) });
      return list;
    };
    // 400 records × ~55 bytes: several 8 KiB chunks, a header over half a chunk in the middle.
    const records = Array.from({ length: 400 }, (_, offset) =>
      eventRecord('t', offset % 2, offset, `v${offset}`, { headers: headersOf(offset) }),
    );
    const { seen, lookups } = await readHeaders(records);
    expect(seen.size).toBe(400);
    for (const record of records) {
      const want = (record.headers ?? []).flatMap((header) =>
        Object.entries(header).map(([name, bytes]): [string, string] => [
          name,
          expected(bytes).toString('hex'),
        ]),
      );
      expect(seen.get(record.offset)).toEqual(want);
      // get() answers the LAST value of a repeated name (here the empty one), or undefined without it.
      expect(lookups.get(record.offset)).toBe(want.length > 0 ? '' : undefined);
    }
  });

  it('still refuses the whole event when a header value is not bytes, naming it', async () => {
    const handler = createKafkaHandler({ value: string(), logger: silentLogger, process() {} });
    const records = [
      eventRecord('t', 0, 1, 'a', { headers: [{ ok: [1, 2] }] }),
      eventRecord('t', 0, 2, 'b', { headers: [{ ok: [1] }, { bad: [1, 256] }] }),
    ];
    const failure = await handler(mskEvent(records), context()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidEventError);
    expect(String((failure as Error).message)).toMatch(/records\["t-0"\]\[1\]\.headers\[1\]\.bad/);
  });
});
