// The handler keeps one specimen of each class an invocation makes, so that a major GC between
// invocations does not free their hidden classes and the optimized code built on them (issue 25's
// "right after a major GC" budget, bench/src/realistic.ts). What is checked here: the specimens have
// the very hidden classes of a real invocation's objects (V8's %HaveSameMap), and making them runs
// no user code.
import { setFlagsFromString } from 'node:v8';
import {
  type BatchMiddleware,
  createKafkaHandler,
  type Deserializer,
  type KafkaRecord,
  type ProcessContext,
  string,
} from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { describe, expect, it } from 'vitest';
import { Batch } from '../src/batch/batch.js';
import { ShapeKeeper } from '../src/batch/shape-keeper.js';
import { headerBytesOf, parseKafkaEvent } from '../src/event/event.js';
import { KafkaHeaders } from '../src/event/headers.js';
import { resolveSettings } from '../src/handler/settings.js';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { ScriptedProducer } from './support/scripted-producer.js';

setFlagsFromString('--allow-natives-syntax');
/** V8's own answer: do the two objects have the same hidden class (map)? */
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** An event as the runtime hands it over (parsed from JSON): headers, offsets past 2^31, two partitions. */
function realEvent(): KafkaEvent {
  const records = [0, 1, 2, 3].map((i) =>
    eventRecord('orders', i % 2, (i < 2 ? 5 : 3_000_000_000) + i, `{"id":${i}}`, {
      headers: [{ traceparent: [48, 49, -1] }],
    }),
  );
  return JSON.parse(JSON.stringify(mskEvent(records))) as KafkaEvent;
}

describe('ShapeKeeper', () => {
  it('keeps specimens with the hidden classes of the objects a real invocation makes', async () => {
    const seen: Array<{ record: KafkaRecord<string, string>; ctx: ProcessContext; headers: KafkaHeaders }> =
      [];
    const options = {
      value: string(),
      logger: silentLogger,
      process(record: KafkaRecord<string, string>, ctx: ProcessContext) {
        void record.key;
        for (const [, value] of record.headers) void value.length;
        seen.push({ record, ctx, headers: record.headers });
      },
    };
    const handler = createKafkaHandler(options);
    const [batch, , record, headerBytes, recordContext] = new ShapeKeeper(resolveSettings(options))
      .specimens as [Batch, unknown, KafkaRecord<unknown, unknown>, object, object];
    await handler(realEvent(), context());
    expect(seen).toHaveLength(4);
    for (const real of seen) {
      expect(sameMap(record, real.record)).toBe(true);
      expect(sameMap(recordContext, real.ctx)).toBe(true);
      // A record without headers answers KafkaHeaders.EMPTY, which keeps the class alive.
      expect(sameMap(KafkaHeaders.EMPTY, real.headers)).toBe(true);
    }
    const partitions = parseKafkaEvent(realEvent());
    expect(sameMap(headerBytes, headerBytesOf(partitions[0]!)!)).toBe(true);
    // A batch that ran to its end (summary, outcomes, deadline read per record) has the specimen's class.
    const settings = resolveSettings(options);
    const real = new Batch(settings, context(), realEvent(), partitions);
    await real.run(partitions);
    expect(sameMap(batch, real)).toBe(true);
  });

  it('makes its specimens without running process, a deserializer, a middleware or the producer', async () => {
    const calls: string[] = [];
    const value: Deserializer<string> = {
      deserialize: (bytes) => {
        calls.push('deserialize');
        return bytes.toString();
      },
    };
    const observer: BatchMiddleware = {
      name: 'observer',
      startBatch: () => {
        calls.push('startBatch');
        return undefined;
      },
      before: () => {
        calls.push('before');
      },
      after: () => {
        calls.push('after');
      },
    };
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value,
      producer,
      logger: silentLogger,
      use: [observer],
      process: () => {
        calls.push('process');
      },
    });
    expect(calls).toEqual([]);
    expect([producer.enqueued.length, producer.flushes]).toEqual([0, 0]);
    // Specimens are rebuilt after the 1st, 2nd and 4th invocation: still only the real calls.
    const event = mskEvent([eventRecord('t', 0, 1, 'v')]);
    for (let i = 0; i < 4; i++) await handler(event, context());
    const perInvocation = ['startBatch', 'before', 'deserialize', 'process', 'after'];
    expect(calls).toEqual([...perInvocation, ...perInvocation, ...perInvocation, ...perInvocation]);
    expect([producer.enqueued.length, producer.flushes]).toEqual([0, 0]);
  });

  it('rebuilds its specimens at the 1st, 2nd, 4th … 1,024th invocation, then every 1,024th', () => {
    const keeper = new ShapeKeeper(resolveSettings({ logger: silentLogger, process() {} }));
    const rebuiltAt: number[] = [];
    for (let n = 1; n <= 4_096; n++) {
      const before = keeper.specimens;
      keeper.invocationEnded();
      if (keeper.specimens !== before) rebuiltAt.push(n);
    }
    expect(rebuiltAt).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024, 2_048, 3_072, 4_096]);
  });
});
