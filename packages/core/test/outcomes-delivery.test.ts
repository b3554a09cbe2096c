// The delivery accounting of a batch as a user and an operator see it: which refusals fail a record
// and which fail the invocation, what the oversized re-send sends again, what a flush that times out
// names, what the summary's flushMs counts, what observers are told, and that nothing a report says
// after the invocation ended changes it. Written against the mutation run's survivors in
// delivery-ledger.ts, delivery-phase.ts, oversized-retry.ts and batch-verdict.ts (issue 23).
import {
  type BatchSummary,
  createKafkaHandler,
  hooks,
  type KafkaProducer,
  type KafkaRecord,
  type ProcessContext,
  string,
} from '@kafka-lambda/core';
import { DeliveryError, FlushTimeoutError } from '@kafka-lambda/core/errors';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, settle, sleep } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';
import { deliveryError, ScriptedProducer } from './support/scripted-producer.js';

const tooLarge = () => deliveryError('Broker: Message size too large', 10, true);
const refusedForGood = () => deliveryError('Broker: Topic authorization failed', 29, true);
const transient = () => deliveryError('Local: Message timed out', -192);

const event = (...values: string[]) => mskEvent(values.map((value, i) => eventRecord('in', 0, i, value)));

/** `x*20` is twenty x: a record's value stays small (its dead letter fits) while its output is not. */
const expand = (payload: string) =>
  payload.replace(/^(.)\*(\d+)$/, (_, c: string, n: string) => c.repeat(Number(n)));

/** A handler whose records produce, for each `topic:payload` of their value, `payload` to `topic`. */
function producing(producer: KafkaProducer, options: Record<string, unknown> = {}) {
  const summaries: BatchSummary[] = [];
  const ends: Array<[number, string]> = [];
  const flushes: Array<{ messages: number; error: Error | undefined }> = [];
  const logger = captureLogger();
  const handler = createKafkaHandler({
    value: string(),
    producer,
    logger,
    onError: { policy: 'dead-letter', topic: 'dlq', allFailedAlike: 'apply-policy' },
    use: [
      hooks({ onBatchEnd: (summary: BatchSummary) => void summaries.push({ ...summary }) }),
      {
        name: 'observer',
        startBatch: () => ({
          recordEnd: (record, outcome) => void ends.push([record.offset, outcome]),
          flush: ({ messages, error }) => void flushes.push({ messages, error }),
        }),
      },
    ],
    process(record, { produce }) {
      for (const part of record.value.split(',')) {
        const [topic, payload = ''] = part.split(':');
        produce({ topic: topic!, value: expand(payload) });
      }
    },
    ...options,
  });
  return { handler, summaries, ends, flushes, logger };
}

const sent = (producer: ScriptedProducer, topic: string) =>
  producer.enqueued.filter((m) => m.topic === topic).map((m) => m.value?.toString());

describe('the oversized re-send sends again only what a too-large record batch refused', () => {
  it('outputs refused for good for another reason are not sent again: their records are dead-lettered', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) => (m.topic === 'locked' ? refusedForGood() : undefined);
    const { handler } = producing(producer);
    await handler(event('locked:a', 'locked:b'), context());
    expect(sent(producer, 'locked')).toEqual(['a', 'b']);
    expect(producer.delivered.filter((m) => m.topic === 'dlq')).toHaveLength(2);
  });

  it('a transient size error is not sent again alone: the invocation fails to be retried', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) =>
      m.topic === 'out' ? deliveryError('Broker: Message size too large', 10, false) : undefined;
    const { handler } = producing(producer);
    const { error } = await settle(handler(event('out:a', 'out:b'), context()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(sent(producer, 'out')).toEqual(['a', 'b']);
    expect(sent(producer, 'dlq')).toEqual([]);
  });

  it('dead letters refused as too large are not sent again as outputs: the invocation fails', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) => (m.topic === 'dlq' ? tooLarge() : undefined);
    const { handler } = producing(producer, {
      process() {
        throw new Error('poison');
      },
    });
    const { error } = await settle(handler(event('a', 'b'), context()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(producer.enqueued.map((m) => m.topic)).toEqual(['dlq', 'dlq']);
  });

  it('a message refused alone is too large: its record fails, its dead letter is delivered', async () => {
    const producer = new ScriptedProducer();
    producer.topicMaxBytes = 10;
    const { handler } = producing(producer);
    await handler(event('out:x*20'), context());
    // Whether it is sent again alone first is the engine's choice (see the model's N3): not pinned here.
    expect(producer.delivered.filter((m) => m.topic === 'out')).toEqual([]);
    expect(producer.delivered.filter((m) => m.topic === 'dlq')).toHaveLength(1);
  });

  it("another message's failure in the same wait is still decided: the invocation fails on it", async () => {
    const producer = new ScriptedProducer();
    producer.topicMaxBytes = 10;
    producer.failWhen = (m) => (m.topic === 'flaky' ? transient() : undefined);
    const { handler } = producing(producer, {
      async process(record: KafkaRecord<unknown, string>, { produce }: ProcessContext) {
        // The flaky one a turn later: it travels in a record batch of its own.
        if (record.value.startsWith('flaky')) await sleep(1);
        const [topic, payload] = record.value.split(':');
        produce({ topic: topic!, value: expand(payload!) });
      },
    });
    const { error } = await settle(handler(event('out:ok', 'out:x*20', 'flaky:f'), context()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failures.map((f) => f.topic)).toEqual(['flaky']);
  });

  it('a re-send still unconfirmed at the deadline fails the invocation with the flush timeout', async () => {
    const producer = new ScriptedProducer();
    producer.topicMaxBytes = 10;
    let resends = 0;
    producer.holdWhen = (m) => m.value?.toString() === 'ok' && ++resends === 2;
    const { handler } = producing(producer);
    const { error } = await settle(handler(event('out:ok', 'out:x*20'), context(900)));
    expect(error).toBeInstanceOf(FlushTimeoutError);
    expect(producer.delivered.filter((m) => m.topic === 'dlq')).toEqual([]);
  });
});

describe('the summary and the observers', () => {
  it('flushMs counts the time waited for reports, re-sends included, and never exceeds the batch', async () => {
    const producer = new ScriptedProducer();
    producer.topicMaxBytes = 10;
    let okSends = 0;
    // The healthy message's re-send is answered only 60 ms after it was sent.
    producer.holdWhen = (m) => {
      const held = m.value?.toString() === 'ok' && ++okSends === 2;
      if (held) setTimeout(() => producer.release(), 60);
      return held;
    };
    const { handler, summaries } = producing(producer);
    await handler(event('out:ok', 'out:x*20'), context());
    const [summary] = summaries;
    expect(summary!.flushMs).toBeGreaterThanOrEqual(55);
    expect(summary!.flushMs).toBeLessThanOrEqual(summary!.durationMs);
  });

  it('flushMs of a plain batch is the wait for its reports, counted once', async () => {
    const producer = new ScriptedProducer();
    // Answered 60 ms after it was sent.
    producer.holdWhen = () => {
      setTimeout(() => producer.release(), 60);
      return true;
    };
    const { handler, summaries } = producing(producer);
    await handler(event('out:a'), context());
    const [summary] = summaries;
    expect(summary!.flushMs).toBeGreaterThanOrEqual(55);
    expect(summary!.flushMs).toBeLessThanOrEqual(summary!.durationMs);
  });

  it('a batch that produced nothing observes no flush; one that produced observes one', async () => {
    const producer = new ScriptedProducer();
    const quiet = producing(producer, { process() {} });
    await quiet.handler(event('a'), context());
    expect(quiet.flushes).toEqual([]);
    const busy = producing(producer);
    await busy.handler(event('out:a', 'out:b'), context());
    expect(busy.flushes).toEqual([{ messages: 2, error: undefined }]);
  });

  it('a record whose output failed transiently ends unprocessed', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) => (m.topic === 'flaky' ? transient() : undefined);
    const { handler, ends } = producing(producer, { onError: 'report' });
    const { result } = await settle(handler(event('out:a', 'flaky:b'), context()));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 1 } }] });
    expect(ends.sort()).toEqual([
      [0, 'succeeded'],
      [1, 'unprocessed'],
    ]);
  });
});

describe('which failures fail the invocation', () => {
  it('a record with one output refused for good and another refused transiently comes again, not dead-lettered', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) =>
      m.topic === 'locked' ? refusedForGood() : m.topic === 'flaky' ? transient() : undefined;
    const { handler } = producing(producer);
    const { error } = await settle(handler(event('locked:a,flaky:b'), context()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(sent(producer, 'dlq')).toEqual([]);
  });

  it('when a transient failure fails the invocation, no dead letter is written for the records refused for good', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) =>
      m.topic === 'locked' ? refusedForGood() : m.topic === 'flaky' ? transient() : undefined;
    const { handler } = producing(producer);
    const { error } = await settle(handler(event('flaky:a', 'locked:b'), context()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(sent(producer, 'dlq')).toEqual([]);
  });

  it('every transient failure of the batch is in the one DeliveryError', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) => (m.topic === 'flaky' ? transient() : undefined);
    const { handler } = producing(producer);
    const { error } = await settle(handler(event('flaky:a', 'flaky:b'), context()));
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failures.map((f) => f.source)).toEqual([
      { topic: 'in', partition: 0, offset: 0 },
      { topic: 'in', partition: 0, offset: 1 },
    ]);
  });

  it('a dead letter that is not delivered: an ERROR line naming the record and the dead-letter topic', async () => {
    const producer = new ScriptedProducer();
    producer.failWhen = (m) => (m.topic === 'dlq' ? transient() : undefined);
    const { handler, logger } = producing(producer, {
      process() {
        throw new Error('poison');
      },
    });
    const { error } = await settle(handler(event('a'), context()));
    expect(error).toBeInstanceOf(DeliveryError);
    const line = logger.at('error').find((l) => /dead letter was not delivered/.test(l.message));
    expect(line?.fields).toMatchObject({ topic: 'in', partition: 0, offset: 0, deadLetterTopic: 'dlq' });
  });
});

/** Holds every message; when the batch gives up (its signal), reports each with the reason the client had. */
function unreachableProducer(...reasons: Error[]): ScriptedProducer {
  const producer = new ScriptedProducer();
  producer.unreachable = () => reasons.shift() ?? new Error('Local: Message timed out');
  return producer;
}

/** Refuses every message at once with `error`, as the producer does when it cannot connect. */
function refusingProducer(error: () => Error): ScriptedProducer {
  const producer = new ScriptedProducer();
  producer.failWhen = error;
  return producer;
}

const connectionError = (definitive: boolean, name = 'ProducerConnectionError') =>
  Object.assign(new Error('no broker reachable at b-1.demo:9092 (connection refused)'), { name, definitive });

describe('a producer that has nothing to connect to', () => {
  it('fails the invocation with its definitive connection error, even under report', async () => {
    const refusal = connectionError(true);
    const { handler } = producing(
      refusingProducer(() => refusal),
      { onError: 'report' },
    );
    const { error } = await settle(handler(event('out:a', 'out:b'), context()));
    expect(error).toBe(refusal);
  });

  it('a connection error that may pass, or another definitive error, hands the records back (report)', async () => {
    for (const refusal of [connectionError(false), connectionError(true, 'KafkaJSConnectionError')]) {
      const { handler } = producing(
        refusingProducer(() => refusal),
        { onError: 'report' },
      );
      const { result, error } = await settle(handler(event('out:a', 'out:b'), context()));
      expect(error).toBeUndefined();
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 0 } }] });
    }
  });
});

describe('deliveries that do not finish in time', () => {
  it("fail the invocation with the producer's own reason when it could not connect, and say so in an ERROR line", async () => {
    const connection = Object.assign(new Error('could not connect to b-1.demo:9092'), {
      name: 'ProducerConnectionError',
    });
    const producer = unreachableProducer(new Error('Local: Message timed out'), connection);
    const { handler, logger } = producing(producer, { onError: 'retry-batch' });
    const { error } = await settle(handler(event('out:a', 'out:b'), context(800)));
    expect(error).toBe(connection);
    const line = logger.at('error').find((l) => /deliveries did not finish in time/.test(l.message));
    expect(line?.fields.error).toBe(connection);
  });

  it('name the topics still waiting, and only those', async () => {
    const producer = new ScriptedProducer();
    let heldOnce = false;
    // The first message to 'slow' is never answered; everything else is.
    producer.holdWhen = (m) => m.topic === 'slow' && !heldOnce && (heldOnce = true);
    const { handler } = producing(producer);
    const { error } = await settle(handler(event('slow:1,fast:2,slow:3'), context(800)));
    expect(error).toBeInstanceOf(FlushTimeoutError);
    expect(error).toMatchObject({ pending: 1, topics: ['slow'] });
    expect(error!.message).toMatch(/1 message\(s\) unconfirmed \(to slow\)$/);
  });

  it('a report that comes after the invocation failed changes nothing: no record ends after the batch', async () => {
    const producer = new ScriptedProducer();
    producer.holdWhen = () => true;
    const { handler, ends, summaries } = producing(producer);
    const { error } = await settle(handler(event('out:a'), context(800)));
    expect(error).toBeInstanceOf(FlushTimeoutError);
    const endsBefore = [...ends];
    producer.release();
    await sleep(5);
    expect(ends).toEqual(endsBefore);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ produced: 0 });
    // The wait that timed out is counted once.
    expect(summaries[0]!.flushMs).toBeLessThanOrEqual(summaries[0]!.durationMs);
  });

  it('leave no timer behind once the reports are in', async () => {
    const producer = new ScriptedProducer();
    producer.holdWhen = () => true;
    const { handler } = producing(producer);
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    setTimeout(() => producer.release(), 5);
    await handler(event('out:a'), context(60_000));
    await sleep(1);
    // At most as many as before (a timer of an earlier test may have fired meanwhile), never one more.
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
