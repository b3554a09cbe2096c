// The trace through the real broker, the runtime emulator and Jaeger: an upstream producer span's
// context travels in `traceparent` headers, the handler's batch span links to it, and the messages the
// handler produced carry the context of their record's span, which the next consumer continues.
// Needs Jaeger from the local stack (built with Go, optional): without it this file skips, saying why.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Logger } from '@kafka-lambda/core';
import { runEventSource } from '@kafka-lambda/local';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, createTopics, readTopic, uniqueTopic } from '../../../test/support/kafka.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const queryUrl = process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686';
const otlpUrl = process.env.JAEGER_OTLP_HTTP_URL ?? 'http://127.0.0.1:4318';
const jaegerDown = await fetch(`${queryUrl}/api/services`)
  .then((res) => (res.ok ? undefined : `Jaeger query API answered ${res.status}`))
  .catch(
    (error: Error) => `Jaeger is not running at ${queryUrl} (${error.message}); see scripts/stack/jaeger.mjs`,
  );
if (jaegerDown) console.warn(`[tracing-jaeger] skipped: ${jaegerDown}`);

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** GET /api/traces/{id} until it holds `until(trace)` (spans arrive through the collector's batch). */
async function jaegerTrace(traceId: string, until: (t: JaegerTrace) => boolean): Promise<JaegerTrace> {
  const deadline = Date.now() + 20_000;
  let last: JaegerTrace | undefined;
  while (Date.now() < deadline) {
    const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
    if (res.ok) {
      last = ((await res.json()) as { data: JaegerTrace[] }).data[0];
      if (last && until(last)) return last;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`trace ${traceId} in Jaeger: ${JSON.stringify(last)?.slice(0, 2_000)}`);
}

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
const service = (t: JaegerTrace, span: JaegerSpan) => t.processes[span.processID]?.serviceName;

describe.skipIf(jaegerDown !== undefined)('tracing through Kafka, the runtime emulator and Jaeger', () => {
  const run = Math.random().toString(36).slice(2, 8);
  const input = uniqueTopic('obs.in');
  const output = uniqueTopic('obs.out');
  const group = `obs-group-${run}`;
  const propagator = new W3CTraceContextPropagator();
  const upstream = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `upstream-${run}` }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces` }))],
  });
  let dir: string;
  let handlerFile: string;

  beforeAll(async () => {
    await createTopics([{ topic: input }, { topic: output }]);
    // Inside the repo, so that the bundle resolves the native client from its node_modules.
    const cache = path.join(root, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(path.join(cache, 'kafka-lambda-traced-'));
    handlerFile = path.join(dir, 'handler.mjs');
    // Bundled as a deployment would be: SDK and OpenTelemetry inlined, the native client external.
    await build({
      entryPoints: [path.join(here, 'fixtures/traced-handler.ts')],
      outfile: handlerFile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      alias: {
        '@kafka-lambda/core/producer': path.join(root, 'packages/core/src/entry/producer.ts'),
        '@kafka-lambda/core': path.join(root, 'packages/core/src/index.ts'),
        '@kafka-lambda/observability/tracing': path.join(root, 'packages/observability/src/entry/tracing.ts'),
        '@kafka-lambda/observability/metrics': path.join(root, 'packages/observability/src/entry/metrics.ts'),
      },
      external: ['@confluentinc/kafka-javascript'],
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      nodePaths: [path.join(root, 'packages/observability/node_modules')],
      logLevel: 'error',
    });
  }, 60_000);

  afterAll(async () => {
    await upstream.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('upstream producer span → batch span linking to it → record spans → the downstream message continues the trace', async () => {
    // 1. Upstream: a PRODUCER span whose context goes into each message's headers.
    const tracer = upstream.getTracer('upstream');
    const send = tracer.startSpan(`send ${input}`, { kind: SpanKind.PRODUCER });
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(context.active(), send), headers, {
      set: (carrier, key, value) => {
        carrier[key] = value;
      },
    });
    const producer = new KafkaJS.Kafka({
      kafkaJS: { brokers: [brokers()], logLevel: KafkaJS.logLevel.ERROR },
    }).producer();
    await producer.connect();
    await producer.send({
      topic: input,
      messages: ['a', 'b', 'c'].map((value) => ({ key: value, value, headers })),
    });
    await producer.disconnect();
    send.end();
    await upstream.forceFlush();
    const { traceId: upstreamTrace, spanId: upstreamSpan } = send.spanContext();

    // 2. The handler in the runtime emulator, fed by the local event source mapping.
    const lines: string[] = [];
    const runner = await runEventSource({
      brokers: brokers(),
      topics: [input],
      groupId: group,
      rie: {
        handlerFile,
        env: {
          SERVICE_NAME: `traced-${run}`,
          OTLP_HTTP_URL: otlpUrl,
          BROKERS: brokers(),
          GROUP: group,
          OUT_TOPIC: output,
        },
        inheritOutput: process.env.DEBUG_TRACING === '1',
      },
      batchWindowMs: 200,
      logger: process.env.DEBUG_TRACING === '1' ? console : { ...silent, info: (m) => lines.push(m) },
    });
    try {
      await runner.waitFor((stats) => stats.recordsCommitted === 3, 45_000);
    } finally {
      await runner.stop();
    }

    // 3. The outputs carry a traceparent of the handler's trace.
    const outputs = await readTopic(output, 3);
    expect(outputs).toHaveLength(3);
    const parsed = outputs.map((m) =>
      /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(m.headers.traceparent)),
    );
    expect(parsed.every(Boolean), JSON.stringify(outputs.map((m) => m.headers))).toBe(true);
    const handlerTrace = parsed[0]![1]!;
    expect(new Set(parsed.map((p) => p![1])).size).toBe(1); // one invocation, one trace
    expect(handlerTrace).not.toBe(upstreamTrace); // a new trace that LINKS to the upstream one

    // 4. The next consumer continues the trace from an output's headers.
    const next = parsed[0]!;
    const downstreamParent = trace.setSpanContext(context.active(), {
      traceId: next[1]!,
      spanId: next[2]!,
      traceFlags: 1,
      isRemote: true,
    });
    const downstream = tracer.startSpan(`process ${output}`, { kind: SpanKind.CONSUMER }, downstreamParent);
    downstream.end();
    await upstream.forceFlush();

    // 5. What Jaeger holds. The upstream trace: the producer span.
    const up = await jaegerTrace(upstreamTrace, (t) => t.spans.some((s) => s.spanID === upstreamSpan));
    const sendSpan = up.spans.find((s) => s.spanID === upstreamSpan)!;
    expect(sendSpan.operationName).toBe(`send ${input}`);
    expect(service(up, sendSpan)).toBe(`upstream-${run}`);

    // The handler's trace: the batch span links (FOLLOWS_FROM) to the upstream span, the record spans
    // are its children and link to it too, and the downstream consumer's span is a child of the record
    // span named in the output's traceparent.
    const handler = await jaegerTrace(
      handlerTrace,
      (t) =>
        t.spans.some((s) => s.spanID === downstream.spanContext().spanId) &&
        t.spans.filter((s) => s.operationName === `process ${input}`).length >= 4,
    );
    const processSpans = handler.spans.filter((s) => s.operationName === `process ${input}`);
    const batch = processSpans.find((s) => !s.references.some((r) => r.refType === 'CHILD_OF'))!;
    expect(batch, JSON.stringify(handler.spans.map((s) => [s.operationName, s.references]))).toBeDefined();
    expect(service(handler, batch)).toBe(`traced-${run}`);
    expect(batch.references).toEqual(
      expect.arrayContaining([{ refType: 'FOLLOWS_FROM', traceID: upstreamTrace, spanID: upstreamSpan }]),
    );
    expect(batch.references.filter((r) => r.refType === 'FOLLOWS_FROM')).toHaveLength(3); // one link per record
    expect(tag(batch, 'messaging.system')).toBe('kafka');
    expect(tag(batch, 'messaging.operation.type')).toBe('process');
    expect(tag(batch, 'messaging.destination.name')).toBe(input);
    expect(tag(batch, 'messaging.batch.message_count')).toBe(3);
    expect(tag(batch, 'messaging.consumer.group.name')).toBe(group);
    const records = processSpans.filter((s) => s !== batch);
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(record.references).toEqual(
        expect.arrayContaining([
          { refType: 'CHILD_OF', traceID: handlerTrace, spanID: batch.spanID },
          { refType: 'FOLLOWS_FROM', traceID: upstreamTrace, spanID: upstreamSpan },
        ]),
      );
    }
    expect(records.map((r) => r.spanID).sort()).toEqual(parsed.map((p) => p![2]).sort());
    const downstreamSpan = handler.spans.find((s) => s.spanID === downstream.spanContext().spanId)!;
    expect(downstreamSpan.references).toEqual([
      { refType: 'CHILD_OF', traceID: handlerTrace, spanID: next[2] },
    ]);
    expect(service(handler, downstreamSpan)).toBe(`upstream-${run}`);
    expect(handler.spans.some((s) => s.operationName === 'flush')).toBe(true);
    expect(readFileSync(handlerFile, 'utf8')).not.toContain('kafka-javascript/lib/binding');
  }, 90_000);
});
