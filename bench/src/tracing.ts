import { createKafkaHandler, json, jsonLogger, type KafkaProducer } from '@kafka-lambda/core';
import { kafkaMetrics } from '@kafka-lambda/observability/metrics';
import { kafkaTracing } from '@kafka-lambda/observability/tracing';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { DECODE } from './config.js';
import { lambdaContext, makeEvent, makeTrade, noop } from './fixtures.js';
import { fmt, type Report } from './report.js';
import { type Contender, pairedRatio, summarize, timeRounds } from './stats.js';

const OFF = 'no instrumentation';

/** Spans go through the SDK's batch processor to an exporter that drops them: the SDK's cost, not the network's. */
const dropAll: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

/** Acknowledges every message at once: what is timed is the handler's side of producing. */
const instantProducer: KafkaProducer = {
  send: async (m) => ({ topic: m.topic, partition: 0, offset: 0 }),
  enqueue: (m, onDelivery) => onDelivery(undefined, { topic: m.topic, partition: 0, offset: 0 }, m),
  flush: async () => {},
  close: async () => {},
};

/**
 * Overhead of tracing and metrics on a 10,000-record JSON batch whose records all carry a `traceparent`
 * header. `process` does what users do: reads key, value and headers, and produces one message per
 * record (which tracing stamps with the trace context). The OpenTelemetry SDK is set up as a Lambda
 * function would: a BasicTracerProvider with a BatchSpanProcessor, the W3C propagator, and the
 * AsyncLocalStorage context manager.
 */
export async function benchTracing(report: Report): Promise<void> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropAll)] });
  const propagator = new W3CTraceContextPropagator();
  const ctx = lambdaContext();
  const logger = jsonLogger({ write: noop });
  const traceparent = Array.from(Buffer.from('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'));
  const event = makeEvent({
    records: DECODE.batch,
    partitions: 4,
    value: (i) => Buffer.from(JSON.stringify(makeTrade(i, 1))),
  });
  for (const records of Object.values(event.records)) for (const r of records) r.headers = [{ traceparent }];
  let sink = 0;
  const handlerWith = (instrumentation: Parameters<typeof createKafkaHandler>[0]['use']) =>
    createKafkaHandler({
      value: json<{ id: string }>(),
      logger,
      producer: instantProducer,
      use: instrumentation,
      process(record, { produce }) {
        sink += record.key!.length + record.value.id.length + record.headers.size;
        produce({ topic: 'out', key: record.key, value: record.value.id });
      },
    });
  const variants: Array<[string, Parameters<typeof createKafkaHandler>[0]['use']]> = [
    [OFF, []],
    ['kafkaTracing (batch span, 128 links)', [kafkaTracing({ tracerProvider, propagator })]],
    ['kafkaTracing, recordSpans: true', [kafkaTracing({ tracerProvider, propagator, recordSpans: true })]],
    ['kafkaMetrics (EMF)', [kafkaMetrics({ write: noop })]],
  ];
  const contenders: Contender[] = variants.map(([name, instrumentation]) => {
    const handler = handlerWith(instrumentation);
    return { name, run: () => handler(event, ctx) };
  });
  const samples = await timeRounds(contenders, DECODE);
  for (const { name } of contenders) {
    const value = summarize(samples.get(name)!);
    report.add({
      section:
        'Tracing and metrics overhead (10,000-record JSON batch, traceparent on every record, one output each)',
      scenario: 'JSON, read key/value/headers, produce 1',
      contender: name,
      unit: 'ms / batch',
      value,
      ratio:
        name === OFF ? '' : `${fmt(pairedRatio(samples.get(name)!, samples.get(OFF)!))}× uninstrumented time`,
    });
  }
  await tracerProvider.shutdown();
  context.disable();
  if (sink < 0) console.log(sink);
}
