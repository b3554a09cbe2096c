// Issue 23, finding 10: hostile shapes of a Confluent Lambda Sink Connector invocation. A malformed
// envelope (not an array, an element without a payload object, a record that cannot be placed: no
// topic, a partition or offset that is not a safe non-negative integer, offsets out of order) fails
// the invocation with an InvalidEventError naming the element; a record that can be placed but is
// bad itself (no value, a timestamp that is not a number) fails alone, under the policy, with a
// RecordDecodeError naming its topic, partition and offset; everything else is processed, once.
import { createKafkaHandler, type Deserializer, hooks, RecordDecodeError } from '@kafka-lambda/core';
import { InvalidEventError } from '@kafka-lambda/core/errors';
import { sinkConnector, sinkPayloadBytes } from '@kafka-lambda/core/events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { context, silentLogger } from './fixtures.js';

const RUNS = 1_000;

/** What an element is to the oracle. */
type Expect =
  | { kind: 'envelope' }
  | { kind: 'record-defect'; topic: string; partition: number; offset: number }
  | { kind: 'ok'; topic: string; partition: number; offset: number; text: string | null };

interface Element {
  readonly element: unknown;
  readonly expect: Expect;
}

const converted = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string(),
  fc.constant(null),
  fc.integer(),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const topics = fc.constantFrom('trades', 'user-trades.v1', 'a-1', 'x.y-z-0', 'constructor', '__proto__');

/** A well-formed payload, its offset placed later (offsets must rise per partition). */
const goodPayload = fc.record({
  topic: topics,
  partition: fc.nat({ max: 2 }),
  timestamp: fc.oneof(fc.nat(), fc.constant(null)),
  key: fc.option(converted, { nil: undefined }),
  value: converted,
  extra: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 })), {
    nil: undefined,
  }),
});

/** How an element is spoiled, if it is. */
const spoil = fc.constantFrom(
  'none',
  'none',
  'none',
  'none',
  'no-value',
  'timestamp-string',
  'timestamp-missing',
  'offset-string',
  'offset-unsafe',
  'partition-string',
  'topic-missing',
  'no-payload',
  'payload-array',
  'not-an-object',
  'null-element',
);

function build(payloads: ReadonlyArray<{ payload: Record<string, unknown>; spoil: string }>): Element[] {
  const next = new Map<string, number>();
  return payloads.map(({ payload, spoil }) => {
    const p = { ...payload } as Record<string, unknown>;
    const topic = p.topic as string;
    const partition = p.partition as number;
    const group = `${topic}-${partition}`;
    const offset = (next.get(group) ?? 100) + 1;
    const extra = p.extra as Record<string, unknown> | undefined;
    delete p.extra;
    p.offset = offset;
    // Fields the connector may add one day: ignored (defined, so that `__proto__` is a field too).
    for (const [name, value] of Object.entries(extra ?? {}))
      if (!Object.hasOwn(p, name)) Object.defineProperty(p, name, { value, enumerable: true });
    const ok = (): Expect => {
      next.set(group, offset);
      return { kind: 'ok', topic, partition, offset, text: textOf(p.value) };
    };
    const defect = (): Expect => {
      next.set(group, offset);
      return { kind: 'record-defect', topic, partition, offset };
    };
    const envelope: Expect = { kind: 'envelope' };
    switch (spoil) {
      case 'no-value':
        delete p.value;
        return { element: { payload: p }, expect: defect() };
      case 'timestamp-string':
        p.timestamp = 'yesterday';
        return { element: { payload: p }, expect: defect() };
      case 'timestamp-missing':
        delete p.timestamp;
        return { element: { payload: p }, expect: ok() };
      case 'offset-string':
        p.offset = String(offset);
        return { element: { payload: p }, expect: envelope };
      case 'offset-unsafe':
        p.offset = 2 ** 53 + 2;
        return { element: { payload: p }, expect: envelope };
      case 'partition-string':
        p.partition = String(partition);
        return { element: { payload: p }, expect: envelope };
      case 'topic-missing':
        delete p.topic;
        return { element: { payload: p }, expect: envelope };
      case 'no-payload':
        return { element: { value: p.value }, expect: envelope };
      case 'payload-array':
        return { element: { payload: [p] }, expect: envelope };
      case 'not-an-object':
        return { element: 'record', expect: envelope };
      case 'null-element':
        return { element: null, expect: envelope };
      default:
        return { element: { payload: p }, expect: ok() };
    }
  });
}

function textOf(value: unknown): string | null {
  const bytes = sinkPayloadBytes(value);
  return bytes === null ? null : Buffer.from(bytes, 'base64').toString('utf8');
}

const text: Deserializer<string> = { deserialize: (bytes) => bytes.toString('utf8') };

const scenario = fc
  .array(fc.record({ payload: goodPayload, spoil }), { minLength: 1, maxLength: 8 })
  .map((list) => build(list as Array<{ payload: Record<string, unknown>; spoil: string }>));

describe('a Sink Connector invocation of any shape', () => {
  it('fails whole only for a malformed envelope, a bad record alone, and processes the rest once', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (elements) => {
        const processed: Array<{ at: string; text: string | null }> = [];
        const failed: Array<{ at: string; error: Error }> = [];
        const handler = createKafkaHandler({
          value: text,
          tombstones: 'process',
          onError: { policy: 'log', allFailedAlike: 'apply-policy' },
          logger: silentLogger,
          use: [
            sinkConnector(),
            hooks({
              onRecordError: (error, record) =>
                void failed.push({ at: `${record.topic}-${record.partition}@${record.offset}`, error }),
            }),
          ],
          process: (record) =>
            void processed.push({
              at: `${record.topic}-${record.partition}@${record.offset}`,
              text: record.value,
            }),
        });
        const event = JSON.parse(JSON.stringify(elements.map((e) => e.element)));
        const outcome = await handler(event, context()).then(
          () => undefined,
          (error: unknown) => error,
        );

        const firstBad = elements.findIndex((e) => e.expect.kind === 'envelope');
        if (firstBad >= 0) {
          expect(outcome).toBeInstanceOf(InvalidEventError);
          expect((outcome as InvalidEventError).path).toMatch(new RegExp(`^\\[${firstBad}\\]`));
          expect(processed).toEqual([]);
          return;
        }
        expect(outcome).toBeUndefined();
        const at = (e: Expect & { topic: string; partition: number; offset: number }) =>
          `${e.topic}-${e.partition}@${e.offset}`;
        const oks = elements.flatMap((e) => (e.expect.kind === 'ok' ? [e.expect] : []));
        const defects = elements.flatMap((e) => (e.expect.kind === 'record-defect' ? [e.expect] : []));
        expect(new Set(processed.map((p) => p.at))).toEqual(new Set(oks.map(at)));
        expect(processed).toHaveLength(oks.length);
        for (const ok of oks) expect(processed.find((p) => p.at === at(ok))?.text).toEqual(ok.text);
        expect(failed.map((f) => f.at).sort()).toEqual(defects.map(at).sort());
        for (const { at: where, error } of failed) {
          expect(error).toBeInstanceOf(RecordDecodeError);
          expect(error.message).toContain(where);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
