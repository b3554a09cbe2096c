import { readFileSync } from 'node:fs';
import { type BatchSummary, createKafkaHandler, hooks, json, KafkaLambdaError } from '@kafka-lambda/core';
import { InvalidEventError } from '@kafka-lambda/core/errors';
import { parseKafkaEvent } from '@kafka-lambda/core/events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { ScriptedProducer } from './support/scripted-producer.js';

// The promise under test: whatever arrives, the decoder and the handler either work or throw one of
// our typed errors; every record is accounted for (succeeded, failed, skipped or unprocessed).

const RUNS = 10_000;

const anyJson = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<unknown>;
const byteLike = fc.oneof(fc.integer({ min: -300, max: 300 }), fc.double(), fc.constant(null), fc.string());
const base64ish = fc.oneof(
  fc.base64String(),
  fc.string(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
);

const recordArb = fc.record(
  {
    topic: fc.oneof(fc.constant('t-1.x'), fc.string(), anyJson),
    partition: fc.oneof(fc.constant(0), fc.integer({ min: -2, max: 3 }), anyJson),
    offset: fc.oneof(fc.nat(), fc.integer(), fc.double(), anyJson),
    timestamp: fc.oneof(fc.nat(), anyJson),
    timestampType: fc.oneof(fc.constant('CREATE_TIME'), anyJson),
    key: base64ish,
    value: fc.oneof(base64ish, anyJson),
    headers: fc.oneof(
      fc.array(fc.dictionary(fc.string({ maxLength: 5 }), fc.array(byteLike, { maxLength: 4 })), {
        maxLength: 3,
      }),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);

const eventArb = fc.record(
  {
    eventSource: fc.oneof(fc.constantFrom('aws:kafka', 'SelfManagedKafka'), fc.string()),
    records: fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom('t-1.x-0', 't-1.x-1', 'a-'), fc.string()),
        fc.array(recordArb, { maxLength: 4 }),
      ),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);

function expectTyped(error: unknown): void {
  if (!(error instanceof KafkaLambdaError)) throw error;
}

describe('event decoder under generated input', () => {
  it(`parseKafkaEvent only throws typed errors (${RUNS} events)`, () => {
    fc.assert(
      fc.property(fc.oneof(eventArb, anyJson), (event) => {
        try {
          parseKafkaEvent(event);
        } catch (error) {
          expectTyped(error);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`the handler accounts for every record of any valid-shaped batch (${RUNS} batches)`, async () => {
    // Valid shape, arbitrary contents: bytes, JSON or not, headers of any bytes.
    const contentArb = fc.record({
      value: fc.oneof(
        fc.base64String(),
        fc.string(),
        fc.constant(null),
        fc.json().map((j) => Buffer.from(j).toString('base64')),
      ),
      key: base64ish,
      headers: fc.array(fc.dictionary(fc.string({ maxLength: 4 }), fc.array(byteLike, { maxLength: 3 })), {
        maxLength: 2,
      }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(contentArb, { maxLength: 8 }),
        fc.constantFrom('log', 'dead-letter', 'report') as fc.Arbitrary<'log' | 'dead-letter' | 'report'>,
        async (contents, onError) => {
          const records = contents.map((content, offset) => ({
            ...eventRecord('t', 0, offset, null),
            ...content,
            headers: content.headers as never,
            value: typeof content.value === 'string' ? content.value : null,
            key: typeof content.key === 'string' ? content.key : null,
          }));
          const summaries: BatchSummary[] = [];
          const handler = createKafkaHandler({
            value: json<{ n?: number }>(),
            producer: new ScriptedProducer({ reportsAt: 'flush' }).sendOnly(),
            onError: onError === 'dead-letter' ? { policy: onError, topic: 'dlq' } : onError,
            tombstones: 'process',
            logger: silentLogger,
            use: [hooks({ onBatchEnd: (s) => summaries.push({ ...s }) })],
            process(record) {
              void record.headers.size;
              void record.value?.n;
            },
          });
          try {
            await handler(mskEvent(records), context());
          } catch (error) {
            expectTyped(error);
            // Header bytes that are not bytes reject the whole event before any record runs: the
            // invocation fails and the ESM delivers the batch again, so nothing is lost either.
            if (error instanceof InvalidEventError) {
              expect(summaries).toEqual([]);
              return;
            }
          }
          const s = summaries[0]!;
          expect(s.succeeded + s.failed + s.skipped + s.unprocessed).toBe(records.length);
        },
      ),
      { numRuns: RUNS },
    );
    // 10,000 handler runs: seconds on a loaded 2-core machine; the bound is the runs, not the time.
  }, 60_000);

  it('replays the committed corpus of malformed events: typed errors only', () => {
    const corpus = JSON.parse(
      readFileSync(new URL('./corpus/malformed-events.json', import.meta.url), 'utf8'),
    ) as Array<{
      name: string;
      event: unknown;
    }>;
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    for (const { name, event } of corpus) {
      let outcome = 'ok';
      try {
        for (const partition of parseKafkaEvent(event)) void partition.records.length;
      } catch (error) {
        expect(error, name).toBeInstanceOf(KafkaLambdaError);
        outcome = 'typed';
      }
      expect(outcome, name).toBe('typed');
    }
  });
});
