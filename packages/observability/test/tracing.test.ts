import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';
import {
  KAFKA_SPAN_ATTRIBUTES as A,
  kafkaTracing,
  recordCreationContext,
} from '@kafka-lambda/observability/tracing';
import { lambdaContext, memoryProducer, mskEvent } from '@kafka-lambda/testing';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

// The user's side of the setup, as the Node SDK or the Lambda layer does it: a provider, the W3C
// propagator and a context manager. The SDK under test is handed the provider and propagator; the
// context manager is the API's global one (what `context.with` needs), registered for this file only.
const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const propagator = new W3CTraceContextPropagator();
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => exporter.reset());

const silent = jsonLogger({ level: 'silent' });
const UPSTREAM_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = (spanId: string, trace = UPSTREAM_TRACE) => `00-${trace}-${spanId}-01`;
const spans = () => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((s) => s.name === name);
const batchSpan = () => {
  const found = spans().filter(
    (s) => s.name.startsWith('process') && s.kind === SpanKind.CONSUMER && !s.parentSpanContext,
  );
  expect(found).toHaveLength(1);
  return found[0]!;
};
const header = (message: { headers: { getString(name: string): string | undefined } }, name: string) =>
  message.headers.getString(name);

describe('kafkaTracing: the batch span', () => {
  it('is a CONSUMER `process <topic>` span with the Kafka attributes, linked to every record with a valid traceparent', async () => {
    const handler = createKafkaHandler({
      logger: silent,
      use: [kafkaTracing({ tracerProvider, propagator, consumerGroup: 'settlement' })],
      process() {},
    });
    const event = mskEvent(
      [
        { value: 'a', headers: { traceparent: traceparent('00f067aa0ba902b7'), tracestate: 'vendor=x' } },
        { value: 'b' }, // no headers
        { value: 'c', headers: { traceparent: 'not-a-traceparent' } },
        {
          value: 'd',
          headers: [
            ['other', 'x'],
            ['traceparent', traceparent('a3ce929d0e0e4736')],
          ],
        },
      ],
      { topic: 'trades', bootstrapServers: ['b-1.demo:9098', 'b-2.demo:9098'] },
    );
    await handler(event, lambdaContext({ awsRequestId: 'req-1' }));
    const span = batchSpan();
    expect(span.name).toBe('process trades');
    expect(span.attributes).toMatchObject({
      [A.system]: 'kafka',
      [A.operationType]: 'process',
      [A.operationName]: 'process',
      [A.destinationName]: 'trades',
      [A.partitionId]: '0',
      [A.batchMessageCount]: 4,
      [A.consumerGroup]: 'settlement',
      [A.serverAddress]: 'b-1.demo',
      [A.faasInvocationId]: 'req-1',
      'kafka_lambda.batch.succeeded': 4,
      'kafka_lambda.batch.failed': 0,
    });
    expect(
      span.links.map((l) => [l.context.traceId, l.context.spanId, l.context.traceState?.serialize()]),
    ).toEqual([
      [UPSTREAM_TRACE, '00f067aa0ba902b7', 'vendor=x'],
      [UPSTREAM_TRACE, 'a3ce929d0e0e4736', undefined],
    ]);
    expect(span.links[0]!.context.isRemote).toBe(true);
    expect(span.links[0]!.attributes).toEqual({
      [A.destinationName]: 'trades',
      [A.partitionId]: '0',
      [A.offset]: 100,
    });
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('names no destination nor partition for a batch of several topics, and caps the links at maxLinks', async () => {
    const handler = createKafkaHandler({
      logger: silent,
      use: [kafkaTracing({ tracerProvider, propagator, maxLinks: 2 })],
      process() {},
    });
    const headers = { traceparent: traceparent('00f067aa0ba902b7') };
    await handler(
      mskEvent([
        { topic: 'a', value: '1', headers },
        { topic: 'b', value: '2', headers },
        { topic: 'b', partition: 3, value: '3', headers },
      ]),
      lambdaContext(),
    );
    const span = batchSpan();
    expect(span.name).toBe('process');
    expect(span.attributes[A.destinationName]).toBeUndefined();
    expect(span.attributes[A.partitionId]).toBeUndefined();
    expect(span.links).toHaveLength(2);
    expect(span.attributes[A.linksDropped]).toBe(1);
  });

  it('is a child of the active context (e.g. the Lambda layer’s invocation span) and records a failed invocation as an error', async () => {
    const handler = createKafkaHandler({
      logger: silent,
      onError: 'retry-batch',
      use: [kafkaTracing({ tracerProvider, propagator })],
      process() {
        throw new TypeError('boom');
      },
    });
    const invocation = tracerProvider.getTracer('test').startSpan('invocation');
    await expect(
      context.with(trace.setSpan(context.active(), invocation), () =>
        handler(mskEvent([{ value: 'x' }], { topic: 't' }), lambdaContext()),
      ),
    ).rejects.toThrow();
    invocation.end();
    const span = named('process t')[0]!;
    expect(span.parentSpanContext?.spanId).toBe(invocation.spanContext().spanId);
    expect(span.spanContext().traceId).toBe(invocation.spanContext().traceId);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[A.errorType]).toBe('RecordProcessingError');
    expect(span.events.map((e) => e.name)).toContain('exception');
  });
});

describe('kafkaTracing: produced messages and per-record spans', () => {
  it('every produced message carries the batch span’s context; one that set its own traceparent keeps it', async () => {
    const producer = memoryProducer();
    const handler = createKafkaHandler({
      logger: silent,
      producer,
      use: [kafkaTracing({ tracerProvider, propagator })],
      process(record, { produce }) {
        produce({ topic: 'out', key: record.key, value: 'plain' });
        produce({
          topic: 'out',
          key: record.key,
          value: 'own',
          headers: { traceparent: traceparent('1111111111111111') },
        });
      },
    });
    await handler(
      mskEvent([{ key: 'k', value: 'v', headers: { traceparent: traceparent('00f067aa0ba902b7') } }], {
        topic: 'in',
      }),
      lambdaContext(),
    );
    const span = batchSpan();
    const [plain, own] = producer.messagesFor('out');
    expect(header(plain!, 'traceparent')).toBe(
      `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
    );
    expect(plain!.headers.getAll('traceparent')).toHaveLength(1);
    expect(header(own!, 'traceparent')).toBe(traceparent('1111111111111111'));
  });

  it('recordSpans: a span per record, child of the batch span, linked to its creation context; process() runs in it and its outputs carry it', async () => {
    const producer = memoryProducer();
    const active: Array<string | undefined> = [];
    const handler = createKafkaHandler({
      value: json<{ n: number }>(),
      logger: silent,
      producer,
      use: [kafkaTracing({ tracerProvider, propagator, recordSpans: true })],
      async process(record, { produce }) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        active.push(trace.getActiveSpan()?.spanContext().spanId);
        if (record.value.n === 2) throw new RangeError('n is 2');
        produce({ topic: 'out', key: null, value: String(record.value.n) });
      },
    });
    await handler(
      mskEvent(
        [
          { value: { n: 1 }, headers: { traceparent: traceparent('00f067aa0ba902b7') } },
          { value: { n: 2 } },
          { value: null },
        ],
        { topic: 'in' },
      ),
      lambdaContext(),
    );
    const batch = batchSpan();
    // A span ends with its record's outcome: a record that produced ends once its outputs are acknowledged.
    const records = spans()
      .filter((s) => s.parentSpanContext?.spanId === batch.spanContext().spanId && s.name === 'process in')
      .sort((a, b) => Number(a.attributes[A.offset]) - Number(b.attributes[A.offset]));
    expect(records.map((s) => s.attributes[A.offset])).toEqual([100, 101, 102]);
    const [first, second, tombstone] = records as [ReadableSpan, ReadableSpan, ReadableSpan];
    expect(first.kind).toBe(SpanKind.CONSUMER);
    expect(first.links.map((l) => l.context.spanId)).toEqual(['00f067aa0ba902b7']);
    expect(first.attributes[A.outcome]).toBe('succeeded');
    expect(second.links).toEqual([]);
    expect(second.attributes[A.outcome]).toBe('failed');
    expect(second.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'n is 2' });
    expect(second.attributes[A.errorType]).toBe('RangeError');
    expect(tombstone.attributes).toMatchObject({ [A.outcome]: 'skipped', [A.tombstone]: true });
    // process() ran in its record's span (across an await), so the user's own spans nest under it.
    expect(active).toEqual([first.spanContext().spanId, second.spanContext().spanId]);
    const [out] = producer.messagesFor('out');
    expect(out!.headers.getString('traceparent')).toBe(
      `00-${first.spanContext().traceId}-${first.spanContext().spanId}-01`,
    );
  });

  it('a dead letter keeps the original record’s traceparent (its creation context), not the handler’s', async () => {
    const producer = memoryProducer();
    const handler = createKafkaHandler({
      logger: silent,
      producer,
      onError: 'dead-letter',
      deadLetterTopic: 'dlq',
      use: [kafkaTracing({ tracerProvider, propagator, recordSpans: true })],
      process() {
        throw new Error('bad');
      },
    });
    const original = traceparent('00f067aa0ba902b7');
    await handler(
      mskEvent([{ value: 'v', headers: { traceparent: original, tracestate: 'vendor=x' } }]),
      lambdaContext(),
    );
    const [letter] = producer.messagesFor('dlq');
    expect(letter!.headers.getString('traceparent')).toBe(original);
    expect(letter!.headers.getString('tracestate')).toBe('vendor=x');
  });

  it('a flush span under the batch span times the wait for delivery reports', async () => {
    const producer = memoryProducer();
    const handler = createKafkaHandler({
      logger: silent,
      producer,
      use: [kafkaTracing({ tracerProvider, propagator })],
      process(_record, { produce }) {
        produce({ topic: 'out', key: null, value: 'x' });
      },
    });
    await handler(mskEvent([{ value: 'a' }, { value: 'b' }]), lambdaContext());
    const [flush] = named('flush');
    expect(flush!.parentSpanContext?.spanId).toBe(batchSpan().spanContext().spanId);
    expect(flush!.attributes[A.batchMessageCount]).toBe(2);
  });

  it('recordCreationContext reads a record’s creation context for the user’s own spans', async () => {
    let spanId: string | undefined;
    const handler = createKafkaHandler({
      logger: silent,
      process(record) {
        spanId = trace.getSpanContext(recordCreationContext(record, propagator))?.spanId;
      },
    });
    await handler(
      mskEvent([{ value: 'v', headers: { traceparent: traceparent('00f067aa0ba902b7') } }]),
      lambdaContext(),
    );
    expect(spanId).toBe('00f067aa0ba902b7');
  });
  it('a propagator that throws on inject leaves the outputs without trace headers; the records still succeed', async () => {
    const producer = memoryProducer();
    const broken = {
      inject() {
        throw new Error('propagator bug');
      },
      extract: propagator.extract.bind(propagator),
      fields: () => propagator.fields(),
    };
    const handler = createKafkaHandler({
      logger: silent,
      producer,
      use: [kafkaTracing({ tracerProvider, propagator: broken })],
      process(_record, { produce }) {
        produce({ topic: 'out', key: null, value: 'x' });
      },
    });
    await handler(mskEvent([{ value: 'a' }]), lambdaContext());
    const [out] = producer.messagesFor('out');
    expect(out!.headers.getString('traceparent')).toBeUndefined();
    expect(batchSpan().attributes['kafka_lambda.batch.succeeded']).toBe(1);
  });
});

describe('kafkaTracing: options', () => {
  it('rejects what is not a provider, a propagator, a group or a link count', () => {
    expect(() => kafkaTracing({ tracerProvider: {} as never })).toThrow(/tracerProvider/);
    expect(() => kafkaTracing({ propagator: { extract() {} } as never })).toThrow(/propagator/);
    expect(() => kafkaTracing({ consumerGroup: '' })).toThrow(/consumerGroup/);
    expect(() => kafkaTracing({ maxLinks: -1 })).toThrow(/maxLinks/);
    expect(() => kafkaTracing({ maxLinks: 1.5 })).toThrow(
      expect.objectContaining({ name: 'ObservabilityConfigError' }),
    );
  });
});
